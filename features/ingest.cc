// FeatureStore::Ingest: parse and check a whole file on worker threads (each block
// sorted and spilled to a scratch file as a run), then store the file, merge the runs
// into the log (a write batch, or sorted SST files for large files) and commit the
// ingest, which makes the rows visible.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "features/codec.h"
#include "features/csv.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/impl.h"
#include "features/scratch.h"
#include "rocksdb/sst_file_writer.h"
#include "simdjson.h"
#include "store/excerpt.h"
#include "store/internal/bounded_queue.h"
#include "store/internal/keys.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/json_writer.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;

constexpr int kWorkers = 2;
// Online rows written by one ingest above which the view's online range is compacted.
constexpr size_t kCompactOnlineRows = 10000;
// Longest log key: the join key values of one row, encoded.
constexpr size_t kMaxKeyBytes = 4096;

// A block's row, encoded in its arena: KEY then VALUE. 32 bytes: a block's hundred
// thousand of them are sorted in cache-sized memory.
struct Entry {
  uint64_t k0 = 0, k1 = 0;  // key bytes 4..20, big-endian: most comparisons end here
  char* rec = nullptr;      // during the parse: the offset in the arena
  uint32_t klen = 0, vlen = 0;

  absl::string_view key() const { return {rec, klen}; }
  absl::string_view value() const { return {rec + klen, vlen}; }
};

int CompareKeys(const Entry& a, const Entry& b) {
  if (a.k0 != b.k0) return a.k0 < b.k0 ? -1 : 1;
  if (a.k1 != b.k1) return a.k1 < b.k1 ? -1 : 1;
  return a.key().compare(b.key());
}

// Key order; equal keys of one block in file order (their arena offsets grow).
bool EntryLess(const Entry& a, const Entry& b) {
  const int c = CompareKeys(a, b);
  return c != 0 ? c < 0 : a.rec < b.rec;
}

// Sorts a block's entries by key, equal keys in file order: a radix sort on the first
// key word (for an int64 entity, the entity), skipping bytes all entries share, then
// a comparison sort of each run of equal first words (mostly single entries: a
// block holds few rows of any one entity). `scratch` is working memory.
void SortEntries(std::vector<Entry>* entries, std::vector<Entry>* scratch) {
  const size_t n = entries->size();
  if (n < 1024) {
    std::sort(entries->begin(), entries->end(), EntryLess);
    return;
  }
  std::vector<std::array<uint32_t, 256>> counts(8);
  for (auto& c : counts) c.fill(0);
  for (const Entry& e : *entries) {
    for (int b = 0; b < 8; ++b) ++counts[b][(e.k0 >> (8 * b)) & 0xff];
  }
  scratch->resize(n);
  Entry* from = entries->data();
  Entry* to = scratch->data();
  for (int b = 0; b < 8; ++b) {
    auto& c = counts[b];
    if (c[(from[0].k0 >> (8 * b)) & 0xff] == n) continue;  // every entry alike
    uint32_t at = 0;
    for (auto& x : c) at += std::exchange(x, at);
    for (size_t i = 0; i < n; ++i) to[c[(from[i].k0 >> (8 * b)) & 0xff]++] = from[i];
    std::swap(from, to);
  }
  if (from != entries->data()) entries->swap(*scratch);
  Entry* es = entries->data();
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && es[j].k0 == es[i].k0) ++j;
    if (j - i > 1) std::sort(es + i, es + j, EntryLess);
    i = j;
  }
}

// A block's kept rows, sorted, in the run file: records of RunHeader, key, value.
struct RunHeader {
  uint32_t klen, vlen;
};
constexpr size_t kRunSampleEvery = 64;  // records between two samples of a run
struct Run {
  uint64_t offset = 0, bytes = 0;
  // Every kRunSampleEvery-th record: its offset in the file and its key.
  std::vector<std::pair<uint64_t, std::string>> samples;
};

struct ParsedBlock {
  size_t index = 0;
  std::string arena;           // rows as parsed (pooled)
  std::vector<Entry> entries;  // their keys, sorted once the block is parsed (pooled)
  Run run;                     // the sorted rows, once spilled
  uint64_t rows = 0;           // parsed (the run drops in-block duplicates)
  uint64_t lines = 0;
  std::optional<std::pair<uint64_t, std::string>> error;  // local line, message
  absl::StatusCode error_code = absl::StatusCode::kInvalidArgument;
  Micros min_event = INT64_MAX, max_event = INT64_MIN;
};

// Where a column's values go.
struct Role {
  enum Kind { kJoinKey, kEvent, kCreated, kFeature } kind;
  int index = 0;  // join key or feature index
};

// The common cases without a StatusOr: a short int64 or a plain decimal. False:
// the general path (ParseValue) decides, and words the error.
bool FastNumber(absl::string_view text, ValueType type, Value* out) {
  if (type == VALUE_TYPE_INT64) {
    int64_t v;
    if (!codec::ParseSimpleInt(text, &v)) return false;
    *out = v;
    return true;
  }
  if (type == VALUE_TYPE_DOUBLE) {
    double v;
    if (!codec::ParseSimpleDecimal(text, &v)) return false;
    *out = v;
    return true;
  }
  return false;
}

// A short integer epoch timestamp in range, without a StatusOr; false for anything
// else (ParseTimestamp decides).
bool FastEpoch(absl::string_view text, TimeUnit unit, Micros* out) {
  int64_t n;
  return codec::ParseSimpleInt(text, &n) && codec::EpochToMicros(n, unit, out);
}

// Turns one record's values into a log entry.
class RowEncoder {
 public:
  // `reader`: whose unit `unit` is, for errors ("this view").
  RowEncoder(const ResolvedView& view, TimeUnit unit, absl::string_view reader,
             Micros now)
      : view_(view),
        unit_(unit),
        reader_(reader),
        window_(PlausibleTimeOf(view.def)),
        now_(now),
        prefix_(view.Prefix()) {
    keys_.resize(view.join_key_names.size());
    features_.resize(view.def.features_size());
    cells_.resize(view.def.features_size());
    for (int i = 0; i < view.def.features_size(); ++i) {
      cells_[i] = {view.feature_columns[i], &features_[i]};
    }
  }

  void Reset() {
    for (auto& k : keys_) k = std::monostate();
    for (auto& f : features_) f = std::monostate();
    event_.reset();
    created_.reset();
  }

  // Sets a column from text (CSV). `quoted`: the field was quoted.
  absl::Status SetText(const Role& role, absl::string_view text, bool quoted) {
    switch (role.kind) {
      case Role::kJoinKey: {
        if (text.empty() && !quoted)
          return absl::InvalidArgumentError("join key is empty");
        if (FastNumber(text, view_.join_key_types[role.index], &keys_[role.index])) {
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(keys_[role.index],
                         ParseValue(text, view_.join_key_types[role.index], unit_));
        return absl::OkStatus();
      }
      case Role::kEvent:
      case Role::kCreated: {
        if (text.empty()) {
          if (role.kind == Role::kEvent) {
            return absl::InvalidArgumentError("event_timestamp is empty");
          }
          return absl::OkStatus();
        }
        Micros t;
        if (!FastEpoch(text, unit_, &t) || !window_.Contains(t)) {
          ASSIGN_OR_RETURN(t, ParseRowTime(text, unit_, window_, reader_));
        }
        (role.kind == Role::kEvent ? event_ : created_) = t;
        return absl::OkStatus();
      }
      case Role::kFeature: {
        const ValueType type = view_.def.features(role.index).type();
        if (text.empty() &&
            !(quoted && (type == VALUE_TYPE_STRING || type == VALUE_TYPE_BYTES))) {
          return absl::OkStatus();  // null
        }
        if (FastNumber(text, type, &features_[role.index])) return absl::OkStatus();
        ASSIGN_OR_RETURN(features_[role.index], ParseValue(text, type, unit_));
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  // Sets a column from an already typed value (JSON lines); null clears it.
  absl::Status SetValue(const Role& role, Value v) {
    switch (role.kind) {
      case Role::kJoinKey:
        if (v.index() == 0) return absl::InvalidArgumentError("join key is null");
        keys_[role.index] = std::move(v);
        return absl::OkStatus();
      case Role::kEvent:
        if (v.index() == 0) return absl::InvalidArgumentError("event_timestamp is null");
        event_ = std::get<int64_t>(v);
        return absl::OkStatus();
      case Role::kCreated:
        if (v.index() != 0) created_ = std::get<int64_t>(v);
        return absl::OkStatus();
      case Role::kFeature:
        features_[role.index] = std::move(v);
        return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  // Appends the row to `block`. Errors: a missing join key or event time.
  absl::Status Finish(ParsedBlock* block) {
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i].index() == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("join key ", view_.join_key_names[i], " is missing"));
      }
    }
    if (!event_.has_value()) {
      return absl::InvalidArgumentError("event_timestamp is missing");
    }
    std::string& a = block->arena;
    const size_t off = a.size();
    a.append(prefix_);
    for (const Value& k : keys_) codec::AppendEntityPart(&a, k);
    codec::AppendRowOrder(&a, *event_, created_.value_or(now_));
    const size_t klen = a.size() - off;
    codec::AppendRow(&a, cells_, view_.column_types);
    if (klen > kMaxKeyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("join key values are ", klen, " bytes; at most ", kMaxKeyBytes));
    }
    Entry e;
    e.rec = reinterpret_cast<char*>(off);
    e.klen = static_cast<uint32_t>(klen);
    e.vlen = static_cast<uint32_t>(a.size() - off - klen);
    block->entries.push_back(e);
    block->min_event = std::min(block->min_event, *event_);
    block->max_event = std::max(block->max_event, *event_);
    return absl::OkStatus();
  }

 private:
  const ResolvedView& view_;
  TimeUnit unit_;
  absl::string_view reader_;
  PlausibleTime window_;
  Micros now_;
  std::string prefix_;
  std::vector<Value> keys_;
  std::vector<Value> features_;
  std::vector<codec::Cell> cells_;
  std::optional<Micros> event_, created_;
};

// Maps column names to roles. Errors: unknown or repeated columns, a missing join
// key or event_timestamp column.
absl::StatusOr<std::vector<Role>> MapColumns(const ResolvedView& view,
                                             const std::vector<std::string>& names,
                                             bool require_all) {
  std::vector<Role> roles;
  std::vector<bool> seen_keys(view.join_key_names.size());
  bool seen_event = false;
  for (size_t c = 0; c < names.size(); ++c) {
    const std::string& name = names[c];
    for (size_t d = 0; d < c; ++d) {
      if (names[d] == name) {
        return absl::InvalidArgumentError(
            absl::StrCat("column ", Excerpt(name), " appears twice in the header"));
      }
    }
    Role role{Role::kFeature, -1};
    for (size_t k = 0; k < view.join_key_names.size(); ++k) {
      if (view.join_key_names[k] == name) {
        role = {Role::kJoinKey, static_cast<int>(k)};
        seen_keys[k] = true;
      }
    }
    if (name == "event_timestamp") {
      role = {Role::kEvent, 0};
      seen_event = true;
    } else if (name == "created_timestamp") {
      role = {Role::kCreated, 0};
    } else if (role.kind == Role::kFeature) {
      role.index = view.FeatureIndex(name);
      if (role.index < 0) {
        std::string known;
        for (const Feature& f : view.def.features()) {
          absl::StrAppend(&known, known.empty() ? "" : ", ", f.name());
        }
        return absl::InvalidArgumentError(
            absl::StrCat("unknown column ", Excerpt(name), ": feature view ", view.def.name(),
                         " has join keys ", absl::StrJoin(view.join_key_names, ", "),
                         ", event_timestamp, created_timestamp and features ", known));
      }
    }
    roles.push_back(role);
  }
  if (require_all) {
    for (size_t k = 0; k < seen_keys.size(); ++k) {
      if (!seen_keys[k]) {
        return absl::InvalidArgumentError(
            absl::StrCat("join key column ", view.join_key_names[k], " is missing"));
      }
    }
    if (!seen_event) {
      return absl::InvalidArgumentError("column event_timestamp is missing");
    }
  }
  return roles;
}

// Parses the CSV records of one block.
void ParseCsvBlock(const ResolvedView& view, const std::vector<Role>& roles,
                   const std::vector<std::string>& labels, size_t max_record_bytes,
                   TimeUnit unit, absl::string_view reader, Micros now,
                   absl::string_view data, ParsedBlock* out) {
  RowEncoder enc(view, unit, reader, now);
  CsvRecords records(data, &labels, max_record_bytes);
  uint32_t row = 0;
  while (true) {
    auto more = records.NextRow(roles.size());
    if (!more.ok()) {
      out->error = {records.line(), std::string(more.status().message())};
      out->error_code = more.status().code();
      return;
    }
    if (!*more) break;
    const auto& fields = records.fields();
    enc.Reset();
    for (size_t c = 0; c < fields.size(); ++c) {
      if (absl::Status s = enc.SetText(roles[c], fields[c], records.quoted(c)); !s.ok()) {
        out->error = {records.line(),
                      absl::StrCat("column ", labels[c], ": ", s.message())};
        return;
      }
    }
    if (absl::Status s = enc.Finish(out); !s.ok()) {
      out->error = {records.line(), std::string(s.message())};
      return;
    }
    ++row;
  }
  out->lines = records.lines_read();
}

absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

// A JSON value as a value of `type` (timestamps: ISO 8601 strings or integers).
// Numbers follow the rules of text (ParseValue) on their JSON token.
absl::StatusOr<Value> JsonValue(simdjson::ondemand::value v, ValueType type,
                                TimeUnit unit) {
  simdjson::ondemand::json_type jt;
  const bool typed = v.type().get(jt) == simdjson::SUCCESS;
  if (!typed || jt == simdjson::ondemand::json_type::number) {
    absl::string_view token = Sv(v.raw_json_token());
    if (!token.empty() && token[0] == '-') token.remove_prefix(1);
    if (absl::StartsWith(token, "NaN") || absl::StartsWith(token, "Infinity")) {
      return absl::InvalidArgumentError(
          "NaN and Infinity are not JSON (null is a missing value)");
    }
  }
  if (!typed) return absl::InvalidArgumentError("malformed JSON value");
  if (jt == simdjson::ondemand::json_type::null) return Value();
  const auto mismatch = [&](absl::string_view got) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", ValueTypeName(type), ", got a JSON ", got));
  };
  if (jt == simdjson::ondemand::json_type::number &&
      (type == VALUE_TYPE_INT64 || type == VALUE_TYPE_DOUBLE ||
       type == VALUE_TYPE_TIMESTAMP)) {
    if (type == VALUE_TYPE_INT64) {
      int64_t x;
      if (v.get_int64().get(x) == simdjson::SUCCESS) return Value(x);
    } else if (type == VALUE_TYPE_DOUBLE) {
      double x;
      if (v.get_double().get(x) == simdjson::SUCCESS) return Value(x);
    }
    // The token's rules and messages are those of text ("out of range for int64").
    return ParseValue(absl::StripTrailingAsciiWhitespace(Sv(v.raw_json_token())), type,
                      unit);
  }
  switch (type) {
    case VALUE_TYPE_INT64:
    case VALUE_TYPE_DOUBLE:
      return mismatch("non-number");
    case VALUE_TYPE_BOOL: {
      bool x;
      if (jt != simdjson::ondemand::json_type::boolean || v.get_bool().get(x)) {
        return mismatch("non-boolean");
      }
      return Value(x);
    }
    default: {
      std::string_view s;
      if (jt != simdjson::ondemand::json_type::string || v.get_string().get(s)) {
        return mismatch(type == VALUE_TYPE_TIMESTAMP ? "non-string, non-number"
                                                     : "non-string");
      }
      return ParseValue(Sv(s), type, unit);
    }
  }
}

// An event or created time: JsonValue's timestamp, checked against the view's
// plausible time (an integer's error suggests the unit it looks like).
absl::StatusOr<Value> JsonRowTime(simdjson::ondemand::value v, TimeUnit unit,
                                  const PlausibleTime& window, absl::string_view reader) {
  simdjson::ondemand::json_type jt;
  if (v.type().get(jt) != simdjson::SUCCESS) return JsonValue(v, VALUE_TYPE_TIMESTAMP, unit);
  absl::string_view text;
  if (jt == simdjson::ondemand::json_type::number) {
    text = absl::StripTrailingAsciiWhitespace(Sv(v.raw_json_token()));
    absl::string_view digits = text;
    absl::ConsumePrefix(&digits, "-");
    // NaN, Infinity: JsonValue words their error.
    if (digits.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(digits[0]))) {
      return JsonValue(v, VALUE_TYPE_TIMESTAMP, unit);
    }
  } else if (std::string_view s;
             jt == simdjson::ondemand::json_type::string && !v.get_string().get(s)) {
    text = Sv(s);
  } else {
    return JsonValue(v, VALUE_TYPE_TIMESTAMP, unit);  // null, or its error
  }
  ASSIGN_OR_RETURN(Micros t, ParseRowTime(text, unit, window, reader));
  return Value(t);
}

// Parses the JSON lines of one block; each line is one object.
void ParseJsonBlock(const ResolvedView& view, TimeUnit unit, absl::string_view reader,
                    Micros now, absl::string_view data, size_t capacity,
                    ParsedBlock* out) {
  RowEncoder enc(view, unit, reader, now);
  const PlausibleTime window = PlausibleTimeOf(view.def);
  simdjson::ondemand::parser parser;
  uint64_t line = 0;
  uint32_t row = 0;
  size_t pos = 0;
  std::vector<std::string> names(1);
  while (pos < data.size()) {
    ++line;
    size_t nl = data.find('\n', pos);
    if (nl == absl::string_view::npos) nl = data.size();
    absl::string_view text = data.substr(pos, nl - pos);
    const size_t start = pos;
    pos = nl + 1;
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    const auto fail = [&](absl::string_view what) {
      out->error = {line, std::string(what)};
    };
    simdjson::ondemand::document doc;
    simdjson::padded_string_view padded(data.data() + start, text.size(),
                                        capacity - start);
    simdjson::ondemand::object obj;
    simdjson::error_code error = parser.iterate(padded).get(doc);
    if (!error) error = doc.get_object().get(obj);
    if (error == simdjson::INCORRECT_TYPE) return fail("not a JSON object");
    if (error) {
      return fail(absl::StrCat("not valid JSON (", simdjson::error_message(error), ")"));
    }
    enc.Reset();
    std::vector<std::string> seen;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return fail("malformed JSON key");
      names[0].assign(key.data(), key.size());
      for (const auto& s : seen) {
        if (s == names[0]) {
          return fail(absl::StrCat("key ", Excerpt(names[0]), " appears twice"));
        }
      }
      seen.push_back(names[0]);
      auto roles = MapColumns(view, names, false);
      if (!roles.ok()) return fail(roles.status().message());
      const Role role = (*roles)[0];
      const ValueType type = role.kind == Role::kJoinKey ? view.join_key_types[role.index]
                             : role.kind == Role::kFeature
                                 ? view.def.features(role.index).type()
                                 : VALUE_TYPE_TIMESTAMP;
      simdjson::ondemand::value v;
      if (field.value().get(v))
        return fail(absl::StrCat("key ", Excerpt(names[0]), ": malformed JSON"));
      auto value = role.kind == Role::kEvent || role.kind == Role::kCreated
                       ? JsonRowTime(v, unit, window, reader)
                       : JsonValue(v, type, unit);
      absl::Status s =
          value.ok() ? enc.SetValue(role, std::move(*value)) : value.status();
      if (!s.ok()) {
        return fail(absl::StrCat("key ", Excerpt(names[0]), ": ", s.message()));
      }
    }
    // One object a line: `{...}{...}` or `{...} x` is refused, not cut short.
    std::string_view raw;
    if (doc.raw_json().get(raw) ||
        !absl::StripAsciiWhitespace(text.substr(raw.data() + raw.size() - text.data()))
             .empty()) {
      return fail("text after the JSON object (one object a line)");
    }
    if (absl::Status s = enc.Finish(out); !s.ok()) {
      return fail(s.message());
    }
    ++row;
  }
  out->lines = line;
}

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool LooksLikeJsonLines(const std::string& path, absl::string_view head) {
  if (absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".ndjson") ||
      absl::EndsWith(path, ".json")) {
    return true;
  }
  if (absl::EndsWith(path, ".csv")) return false;
  absl::ConsumePrefix(&head, kUtf8Bom);
  head = absl::StripLeadingAsciiWhitespace(head);
  return !head.empty() && head[0] == '{';
}

// The file sorted runs are spilled to: unnamed (nothing is left behind by a crash),
// written by the parse workers, then mapped for the merge. Holding ten million rows
// in anonymous memory until the merge costs more than writing them to the page
// cache and back (each fresh page is zeroed by the kernel, slowly on a VM), and the
// ingest's memory no longer grows with the file.
class RunFile {
 public:
  static absl::StatusOr<std::unique_ptr<RunFile>> Create(const std::string& dir) {
    ASSIGN_OR_RETURN(int fd, OpenUnnamedFile(dir));
    return std::unique_ptr<RunFile>(new RunFile(fd));
  }
  ~RunFile() { ::close(fd_); }

  // Appends `bytes` (from any thread) and returns where they start.
  absl::StatusOr<uint64_t> Append(absl::string_view bytes) {
    const uint64_t at = size_.fetch_add(bytes.size());
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                                 static_cast<off_t>(at + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return absl::UnavailableError(absl::StrCat(
            "cannot write the ingest's scratch file: ", std::strerror(errno)));
      }
      done += static_cast<size_t>(n);
    }
    return at;
  }

  // Reads up to `n` bytes at `offset`; fewer only at the end of the file.
  absl::StatusOr<size_t> Read(uint64_t offset, char* buf, size_t n) const {
    size_t done = 0;
    while (done < n) {
      const ssize_t got =
          ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        return absl::UnavailableError(absl::StrCat(
            "cannot read the ingest's scratch file: ", std::strerror(errno)));
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }

 private:
  explicit RunFile(int fd) : fd_(fd) {}
  int fd_;
  std::atomic<uint64_t> size_{0};
};

// One row of a run.
struct Record {
  absl::string_view key, value;
};

// Reads a run's records [begin, end) of the run file front to back through a small
// buffer, which stays in the CPU's caches while the merge interleaves many runs.
class RunReader {
 public:
  RunReader(const RunFile* file, uint64_t begin, uint64_t end)
      : file_(file), next_(begin), end_(end), buf_(kBufferBytes) {}

  // Positions on the first record; false at the end of the run.
  absl::StatusOr<bool> Start() { return Load(); }
  const Record& record() const { return record_; }
  // The offset in the file of the current record.
  uint64_t offset() const { return next_ - (hi_ - lo_); }
  // Moves to the next record (invalidating the current one); false at the end.
  absl::StatusOr<bool> Advance() {
    lo_ += sizeof(RunHeader) + record_.key.size() + record_.value.size();
    return Load();
  }

 private:
  static constexpr size_t kBufferBytes = 128 << 10;
  absl::StatusOr<bool> Load() {
    RunHeader h;
    if (hi_ - lo_ < sizeof h || !Whole(&h)) {
      RETURN_IF_ERROR(Fill(sizeof h));
      if (hi_ - lo_ < sizeof h) return false;
      std::memcpy(&h, buf_.data() + lo_, sizeof h);
      const size_t need = sizeof h + h.klen + h.vlen;
      if (hi_ - lo_ < need) RETURN_IF_ERROR(Fill(need));
      if (hi_ - lo_ < need)
        return absl::DataLossError("the ingest's scratch file is short");
    }
    std::memcpy(&h, buf_.data() + lo_, sizeof h);
    const char* p = buf_.data() + lo_ + sizeof h;
    record_ = {{p, h.klen}, {p + h.klen, h.vlen}};
    return true;
  }
  // Whether a whole record starts at lo_; its header in *h.
  bool Whole(RunHeader* h) const {
    std::memcpy(h, buf_.data() + lo_, sizeof *h);
    return hi_ - lo_ >= sizeof *h + h->klen + h->vlen;
  }
  // Keeps [lo_, hi_), moved to the front, and reads more: at least `need` bytes
  // buffered unless the run ends first.
  absl::Status Fill(size_t need) {
    std::memmove(buf_.data(), buf_.data() + lo_, hi_ - lo_);
    hi_ -= lo_;
    lo_ = 0;
    if (buf_.size() < need) buf_.resize(need);
    const size_t want = std::min<uint64_t>(buf_.size() - hi_, end_ - next_);
    ASSIGN_OR_RETURN(size_t got, file_->Read(next_, buf_.data() + hi_, want));
    hi_ += got;
    next_ += got;
    return absl::OkStatus();
  }
  const RunFile* file_;
  uint64_t next_, end_;  // file offsets: next to read, end of the run
  std::vector<char> buf_;
  size_t lo_ = 0, hi_ = 0;  // buffered bytes [lo_, hi_), lo_ at the current record
  Record record_;
};

// Merges sorted runs, dropping all but the last (in file order) of equal keys, and
// hands each surviving row to a sink in key order.
class RunMerger {
 public:
  // Runs in file order, each [begin, end) in the run file.
  RunMerger(const RunFile* file, const std::vector<std::pair<uint64_t, uint64_t>>& runs) {
    for (const auto& [begin, end] : runs) {
      if (begin != end) readers_.emplace_back(file, begin, end);
    }
  }

  // Calls emit(const Record&) for each row to keep; stops at the first error.
  template <typename Emit>
  absl::Status Run(Emit emit) {
    for (size_t r = 0; r < readers_.size(); ++r) {
      ASSIGN_OR_RETURN(bool any, readers_[r].Start());
      if (any) heap_.push_back(MakeItem(r));
    }
    std::make_heap(heap_.begin(), heap_.end(), Greater);
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), Greater);
      const size_t run = heap_.back().run;
      heap_.pop_back();
      RunReader& reader = readers_[run];
      const Record& r = reader.record();
      // A run holds no two equal keys, so an equal key is at the top of another,
      // later run: the later line wins.
      if (heap_.empty() || heap_.front().key() != r.key) RETURN_IF_ERROR(emit(r));
      ASSIGN_OR_RETURN(bool more, reader.Advance());
      if (more) {
        heap_.push_back(MakeItem(run));
        std::push_heap(heap_.begin(), heap_.end(), Greater);
      }
    }
    return absl::OkStatus();
  }

 private:
  struct Item {
    uint64_t k0, k1;  // key bytes 4..20, as in Entry
    const char* key_data;
    uint32_t key_size;
    uint32_t run;
    absl::string_view key() const { return {key_data, key_size}; }
  };
  Item MakeItem(size_t run) const {
    const absl::string_view key = readers_[run].record().key;
    return {codec::KeyWord(key.data(), key.size(), 4),
            codec::KeyWord(key.data(), key.size(), 12), key.data(),
            static_cast<uint32_t>(key.size()), static_cast<uint32_t>(run)};
  }
  // Heap order: key, then run, so equal keys come out in file order.
  static bool Greater(const Item& a, const Item& b) {
    if (a.k0 != b.k0) return a.k0 > b.k0;
    if (a.k1 != b.k1) return a.k1 > b.k1;
    const int c = a.key().compare(b.key());
    return c != 0 ? c > 0 : a.run > b.run;
  }
  std::vector<RunReader> readers_;
  std::vector<Item> heap_;
};

// Receives merged rows, one entity's newest first: writes them as log chunks
// (to an SST file or a write batch) under the ingest's number, and keeps each
// entity's newest row for the online table.
class EntryWriter {
 public:
  EntryWriter(uint64_t ingest, size_t chunk_bytes,
              std::function<absl::Status(absl::string_view, absl::string_view)> put)
      : put_(std::move(put)), ingest_(ingest), chunk_bytes_(chunk_bytes) {}

  absl::Status operator()(const Record& e) {
    const absl::string_view entity =
        e.key.substr(0, e.key.size() - codec::kRowOrderBytes);
    const codec::RowStamp s = codec::DecodeRowOrder(e.key);
    if (entity != entity_) {
      RETURN_IF_ERROR(Flush());
      entity_.assign(entity.data(), entity.size());
      chunk_index_ = 0;
      // The first row of an entity in sort order is its newest.
      std::string value;
      value.reserve(codec::kOnlineHeaderBytes + e.value.size());
      codec::AppendOnlineHeader(&value, s.event, s.created, ingest_);
      value.append(e.value.data(), e.value.size());
      online_.emplace_back(entity_, std::move(value));
    } else if (builder_.row_bytes() >= chunk_bytes_) {
      RETURN_IF_ERROR(Flush());
    }
    builder_.Add(s.event, s.created, e.value);
    ++written_;
    return absl::OkStatus();
  }

  // Writes the last chunk; call once after the last entry.
  absl::Status Flush() {
    if (builder_.rows() == 0) return absl::OkStatus();
    key_ = entity_;
    codec::AppendLogChunkSuffix(&key_, ingest_, chunk_index_++);
    builder_.Finish(&chunk_);
    ++chunks_;
    return put_(key_, chunk_);
  }

  uint64_t written() const { return written_; }
  uint64_t chunks() const { return chunks_; }
  std::vector<std::pair<std::string, std::string>>& online() { return online_; }

 private:
  std::function<absl::Status(absl::string_view, absl::string_view)> put_;
  uint64_t ingest_;
  size_t chunk_bytes_;
  std::string entity_;
  uint32_t chunk_index_ = 0;
  codec::LogChunkBuilder builder_;
  std::string key_, chunk_;
  uint64_t written_ = 0, chunks_ = 0;
  std::vector<std::pair<std::string, std::string>> online_;
};

// `refs` resolved to lineage nodes "KIND/NAME@N", sorted, each once.
// Errors: as ParseRef and ArtifactStore::Resolve.
absl::StatusOr<std::vector<std::string>> ResolveInputs(
    const ArtifactStore& artifacts, const std::vector<std::string>& refs) {
  std::vector<std::string> nodes;
  for (const std::string& text : refs) {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(text));
    ASSIGN_OR_RETURN(store::Version v, artifacts.Resolve(ref));
    nodes.push_back(VersionRef(v));
  }
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

// The live dataset versions holding `content_id` (of dataset `name` only, when
// non-empty), newest first. Reads every version record in that range: there is no
// index by content.
absl::StatusOr<std::vector<store::Version>> VersionsWithContent(
    const internal::Db& db, const Digest& content_id, const std::string& name) {
  const std::string prefix =
      name.empty() ? std::string("dataset/")
                   : internal::ArtifactPrefix(internal::ArtifactKey("dataset", name));
  const absl::string_view raw = content_id.Raw();
  std::vector<store::Version> found;
  auto cursor = db.Scan(Cf::kVersions, prefix);
  for (; cursor->Valid(); cursor->Next()) {
    ASSIGN_OR_RETURN(auto v,
                     internal::ParseRecord<store::Version>(cursor->value(), "version"));
    if (v.content_id() == raw && !v.has_deleted()) found.push_back(std::move(v));
  }
  RETURN_IF_ERROR(cursor->status());
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.created_us() > b.created_us();
  });
  return found;
}

}  // namespace

absl::string_view IngestSourceName(IngestSource source) {
  switch (source) {
    case IngestSource::kStored:
      return "stored";
    case IngestSource::kSameContent:
      return "same_content";
    case IngestSource::kRead:
      return "read";
  }
  return "stored";
}

absl::StatusOr<std::optional<Ref>> StoredIngestSource(absl::string_view source) {
  const size_t slash = source.find('/');
  if (slash == absl::string_view::npos) return std::optional<Ref>();
  auto kind = ParseKind(source.substr(0, slash));
  if (!kind.ok()) return std::optional<Ref>();  // a path: data/events.csv
  if (*kind != Kind::kDataset) {
    return absl::InvalidArgumentError(absl::StrCat(
        Excerpt(source), " is a ", KindName(*kind),
        ", not a dataset: ingest reads a file or dataset/NAME[@REF] (for a file in a "
        "folder named ",
        KindName(*kind), ", write ./", KindName(*kind), "/...)"));
  }
  ASSIGN_OR_RETURN(Ref ref, ParseRef(source));
  return std::optional<Ref>(std::move(ref));
}

absl::StatusOr<IngestResult> FeatureStore::Ingest(const std::string& view_name,
                                                  const std::string& path,
                                                  const IngestOptions& options) {
  const Micros now = internal::NowMicros();
  if (!options.dataset.empty()) RETURN_IF_ERROR(ValidateArtifactName(options.dataset));
  RETURN_IF_ERROR(CheckMaxRecordBytes(options.max_record_bytes, "max_record_bytes"));
  ASSIGN_OR_RETURN(std::optional<Ref> stored_ref, StoredIngestSource(path));
  if (stored_ref.has_value() && !options.dataset.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a dataset to store the file as was given, but ", Excerpt(path),
        " is stored already: it is read, not stored again"));
  }
  ASSIGN_OR_RETURN(auto latest, impl_->View(view_name, 0));
  // Every reference resolves before anything is written.
  std::optional<store::Version> stored;
  if (stored_ref.has_value()) {
    ASSIGN_OR_RETURN(stored, store_->artifacts().Resolve(*stored_ref));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> inputs,
                   ResolveInputs(store_->artifacts(), options.inputs));
  auto view = std::make_shared<ResolvedView>(*latest);
  RETURN_IF_ERROR(impl_->tables.Register(view.get()));
  impl_->Forget(view_name);
  TimeUnit unit = TimeUnit::kSeconds;
  if (options.timestamp_unit.has_value()) {
    unit = *options.timestamp_unit;
  } else if (!view->def.timestamp_unit().empty()) {
    ASSIGN_OR_RETURN(unit, ParseTimeUnit(view->def.timestamp_unit()));
  }
  const absl::string_view reader_name =
      options.timestamp_unit.has_value() ? "this ingest" : "this view";
  const std::string source_name = !options.source_name.empty() ? options.source_name
                                  : stored.has_value()         ? VersionRef(*stored)
                                  : path == "-"                ? "<stdin>"
                                                               : path;
  // Standard input is kept in a file: it is read again when stored as a dataset.
  // A stored version is read from a verified copy.
  std::optional<ScratchPath> spooled;
  std::string file = path;
  // What the format is guessed from: the path, or the stored version's name.
  std::string format_name = path;
  InputFormat format = options.format;
  if (stored.has_value()) {
    spooled.emplace(*store_, "source");
    file = spooled->path();
    RETURN_IF_ERROR(SpoolContent(*store_, *stored, file));
    format_name = stored->name();
    if (format == InputFormat::kAuto) {
      auto recorded = stored->metadata().find("format");
      if (recorded != stored->metadata().end() && recorded->second == "jsonl") {
        format = InputFormat::kJsonLines;
      } else if (recorded != stored->metadata().end() && recorded->second == "csv") {
        format = InputFormat::kCsv;
      }
    }
  } else if (path == "-") {
    spooled.emplace(*store_, "stdin");
    file = spooled->path();
    ASSIGN_OR_RETURN(auto in, OpenFileSource("-"));
    RETURN_IF_ERROR(CopyToFile(*in, file));
  }

  // Parse: a reader cuts blocks, two workers parse them.
  ASSIGN_OR_RETURN(auto source, OpenFileSource(file));
  CsvBlockReader reader(source.get(), std::max<size_t>(options.parse_block_bytes, 1),
                        options.max_record_bytes);
  // JSON lines end at every line break (a \" is no quote): the format is known from
  // the name, else once the file starts.
  if (format == InputFormat::kJsonLines ||
      (format == InputFormat::kAuto && LooksLikeJsonLines(format_name, ""))) {
    reader.set_lines_only(true);
  }
  ByteBuffer first;
  auto any = reader.Next(&first);
  if (!any.ok()) {
    return absl::Status(any.status().code(),
                        absl::StrCat(source_name, ":1: ", any.status().message()));
  }
  if (!*any) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, " is empty"));
  }
  const bool json =
      format == InputFormat::kJsonLines ||
      (format == InputFormat::kAuto && LooksLikeJsonLines(format_name, first.view()));
  if (json) reader.set_lines_only(true);
  std::vector<std::string> labels;  // column names as errors print them
  std::vector<Role> roles;
  uint64_t header_lines = 0;
  size_t first_start = 0;  // where the first block's rows start
  if (!json) {
    auto header = ReadCsvHeader(reader, &first, options.max_record_bytes);
    if (!header.ok()) {
      return absl::Status(header.status().code(),
                          absl::StrCat(source_name, ":", header.status().message()));
    }
    auto mapped = MapColumns(*view, header->names, true);
    if (!mapped.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source_name, ":", header->lines,
                                                     ": ", mapped.status().message()));
    }
    roles = std::move(*mapped);
    labels = std::move(header->labels);
    header_lines = header->lines;
    first_start = header->end;
  } else if (absl::StartsWith(first.view(), kUtf8Bom)) {
    // A byte-order mark, which RFC 8259 lets a reader skip (Windows tools write one).
    first_start = kUtf8Bom.size();
  }

  struct Job {
    size_t index;
    ByteBuffer data;
    size_t start = 0;
  };
  ASSIGN_OR_RETURN(auto run_file, RunFile::Create(absl::StrCat(store_->dir(), "/tmp")));
  // Buffers go back to pools once used: fresh memory costs page faults.
  std::mutex pool_mu;
  std::vector<ByteBuffer> pool;                 // read buffers
  std::vector<std::string> arenas;              // parse buffers
  std::vector<std::vector<Entry>> entry_pools;  // sort keys
  std::vector<ByteBuffer> spills;               // sorted runs on their way out
  internal::BoundedQueue<Job> jobs(kWorkers + 1);
  std::vector<std::unique_ptr<ParsedBlock>> blocks;
  std::mutex blocks_mu;
  std::atomic<size_t> first_error{SIZE_MAX};
  std::atomic<bool> spill_failed{false};
  absl::Status spill_status;
  std::vector<std::thread> workers;
  const auto take = [&](auto* from) {
    std::lock_guard lock(pool_mu);
    typename std::remove_pointer_t<decltype(from)>::value_type x;
    if (!from->empty()) {
      x = std::move(from->back());
      from->pop_back();
    }
    return x;
  };
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      Job job;
      std::vector<Entry> sort_scratch;
      while (jobs.Pop(&job)) {
        auto block = std::make_unique<ParsedBlock>();
        block->index = job.index;
        if (job.index < first_error.load() && !spill_failed.load()) {
          const absl::string_view data = job.data.view().substr(job.start);
          block->arena = take(&arenas);
          block->arena.clear();
          block->arena.reserve(data.size() + data.size() / 2);
          block->entries = take(&entry_pools);
          block->entries.clear();
          block->entries.reserve(data.size() / 40 + 16);
          if (json) {
            job.data.Reserve(job.data.size() + simdjson::SIMDJSON_PADDING);
            ParseJsonBlock(*view, unit, reader_name, now,
                           job.data.view().substr(job.start),
                           job.data.capacity() - job.start, block.get());
          } else {
            ParseCsvBlock(*view, roles, labels, options.max_record_bytes, unit,
                          reader_name, now, data, block.get());
          }
          if (block->error.has_value()) {
            size_t cur = first_error.load();
            while (job.index < cur &&
                   !first_error.compare_exchange_weak(cur, job.index)) {
            }
          }
          for (Entry& e : block->entries) {
            e.rec = block->arena.data() + reinterpret_cast<uintptr_t>(e.rec);
            e.k0 = codec::KeyWord(e.rec, e.klen, 4);
            e.k1 = codec::KeyWord(e.rec, e.klen, 12);
          }
          // Sorted, and of equal keys only the last in the file kept, then spilled.
          auto& es = block->entries;
          block->rows = es.size();
          SortEntries(&es, &sort_scratch);
          size_t bytes = 0, kept = 0;
          for (size_t i = 0; i < es.size(); ++i) {
            if (i + 1 < es.size() && CompareKeys(es[i], es[i + 1]) == 0) continue;
            es[kept++] = es[i];
            bytes += sizeof(RunHeader) + es[i].klen + es[i].vlen;
          }
          es.resize(kept);
          if (!block->error.has_value() && kept > 0) {
            ByteBuffer spill = take(&spills);
            spill.Resize(bytes);
            char* p = spill.data();
            for (size_t i = 0; i < kept; ++i) {
              const Entry& e = es[i];
              if (i % kRunSampleEvery == 0) {
                block->run.samples.emplace_back(p - spill.data(), std::string(e.key()));
              }
              const RunHeader h{e.klen, e.vlen};
              std::memcpy(p, &h, sizeof h);
              std::memcpy(p + sizeof h, e.rec, e.klen + e.vlen);
              p += sizeof h + e.klen + e.vlen;
            }
            auto at = run_file->Append(spill.view());
            if (at.ok()) {
              block->run.offset = *at;
              block->run.bytes = bytes;
              for (auto& sample : block->run.samples) sample.first += *at;
            } else {
              std::lock_guard lock(pool_mu);
              if (spill_status.ok()) spill_status = at.status();
              spill_failed = true;
            }
            std::lock_guard lock(pool_mu);
            spills.push_back(std::move(spill));
          }
        }
        {
          std::lock_guard lock(pool_mu);
          pool.push_back(std::move(job.data));
          arenas.push_back(std::move(block->arena));
          entry_pools.push_back(std::move(block->entries));
        }
        std::lock_guard lock(blocks_mu);
        blocks.push_back(std::move(block));
      }
    });
  }
  absl::Status read_status;
  {
    size_t index = 0;
    ByteBuffer data = std::move(first);
    size_t start = first_start;
    while (true) {
      if (data.size() > start && !jobs.Push({index++, std::move(data), start})) break;
      start = 0;
      if (first_error.load() != SIZE_MAX || spill_failed.load()) break;
      if (options.progress) options.progress(reader.bytes_read());
      data = take(&pool);
      auto more = reader.Next(&data);
      if (!more.ok()) {
        read_status = more.status();
        break;
      }
      if (!*more) break;
    }
  }
  jobs.Close();
  for (auto& t : workers) t.join();
  pool.clear();
  arenas.clear();
  entry_pools.clear();
  spills.clear();
  std::sort(blocks.begin(), blocks.end(),
            [](const auto& a, const auto& b) { return a->index < b->index; });
  uint64_t line = header_lines;
  for (const auto& b : blocks) {
    if (b->error.has_value()) {
      return absl::Status(b->error_code, absl::StrCat(source_name, ":", line + b->error->first,
                                                      ": ", b->error->second));
    }
    line += b->lines;
  }
  // A read error comes after every block read before it: a record too long starts
  // on the line after them.
  if (!read_status.ok()) {
    if (read_status.code() != absl::StatusCode::kResourceExhausted) return read_status;
    return absl::ResourceExhaustedError(
        absl::StrCat(source_name, ":", line + 1, ": ", read_status.message()));
  }
  RETURN_IF_ERROR(spill_status);

  // Each block's rows are a sorted run; they are merged while written.
  IngestResult result;
  Micros min_event = INT64_MAX, max_event = INT64_MIN;
  std::vector<std::pair<uint64_t, uint64_t>> runs;  // [begin, end) in the run file
  for (const auto& b : blocks) {
    result.rows += b->rows;
    runs.emplace_back(b->run.offset, b->run.offset + b->run.bytes);
    min_event = std::min(min_event, b->min_event);
    max_event = std::max(max_event, b->max_event);
  }
  if (result.rows == 0) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, " has no rows"));
  }
  result.min_event = min_event;
  result.max_event = max_event;

  // A file is stored as a dataset version, unless one holds its content already.
  const std::string dataset_name =
      options.dataset.empty() ? absl::StrCat(view_name, "-ingest") : options.dataset;
  NewVersion nv;
  nv.artifact = {Kind::kDataset, dataset_name};
  nv.metadata = {{"featureview", absl::StrCat(view_name, "@", view->version)},
                 {"format", json ? "jsonl" : "csv"},
                 {"rows", absl::StrCat(result.rows)}};
  nv.creator = options.creator;
  nv.message = options.message.empty()
                   ? absl::StrCat("ingested into featureview/", view_name)
                   : options.message;
  if (!stored.has_value()) RETURN_IF_ERROR(store_->artifacts().Check(nv));
  // The file is stored while the rows are written: one is compute-bound, the other
  // waits on memory.
  absl::StatusOr<PutStats> put = absl::UnknownError("not stored");
  std::thread putter;
  if (!stored.has_value()) {
    putter = std::thread([&] {
      auto content_source = OpenFileSource(file);
      put = content_source.ok() ? store_->content().Put(**content_source)
                                : absl::StatusOr<PutStats>(content_source.status());
    });
  }
  absl::Cleanup join_putter = [&] {
    if (putter.joinable()) putter.join();
  };

  // Write the rows under a new ingest number; they stay invisible until Commit.
  ASSIGN_OR_RETURN(uint64_t ingest, impl_->tables.Reserve(view_name));
  internal::Db& db = store_->internal_db();
  rocksdb::ColumnFamilyHandle* log_cf = db.cf(Cf::kFeatureLog);
  result.bulk = result.rows >= options.bulk_threshold_rows;
  std::vector<std::pair<std::string, std::string>> online;
  if (result.bulk) {
    // Two SST files, split at an entity boundary, merged and written in parallel.
    std::vector<std::vector<std::pair<uint64_t, uint64_t>>> parts(1, runs);
    if (result.rows >= 2 * options.bulk_threshold_rows) {
      const ParsedBlock& longest = **std::max_element(
          blocks.begin(), blocks.end(),
          [](const auto& a, const auto& b) { return a->run.bytes < b->run.bytes; });
      const std::string& middle =
          longest.run.samples[longest.run.samples.size() / 2].second;
      const std::string split = middle.substr(0, middle.size() - codec::kRowOrderBytes);
      parts.assign(2, {});
      for (size_t r = 0; r < runs.size(); ++r) {
        // From the last sample before the split, record by record.
        const auto& ss = blocks[r]->run.samples;
        auto s = std::partition_point(ss.begin(), ss.end(),
                                      [&](const auto& x) { return x.second < split; });
        uint64_t cut = runs[r].second;
        if (s != ss.begin()) {
          RunReader reader(run_file.get(), (s - 1)->first, runs[r].second);
          ASSIGN_OR_RETURN(bool more, reader.Start());
          while (more && reader.record().key < absl::string_view(split)) {
            ASSIGN_OR_RETURN(more, reader.Advance());
          }
          if (more) cut = reader.offset();
        } else {
          cut = runs[r].first;
        }
        parts[0].emplace_back(runs[r].first, cut);
        parts[1].emplace_back(cut, runs[r].second);
      }
    }
    ScratchPath dir(*store_, absl::StrCat("ingest-", ingest));
    std::filesystem::create_directories(dir.path());
    const rocksdb::Options rocks_options = db.raw()->GetOptions(log_cf);
    std::vector<std::string> files;
    std::vector<absl::Status> statuses(parts.size());
    std::vector<std::unique_ptr<EntryWriter>> writers(parts.size());
    std::vector<std::thread> threads;
    for (size_t p = 0; p < parts.size(); ++p) {
      files.push_back(absl::StrCat(dir.path(), "/part-", p, ".sst"));
    }
    for (size_t p = 0; p < parts.size(); ++p) {
      threads.emplace_back([&, p] {
        rocksdb::SstFileWriter sst(rocksdb::EnvOptions(), rocks_options, log_cf);
        statuses[p] = internal::FromRocks(sst.Open(files[p]), "opening SST file");
        if (!statuses[p].ok()) return;
        writers[p] = std::make_unique<EntryWriter>(
            ingest, options.log_chunk_bytes,
            [&](absl::string_view k, absl::string_view v) {
              return internal::FromRocks(
                  sst.Put(internal::ToSlice(k), internal::ToSlice(v)),
                  "writing SST file");
            });
        statuses[p] = RunMerger(run_file.get(), parts[p]).Run(std::ref(*writers[p]));
        if (statuses[p].ok()) statuses[p] = writers[p]->Flush();
        if (statuses[p].ok() && writers[p]->written() > 0) {
          statuses[p] = internal::FromRocks(sst.Finish(), "finishing SST file");
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& s : statuses) RETURN_IF_ERROR(s);
    std::vector<std::string> written_files;
    for (size_t p = 0; p < parts.size(); ++p) {
      result.written += writers[p]->written();
      if (writers[p]->written() > 0) written_files.push_back(files[p]);
      auto& o = writers[p]->online();
      online.insert(online.end(), std::make_move_iterator(o.begin()),
                    std::make_move_iterator(o.end()));
    }
    rocksdb::IngestExternalFileOptions ingest_options;
    ingest_options.move_files = true;
    RETURN_IF_ERROR(internal::FromRocks(
        db.raw()->IngestExternalFile(log_cf, written_files, ingest_options),
        "ingesting SST files"));
  } else {
    rocksdb::WriteBatch batch;
    EntryWriter writer(
        ingest, options.log_chunk_bytes, [&](absl::string_view k, absl::string_view v) {
          return internal::FromRocks(
              batch.Put(log_cf, internal::ToSlice(k), internal::ToSlice(v)), "write");
        });
    RETURN_IF_ERROR(RunMerger(run_file.get(), runs).Run(std::ref(writer)));
    RETURN_IF_ERROR(writer.Flush());
    RETURN_IF_ERROR(db.WriteUnlocked(&batch, /*sync=*/false));
    result.written = writer.written();
    online = std::move(writer.online());
  }
  if (putter.joinable()) putter.join();
  if (!options.update_online) online.clear();
  if (stored.has_value()) {
    result.source = IngestSource::kRead;
    result.dataset = VersionRef(*stored);
  } else {
    RETURN_IF_ERROR(put.status());
    // Content with a chunk the store lacked is held by no live version (a live
    // version's chunks are all stored): only content stored before needs the scan.
    std::vector<store::Version> same;
    if (put->new_chunks == 0) {
      ASSIGN_OR_RETURN(same, VersionsWithContent(db, put->content_id, options.dataset));
    }
    if (!same.empty()) {
      result.source = IngestSource::kSameContent;
      result.same_content = same.size();
      result.dataset = VersionRef(same.front());
    } else {
      nv.content_id = put->content_id;
      ASSIGN_OR_RETURN(CommitResult dataset, store_->artifacts().Commit(nv));
      result.dataset = VersionRef(dataset.version);
    }
  }
  result.inputs = inputs;

  IngestRecord record;
  record.set_ingest(ingest);
  record.set_view(view_name);
  record.set_view_version(view->version);
  record.set_dataset(result.dataset);
  for (const std::string& input : inputs) record.add_inputs(input);
  record.set_rows(result.written);
  record.set_received_us(internal::NowMicros());
  record.set_creator(options.creator.who);
  record.set_on_behalf_of(options.creator.on_behalf_of);
  record.set_min_event_us(min_event);
  record.set_max_event_us(max_event);
  record.set_bulk(result.bulk);
  record.set_update_online(options.update_online);
  RETURN_IF_ERROR(impl_->tables.Commit(
      record, internal::VersionNode("featureview", view_name, view->version), online));
  if (impl_->online_cache != nullptr) {
    for (const auto& [key, value] : online) {
      impl_->online_cache->Update(key, value, codec::kOnlineHeaderBytes);
    }
  }
  // The online table now holds a merge operand per entity; a lookup of an operand
  // searches every level for a base value and merges it. After a large ingest,
  // compacting the view's range leaves one plain value per entity.
  if (online.size() >= kCompactOnlineRows) {
    std::string begin, end;
    codec::PutBE32(&begin, view->id);
    codec::PutBE32(&end, view->id + 1);
    const rocksdb::Slice b(begin), e(end);
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForceOptimized;
    db.raw()
        ->CompactRange(compact, db.cf(Cf::kFeatureOnline), &b, &e)
        .PermitUncheckedError();
  }
  result.ingest = ingest;
  result.view_version = absl::StrCat("featureview/", view_name, "@", view->version);
  return result;
}

}  // namespace strata::features
