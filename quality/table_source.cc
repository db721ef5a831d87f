#include "quality/table_source.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "features/codec.h"
#include "features/csv.h"
#include "features/definitions.h"
#include "features/values.h"
#include "simdjson.h"
#include "store/excerpt.h"
#include "store/ref.h"
#include "store/status_macros.h"

namespace strata::quality {
namespace {

using features::Micros;

// Reads a stored content as a stream, a range of it per Read (each range's chunks
// verified by ContentStore::Get).
class ContentSource : public ByteSource {
 public:
  ContentSource(ContentStore* content, Digest id, uint64_t size)
      : content_(content), id_(id), size_(size) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (offset_ >= size_ || n == 0) return 0;
    BufferSink sink(buf, n);
    RETURN_IF_ERROR(content_->Get(id_, sink, nullptr, offset_, n));
    offset_ += sink.written;
    return sink.written;
  }
  std::optional<uint64_t> SizeHint() const override { return size_; }

 private:
  struct BufferSink : ByteSink {
    BufferSink(char* buf, size_t cap) : buf(buf), cap(cap) {}
    absl::Status Write(absl::string_view data) override {
      const size_t n = std::min(data.size(), cap - written);
      std::memcpy(buf + written, data.data(), n);
      written += n;
      return absl::OkStatus();
    }
    char* buf;
    size_t cap, written = 0;
  };
  ContentStore* content_;
  Digest id_;
  uint64_t size_, offset_ = 0;
};

bool ParseInt(absl::string_view text, int64_t* v) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

// Clinger's fast path: digits (an integer below 2^53) divided by a power of ten that
// a double holds exactly (at most 1e22) is one correctly rounded division, so the
// same double as from_chars gives, at a fraction of its cost.
inline bool ParsePlainDecimal(absl::string_view text, double* v) {
  static constexpr double kPowersOfTen[] = {
      1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = text.data();
  const char* const end = p + text.size();
  const bool negative = p < end && *p == '-';
  if (p < end && (*p == '+' || *p == '-')) ++p;
  uint64_t digits = 0;
  int count = 0, fraction = 0;
  const auto read_digits = [&] {
    const char* from = p;
    for (; p < end && static_cast<unsigned>(*p - '0') <= 9; ++p) {
      digits = digits * 10 + static_cast<unsigned>(*p - '0');
    }
    count += static_cast<int>(p - from);
    return static_cast<int>(p - from);
  };
  if (read_digits() == 0) return false;
  if (p < end && *p == '.') {
    ++p;
    fraction = read_digits();
    if (fraction == 0) return false;
  }
  if (p != end || count > 19 || fraction > 22 || digits > (uint64_t{1} << 53))
    return false;
  const double x = static_cast<double>(digits) / kPowersOfTen[fraction];
  *v = negative ? -x : x;
  return true;
}

bool ParseDouble(absl::string_view text, double* v) {
  if (ParsePlainDecimal(text, v)) return true;
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty() ||
      !(absl::ascii_isdigit(text[0]) || text[0] == '-' || text[0] == '.')) {
    return false;  // from_chars reads "nan" and "inf"
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
  return ec == std::errc() && ptr == text.data() + text.size() && std::isfinite(*v);
}

bool ParseBool(absl::string_view text, double* v) {
  if (absl::EqualsIgnoreCase(text, "true")) {
    *v = 1;
    return true;
  }
  if (absl::EqualsIgnoreCase(text, "false")) {
    *v = 0;
    return true;
  }
  return false;
}

// RFC 3339 only (an integer is a number, not a time, unless a view says so).
bool ParseRfc3339(absl::string_view text, double* v) {
  if (text.size() < 10 || text[4] != '-' || !absl::ascii_isdigit(text[0])) return false;
  absl::StatusOr<Micros> t = features::ParseTimestamp(text, features::TimeUnit::kSeconds);
  if (!t.ok()) return false;
  *v = static_cast<double>(*t);
  return true;
}

enum class NumberShape { kNone, kInteger, kDecimal, kExponent };

// The shape of a number (sign, digits, fraction, exponent) without converting it:
// the first pass reads every value of a file, and from_chars costs several times
// this. What the shape cannot settle (an int64 of 19 digits, an exponent) is
// parsed.
NumberShape ShapeOf(absl::string_view t) {
  size_t i = 0, digits = 0;
  const size_t n = t.size();
  if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
  for (; i < n && absl::ascii_isdigit(t[i]); ++i) ++digits;
  bool decimal = false;
  if (i < n && t[i] == '.') {
    decimal = true;
    for (++i; i < n && absl::ascii_isdigit(t[i]); ++i) ++digits;
  }
  if (digits == 0) return NumberShape::kNone;
  bool exponent_part = false;
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    exponent_part = true;
    if (++i < n && (t[i] == '+' || t[i] == '-')) ++i;
    size_t exponent = 0;
    for (; i < n && absl::ascii_isdigit(t[i]); ++i) ++exponent;
    if (exponent == 0) return NumberShape::kNone;
  }
  if (i != n) return NumberShape::kNone;
  if (exponent_part) return NumberShape::kExponent;
  return decimal ? NumberShape::kDecimal : NumberShape::kInteger;
}

// Whether `t` is an int64 as inference takes one (ShapeOf kInteger, and in range),
// and its value: what ShapeOf and ParseInt give, without their separate walks for
// the usual 18 digits or fewer.
inline bool ParseInteger(absl::string_view t, int64_t* v) {
  size_t i = 0;
  const bool negative = !t.empty() && t[0] == '-';
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) ++i;
  const size_t digits = t.size() - i;
  if (digits == 0 || digits > 18) {
    return ShapeOf(t) == NumberShape::kInteger && ParseInt(t, v);
  }
  uint64_t x = 0;
  for (; i < t.size(); ++i) {
    const unsigned d = static_cast<unsigned char>(t[i]) - unsigned{'0'};
    if (d > 9) return false;
    x = x * 10 + d;
  }
  *v = negative ? -static_cast<int64_t>(x) : static_cast<int64_t>(x);
  return true;
}

// What inference learns of a column: which types every value fits.
struct Inference {
  bool any = false, int64 = true, dbl = true, boolean = true, timestamp = true;

  void Add(absl::string_view text) {
    any = true;
    int64_t i;
    double d;
    if (int64 || dbl) {
      const NumberShape shape = ShapeOf(text);
      if (shape != NumberShape::kInteger ||
          (int64 && text.size() > 18 && !ParseInt(text, &i))) {
        int64 = false;
      }
      // Without an exponent, fewer than 300 digits are a finite double.
      const bool finite = text.size() < 300 && shape != NumberShape::kExponent;
      if (shape == NumberShape::kNone || (dbl && !finite && !ParseDouble(text, &d))) {
        dbl = false;
      }
    }
    if (boolean && !ParseBool(text, &d)) boolean = false;
    if (timestamp && !ParseRfc3339(text, &d)) timestamp = false;
  }
  // What both pieces' values fit.
  void Merge(const Inference& other) {
    any = any || other.any;
    int64 = int64 && other.int64;
    dbl = dbl && other.dbl;
    boolean = boolean && other.boolean;
    timestamp = timestamp && other.timestamp;
  }
  ColumnType Type() const {
    if (!any) return ColumnType::kString;  // no value says otherwise
    if (int64) return ColumnType::kInt64;
    if (dbl) return ColumnType::kDouble;
    if (boolean) return ColumnType::kBool;
    if (timestamp) return ColumnType::kTimestamp;
    return ColumnType::kString;
  }
};

// How each column's text becomes a value.
struct ColumnPlan {
  std::string name;
  std::string label;  // as errors print it
  ColumnType type = ColumnType::kString;
  bool declared = false;  // by the view: integers are times in `unit`
  features::TimeUnit unit = features::TimeUnit::kSeconds;
  Inference inference;
  // Inferred from a first block that held no value of it: kString so far, and any
  // value breaks the guess.
  bool unknown = false;
};

// One record's fields: text, and whether there is a value.
struct Field {
  absl::string_view text;
  bool present = false;
};

// Reads the records of a JSON lines content, block by block (CSV goes through
// CsvPass, below).
class RecordReader {
 public:
  RecordReader(ByteSource* source, std::string name, const ScanOptions& options)
      : source_(source),
        name_(std::move(name)),
        options_(options),
        reader_(source, std::max<size_t>(options.read_bytes, 1)) {}

  // Reads the first block (no column names until the first pass has read every
  // line).
  absl::Status Start() {
    reader_.set_lines_only(true);
    ASSIGN_OR_RETURN(more_, reader_.Next(&block_));
    return absl::OkStatus();
  }

  // Calls fn(line, fields) per record; `keys` maps names to field indexes and grows
  // with names not seen before when `grow`.
  template <typename Fn>
  absl::Status ForEach(absl::flat_hash_map<std::string, size_t>* keys, bool grow, Fn fn) {
    std::vector<Field> fields;
    while (more_) {
      RETURN_IF_ERROR(JsonBlock(block_.view(), keys, grow, &fields, fn));
      if (options_.progress) options_.progress(reader_.bytes_read(), SizeHint());
      absl::StatusOr<bool> more = reader_.Next(&block_);
      if (!more.ok()) return Prefix(more.status(), base_line_ + 1);
      more_ = *more;
    }
    return absl::OkStatus();
  }

 private:
  uint64_t SizeHint() const { return source_->SizeHint().value_or(0); }

  absl::Status Prefix(const absl::Status& s, uint64_t line = 0) const {
    if (line == 0) return absl::Status(s.code(), absl::StrCat(name_, ": ", s.message()));
    return absl::Status(s.code(), absl::StrCat(name_, ":", line, ": ", s.message()));
  }

  template <typename Fn>
  absl::Status JsonBlock(absl::string_view data,
                         absl::flat_hash_map<std::string, size_t>* keys, bool grow,
                         std::vector<Field>* fields, Fn& fn) {
    size_t start = 0;
    while (start < data.size()) {
      size_t end = data.find('\n', start);
      if (end == absl::string_view::npos) end = data.size();
      absl::string_view line = data.substr(start, end - start);
      start = end + 1;
      ++base_line_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (base_line_ == 1 && absl::StartsWith(line, "\xEF\xBB\xBF"))
        line.remove_prefix(3);
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      simdjson::dom::element doc;
      if (auto error = parser_.parse(line.data(), line.size()).get(doc); error) {
        return Invalid(
            absl::StrCat("not a JSON object: ", simdjson::error_message(error)));
      }
      simdjson::dom::object object;
      if (doc.get(object) != simdjson::SUCCESS) return Invalid("not a JSON object");
      texts_.clear();
      for (auto [json_key, value] : object) {
        const absl::string_view key(json_key.data(), json_key.size());
        auto it = keys->find(key);
        if (it == keys->end()) {
          if (!grow) return Invalid(absl::StrCat("unknown key \"", key, "\""));
          it = keys->emplace(std::string(key), keys->size()).first;
        }
        std::string text;
        switch (value.type()) {
          case simdjson::dom::element_type::NULL_VALUE:
            continue;
          case simdjson::dom::element_type::STRING: {
            std::string_view sv = value.get_string().value();
            text.assign(sv.data(), sv.size());
          } break;
          case simdjson::dom::element_type::BOOL:
            text = value.get_bool().value() ? "true" : "false";
            break;
          case simdjson::dom::element_type::INT64:
            text = absl::StrCat(value.get_int64().value());
            break;
          case simdjson::dom::element_type::UINT64:
            text = absl::StrCat(value.get_uint64().value());
            break;
          case simdjson::dom::element_type::DOUBLE: {
            char buf[32];
            auto r = std::to_chars(buf, buf + sizeof buf, value.get_double().value());
            text.assign(buf, r.ptr);
            break;
          }
          default:
            text = simdjson::minify(value);
        }
        texts_.emplace_back(it->second, std::move(text));
      }
      fields->assign(keys->size(), Field{});
      for (const auto& [i, text] : texts_) (*fields)[i] = {text, !text.empty()};
      RETURN_IF_ERROR(fn(base_line_, *fields));
    }
    return absl::OkStatus();
  }

  absl::Status Invalid(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(name_, ":", base_line_, ": ", what));
  }

  ByteSource* source_;
  std::string name_;
  const ScanOptions& options_;
  features::CsvBlockReader reader_;
  features::ByteBuffer block_;
  bool more_ = false;
  uint64_t base_line_ = 0;
  simdjson::dom::parser parser_;
  std::vector<std::pair<size_t, std::string>> texts_;
};

// What the scans below hand their blocks to: ScanSource's callback, or ReadSource's,
// which may take the block's columns (the scan sets them up again).
using BlockSink = std::function<absl::Status(TableBlock&)>;

// Accumulates rows into blocks of `rows` (0: Append's blocks as they come, at most
// 65536 rows from EndRow) and hands them to fn.
class BlockBuilder {
 public:
  BlockBuilder(const std::vector<ColumnPlan>& plans, size_t rows, const BlockSink& fn)
      : rows_(rows == 0 ? 65536 : rows), as_they_come_(rows == 0), fn_(fn) {
    for (const ColumnPlan& p : plans) {
      Column& c = block_.columns.emplace_back();
      c.name = p.name;
      c.type = p.type;
    }
    Reserve();
  }
  Column& column(size_t i) { return block_.columns[i]; }
  TableBlock& block() { return block_; }

  // Appends `rows`' rows (columns as this builder's, in order), handing each block
  // filled to fn.
  absl::Status Append(TableBlock&& rows) {
    if (as_they_come_) {
      if (rows.rows == 0) return absl::OkStatus();
      flushed_ = true;
      return fn_(rows);
    }
    for (size_t from = 0; from < rows.rows;) {
      const size_t take = std::min(rows_ - block_.rows, rows.rows - from);
      for (size_t i = 0; i < block_.columns.size(); ++i) {
        Column& to = block_.columns[i];
        Column& c = rows.columns[i];
        to.present.insert(to.present.end(), c.present.begin() + from,
                          c.present.begin() + from + take);
        if (to.type == ColumnType::kString) {
          to.strings.insert(to.strings.end(),
                            std::make_move_iterator(c.strings.begin() + from),
                            std::make_move_iterator(c.strings.begin() + from + take));
        } else {
          to.numbers.insert(to.numbers.end(), c.numbers.begin() + from,
                            c.numbers.begin() + from + take);
        }
      }
      block_.rows += take;
      from += take;
      if (block_.rows == rows_) RETURN_IF_ERROR(Flush());
    }
    return absl::OkStatus();
  }
  // Call after each row's values are appended.
  absl::Status EndRow() {
    if (++block_.rows < rows_) return absl::OkStatus();
    return Flush();
  }
  // Hands the rows held (or, for a table without rows, the empty block) to fn.
  absl::Status Finish() {
    if (block_.rows > 0 || !flushed_) return Flush();
    return absl::OkStatus();
  }

 private:
  absl::Status Flush() {
    flushed_ = true;
    std::vector<std::pair<std::string, ColumnType>> names;
    for (Column& c : block_.columns) names.emplace_back(c.name, c.type);
    RETURN_IF_ERROR(fn_(block_));
    block_.rows = 0;
    block_.columns.resize(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      Column& c = block_.columns[i];
      std::tie(c.name, c.type) = std::move(names[i]);
      c.numbers.clear();
      c.strings.clear();
      c.present.clear();
    }
    Reserve();  // capacity kept, unless fn took the columns
    return absl::OkStatus();
  }
  void Reserve() {
    for (Column& c : block_.columns) {
      c.present.reserve(rows_);
      if (c.type == ColumnType::kString) {
        c.strings.reserve(rows_);
      } else {
        c.numbers.reserve(rows_);
      }
    }
  }
  const size_t rows_;
  const bool as_they_come_;
  const BlockSink& fn_;
  TableBlock block_;
  bool flushed_ = false;
};

// The number `text` (present) stands for in a column of `plan`'s type (not a
// string); false when it is not one. An inferred column's test is inference's own,
// so a value converts exactly when it fits the type inferred.
bool ConvertText(const ColumnPlan& plan, absl::string_view text, double* v) {
  switch (plan.type) {
    case ColumnType::kInt64: {
      int64_t i;
      if (!ParseInteger(text, &i) && !(plan.declared && ParseInt(text, &i))) return false;
      *v = static_cast<double>(i);
      return true;
    }
    case ColumnType::kDouble:
      return ParseDouble(text, v);
    case ColumnType::kBool:
      return ParseBool(text, v);
    case ColumnType::kTimestamp: {
      if (!plan.declared) return ParseRfc3339(text, v);
      absl::StatusOr<Micros> t = features::ParseTimestamp(text, plan.unit);
      if (!t.ok()) return false;
      *v = static_cast<double>(*t);
      return true;
    }
    case ColumnType::kString:
      break;
  }
  return false;
}

absl::Status NotA(const ColumnPlan& plan, absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("column ", plan.label, ": ",
                                                 Excerpt(text), " is not a ",
                                                 ColumnTypeName(plan.type)));
}

// Appends `text` (present or not) to `column` as `plan` says.
absl::Status AppendText(const ColumnPlan& plan, const Field& f, Column& column) {
  column.present.push_back(f.present ? 1 : 0);
  if (plan.type == ColumnType::kString) {
    column.strings.emplace_back(f.present ? f.text : absl::string_view());
    return absl::OkStatus();
  }
  double v = 0;
  if (f.present && !ConvertText(plan, f.text, &v)) return NotA(plan, f.text);
  column.numbers.push_back(v);
  return absl::OkStatus();
}

bool LooksLikeJson(absl::string_view head) {
  if (absl::StartsWith(head, "\xEF\xBB\xBF")) head.remove_prefix(3);
  head = absl::StripLeadingAsciiWhitespace(head);
  return !head.empty() && head[0] == '{';
}

// The declared column types of `view_ref`'s latest (or named) definition.
absl::StatusOr<
    absl::flat_hash_map<std::string, std::pair<ColumnType, features::TimeUnit>>>
DeclaredTypes(features::FeatureStore& fs, const std::string& view_ref) {
  ASSIGN_OR_RETURN(features::FeatureView view, fs.registry().Get(view_ref));
  features::TimeUnit unit = features::TimeUnit::kSeconds;
  if (!view.timestamp_unit().empty()) {
    ASSIGN_OR_RETURN(unit, features::ParseTimeUnit(view.timestamp_unit()));
  }
  absl::flat_hash_map<std::string, std::pair<ColumnType, features::TimeUnit>> out;
  for (const features::Entity& e : view.entities()) {
    for (const features::JoinKey& k : e.join_keys()) {
      out[k.name()] = {ColumnTypeOf(k.type()), unit};
    }
  }
  out["event_timestamp"] = {ColumnType::kTimestamp, unit};
  out["created_timestamp"] = {ColumnType::kTimestamp, unit};
  for (const features::Feature& f : view.features()) {
    out[f.name()] = {ColumnTypeOf(f.type()), unit};
  }
  return out;
}

using DeclaredTypeMap =
    absl::flat_hash_map<std::string, std::pair<ColumnType, features::TimeUnit>>;

// What a parse of a CSV block does: learn what each undeclared column's values fit
// (kInfer), or convert every value to its column's type (kConvert).
enum class ParseMode { kInfer, kConvert };

// How a pass parses: the columns' plans, and whether the undeclared ones' types are
// a guess from the first block (a value that does not fit is then a misfit, not an
// error).
struct CsvSchema {
  const std::vector<std::string>* labels = nullptr;  // the header's, for errors
  std::vector<ColumnPlan> plans;
  bool guessed = false;
};

// One block of records: its bytes, and what a parse of them gave.
struct Piece {
  features::ByteBuffer bytes;
  size_t start = 0;  // where the records start (past the header in the first block)
  ParseMode mode = ParseMode::kConvert;
  // Results.
  absl::Status status;      // a bad record or value, its message without the line
  uint64_t error_line = 0;  // the line of the block it is on, from 1
  uint64_t lines = 0;       // lines the block's records span
  bool misfit = false;      // kConvert of a guess: a value does not fit its column
  TableBlock rows;          // kConvert
  std::vector<Inference> inferences;  // kInfer, per column
};

// Parses `piece` as its mode says. Thread-safe for distinct pieces of one schema.
void ParsePiece(const CsvSchema& schema, Piece& piece) {
  const std::vector<ColumnPlan>& plans = schema.plans;
  const size_t n = plans.size();
  piece.status = absl::OkStatus();
  piece.misfit = false;
  piece.rows = TableBlock();
  piece.inferences.clear();
  const absl::string_view data = piece.bytes.view().substr(piece.start);
  if (piece.mode == ParseMode::kInfer) {
    piece.inferences.resize(n);
  } else {
    // Room for a row per line: the columns never grow (and copy) while parsed.
    size_t lines = 1;
    for (const char *p = data.data(), *end = p + data.size();
         (p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr; ++p) {
      ++lines;
    }
    for (const ColumnPlan& p : plans) {
      Column& c = piece.rows.columns.emplace_back();
      c.name = p.name;
      c.type = p.type;
      c.present.reserve(lines);
      if (p.type == ColumnType::kString) {
        c.strings.reserve(lines);
      } else {
        c.numbers.reserve(lines);
      }
    }
  }
  features::CsvRecords records(data, schema.labels);
  const auto fail = [&](absl::Status s) {
    piece.status = std::move(s);
    piece.error_line = records.line();
  };
  while (true) {
    absl::StatusOr<bool> next = records.NextRow(n);
    if (!next.ok()) return fail(next.status());
    if (!*next) break;
    const std::vector<absl::string_view>& fields = records.fields();
    if (piece.mode == ParseMode::kInfer) {
      for (size_t i = 0; i < n; ++i) {
        if (!fields[i].empty() && !plans[i].declared) piece.inferences[i].Add(fields[i]);
      }
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      const ColumnPlan& plan = plans[i];
      const absl::string_view text = fields[i];
      Column& c = piece.rows.columns[i];
      c.present.push_back(text.empty() ? 0 : 1);
      if (plan.type == ColumnType::kString) {
        if (plan.unknown && !text.empty()) {
          piece.misfit = true;
          return;
        }
        c.strings.emplace_back(text);
        continue;
      }
      double v = 0;
      // Plain decimals and integers (most numbers) without ConvertText's dispatch.
      int64_t integer;
      Micros micros;
      if (plan.type == ColumnType::kInt64 && ParseInteger(text, &integer)) {
        v = static_cast<double>(integer);
      } else if (plan.type == ColumnType::kTimestamp && plan.declared &&
                 ParseInteger(text, &integer) &&
                 features::codec::EpochToMicros(integer, plan.unit, &micros)) {
        v = static_cast<double>(micros);  // as ParseTimestamp reads an integer
      } else if (!text.empty() &&
                 !(plan.type == ColumnType::kDouble && ParsePlainDecimal(text, &v)) &&
                 !ConvertText(plan, text, &v)) {
        if (schema.guessed && !plan.declared) {
          piece.misfit = true;
          return;
        }
        return fail(NotA(plan, text));
      }
      c.numbers.push_back(v);
    }
    ++piece.rows.rows;
  }
  piece.lines = records.lines_read();
}

// One read of a CSV content from its header on: blocks of records read on the
// calling thread, parsed on up to ScanOptions::parse_threads workers, and handed
// back in order. Not thread-safe.
class CsvPass {
 public:
  CsvPass(ContentStore* content, Digest id, uint64_t size, std::string name,
          const ScanOptions& options)
      : source_(content, id, size),
        name_(std::move(name)),
        options_(options),
        reader_(&source_, std::max<size_t>(options.read_bytes, 1)) {}

  // Reads the header and the first block (first()). Errors: as ReadCsvHeader, and
  // InvalidArgument for a content without a header row, each naming the dataset.
  absl::Status Start() {
    Piece first;
    absl::StatusOr<features::CsvHeader> header =
        features::ReadCsvHeader(reader_, &first.bytes);
    if (!header.ok()) {
      return absl::Status(header.status().code(),
                          absl::StrCat(name_, ": ", header.status().message()));
    }
    if (header->names.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ": there is no header row"));
    }
    header_ = *std::move(header);
    first.start = header_.end;
    pending_.push_back(std::move(first));
    base_line_ = header_.lines;
    return absl::OkStatus();
  }

  const features::CsvHeader& header() const { return header_; }
  // The first block, until Run takes it.
  Piece& first() { return pending_.front(); }

  // Parses the blocks not yet taken, in `mode` each, and calls on_piece(piece) with
  // each in order; on_piece returns false to stop, leaving that piece and the ones
  // parsed after it to the next Run. Errors: a bad record or value, or a failed
  // read, as "NAME:LINE: ..."; on_piece's.
  template <typename OnPiece>
  absl::Status Run(const CsvSchema& schema, ParseMode mode, OnPiece on_piece) {
    std::deque<std::future<Piece>> parsing;
    const size_t depth = std::max<size_t>(options_.parse_threads, 1);
    const auto parse = [&schema](Piece piece) {
      ParsePiece(schema, piece);
      return piece;
    };
    while (true) {
      while (parsing.size() < depth && (!pending_.empty() || more_)) {
        Piece piece;
        if (!pending_.empty()) {
          piece = std::move(pending_.front());
          pending_.pop_front();
        } else {
          // The block read ahead (on its own thread, while the blocks before it
          // were parsed and handed back), then the next one's read starts.
          if (!ahead_.valid()) ReadAhead();
          Read read = ahead_.get();
          piece.bytes = std::move(read.bytes);
          bytes_read_ = read.bytes_read;
          absl::StatusOr<bool> more = std::move(read.more);
          if (!more.ok() || !*more) more_ = false;
          if (more_) ReadAhead();
          if (!more.ok()) {
            // In order: its line is the one after the blocks before it.
            parsing.push_back(std::async(std::launch::deferred, [s = more.status()] {
              Piece failed;
              failed.status = s;
              failed.error_line = 1;
              return failed;
            }));
            break;
          }
          if (!*more) break;
        }
        piece.mode = mode;
        parsing.push_back(std::async(std::launch::async, parse, std::move(piece)));
      }
      if (parsing.empty()) return absl::OkStatus();
      Piece piece = parsing.front().get();
      parsing.pop_front();
      if (!piece.status.ok()) {
        return absl::Status(piece.status.code(),
                            absl::StrCat(name_, ":", base_line_ + piece.error_line, ": ",
                                         piece.status.message()));
      }
      ASSIGN_OR_RETURN(bool go_on, on_piece(piece));
      if (!go_on) {
        std::deque<Piece> back;
        back.push_back(std::move(piece));
        for (std::future<Piece>& f : parsing) back.push_back(f.get());
        for (Piece& p : pending_) back.push_back(std::move(p));
        if (ahead_.valid()) {  // the block read ahead is the next to parse
          Read read = ahead_.get();
          bytes_read_ = read.bytes_read;
          more_ = false;
          if (!read.more.ok()) {  // reported in its place by the next Run
            ahead_error_ = read.more.status();
            more_ = true;
          } else if (*read.more) {
            more_ = true;
            Piece next;
            next.bytes = std::move(read.bytes);
            back.push_back(std::move(next));
          }
        }
        pending_ = std::move(back);
        return absl::OkStatus();
      }
      base_line_ += piece.lines;
      spare_.push_back(std::move(piece.bytes));
      if (options_.progress) {
        options_.progress(bytes_read_, source_.SizeHint().value_or(0));
      }
    }
  }

 private:
  // A block read by ReadAhead.
  struct Read {
    features::ByteBuffer bytes;
    absl::StatusOr<bool> more;  // as CsvBlockReader::Next
    uint64_t bytes_read = 0;    // the reader's, after this block
  };
  // Starts reading the next block on a thread of its own (one read in flight: the
  // reader is touched by nothing else meanwhile). REQUIRES: !ahead_.valid().
  void ReadAhead() {
    features::ByteBuffer bytes;
    if (!spare_.empty()) {
      bytes = std::move(spare_.back());
      spare_.pop_back();
    }
    if (!ahead_error_.ok()) {  // a failed read set aside by an early return
      Read failed;
      failed.more = std::exchange(ahead_error_, absl::OkStatus());
      std::promise<Read> done;
      done.set_value(std::move(failed));
      ahead_ = done.get_future();
      return;
    }
    ahead_ = std::async(std::launch::async, [this, bytes = std::move(bytes)]() mutable {
      Read read;
      read.more = reader_.Next(&bytes);
      read.bytes = std::move(bytes);
      read.bytes_read = reader_.bytes_read();
      return read;
    });
  }

  ContentSource source_;
  std::string name_;
  const ScanOptions& options_;
  features::CsvBlockReader reader_;
  features::CsvHeader header_;
  std::deque<Piece> pending_;                // read, not yet handed back
  bool more_ = true;                         // the reader may hold more blocks
  uint64_t base_line_ = 0;                   // lines before the next block handed back
  std::vector<features::ByteBuffer> spare_;  // blocks' memory, for the next reads
  uint64_t bytes_read_ = 0;                  // the reader's, after the last block
  absl::Status ahead_error_;                 // a read ahead's error, not yet reported
  std::future<Read> ahead_;                  // last: destroyed (waited for) first
};

// A CSV dataset's blocks (ScanSource's contract). Types that a view does not
// declare are inferred: from the first block alone when the caller can start over
// (options.restart), checking every later value against them, else by a first
// pass over the whole content.
absl::Status ScanCsv(ContentStore* content, Digest id, uint64_t size,
                     const std::string& name, const DeclaredTypeMap& declared,
                     const ScanOptions& options, const BlockSink& fn) {
  auto pass = std::make_unique<CsvPass>(content, id, size, name, options);
  RETURN_IF_ERROR(pass->Start());
  CsvSchema schema;
  // The header's labels outlive the passes (a second one reads the header again).
  const std::vector<std::string> labels = pass->header().labels;
  schema.labels = &labels;
  bool inferred = false;
  for (const std::string& column : pass->header().names) {
    ColumnPlan& plan = schema.plans.emplace_back();
    plan.name = column;
    plan.label = Excerpt(column);
    auto it = declared.find(column);
    if (it != declared.end()) {
      plan.declared = true;
      plan.type = it->second.first;
      plan.unit = it->second.second;
    }
    inferred = inferred || !plan.declared;
  }
  // What the blocks parsed in kInfer learn, into the plans.
  const auto learn = [&](Piece& piece) -> absl::StatusOr<bool> {
    for (size_t i = 0; i < schema.plans.size(); ++i)
      schema.plans[i].inference.Merge(piece.inferences[i]);
    return true;
  };
  const auto settle_types = [&] {
    for (ColumnPlan& p : schema.plans) {
      if (!p.declared) p.type = p.inference.Type();
      p.unknown = false;
    }
  };
  if (inferred && options.restart) {
    // A guess from the first block; blocks that fit it add nothing to what it says,
    // so a misfit needs the rest of the content inferred, then a new read.
    Piece& first = pass->first();
    first.mode = ParseMode::kInfer;
    ParsePiece(schema, first);
    if (first.status.ok()) {
      for (size_t i = 0; i < schema.plans.size(); ++i) {
        ColumnPlan& p = schema.plans[i];
        p.inference = first.inferences[i];
        if (p.declared) continue;
        p.type = p.inference.Type();
        p.unknown = !p.inference.any;
      }
      schema.guessed = true;
      BlockBuilder builder(schema.plans, options.block_rows, fn);
      bool misfit = false;
      RETURN_IF_ERROR(pass->Run(schema, ParseMode::kConvert,
                                [&](Piece& piece) -> absl::StatusOr<bool> {
                                  if (piece.misfit) {
                                    misfit = true;
                                    return false;
                                  }
                                  RETURN_IF_ERROR(builder.Append(std::move(piece.rows)));
                                  return true;
                                }));
      if (!misfit) return builder.Finish();
      RETURN_IF_ERROR(pass->Run(schema, ParseMode::kInfer, learn));
      options.restart();
    } else {
      // A bad first block: the inference pass below names the line.
      RETURN_IF_ERROR(pass->Run(schema, ParseMode::kInfer, learn));
    }
    settle_types();
    schema.guessed = false;
    pass = std::make_unique<CsvPass>(content, id, size, name, options);
    RETURN_IF_ERROR(pass->Start());
  } else if (inferred) {
    RETURN_IF_ERROR(pass->Run(schema, ParseMode::kInfer, learn));
    settle_types();
    pass = std::make_unique<CsvPass>(content, id, size, name, options);
    RETURN_IF_ERROR(pass->Start());
  }
  BlockBuilder builder(schema.plans, options.block_rows, fn);
  RETURN_IF_ERROR(
      pass->Run(schema, ParseMode::kConvert, [&](Piece& piece) -> absl::StatusOr<bool> {
        RETURN_IF_ERROR(builder.Append(std::move(piece.rows)));
        return true;
      }));
  return builder.Finish();
}

absl::Status ScanDataset(Store& store, features::FeatureStore& fs, const SourceRef& ref,
                         const ScanOptions& options, const BlockSink& fn) {
  ASSIGN_OR_RETURN(Ref parsed, ParseRef(ref.name));
  ASSIGN_OR_RETURN(store::Version version, store.artifacts().Resolve(parsed));
  ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(version.content_id()));
  const std::string name =
      absl::StrCat("dataset/", version.name(), "@", version.number());
  DeclaredTypeMap declared;
  if (!ref.view.empty()) {
    std::string view = ref.view;
    if (absl::StartsWith(view, "featureview/")) view = view.substr(12);
    ASSIGN_OR_RETURN(declared, DeclaredTypes(fs, view));
  }
  bool json = false;
  {
    ContentSource head_source(&store.content(), id, version.size());
    char head[256];
    ASSIGN_OR_RETURN(size_t n, head_source.Read(head, sizeof head));
    json = LooksLikeJson(absl::string_view(head, n));
  }
  if (!json) {
    return ScanCsv(&store.content(), id, version.size(), name, declared, options, fn);
  }

  // JSON lines: a first pass learns the column names and the types of undeclared
  // columns, a second reads the values.
  std::vector<ColumnPlan> plans;
  absl::flat_hash_map<std::string, size_t> keys;  // JSON lines: name -> field
  const auto plan_for = [&](const std::string& column_name, ColumnPlan* plan) {
    plan->name = column_name;
    plan->label = Excerpt(column_name);
    auto it = declared.find(column_name);
    if (it != declared.end()) {
      plan->declared = true;
      plan->type = it->second.first;
      plan->unit = it->second.second;
    }
  };
  {
    ContentSource source(&store.content(), id, version.size());
    RecordReader reader(&source, name, options);
    RETURN_IF_ERROR(reader.Start());
    RETURN_IF_ERROR(reader.ForEach(
        &keys, true, [&](uint64_t, const std::vector<Field>& fields) -> absl::Status {
          if (plans.size() < fields.size()) plans.resize(fields.size());
          for (size_t i = 0; i < fields.size(); ++i) {
            if (fields[i].present && !plans[i].declared)
              plans[i].inference.Add(fields[i].text);
          }
          return absl::OkStatus();
        }));
    std::vector<std::string> names(keys.size());
    for (const auto& [k, i] : keys) names[i] = k;
    for (size_t i = 0; i < names.size(); ++i) plan_for(names[i], &plans[i]);
    for (ColumnPlan& p : plans) {
      if (!p.declared) p.type = p.inference.Type();
    }
  }
  ContentSource source(&store.content(), id, version.size());
  RecordReader reader(&source, name, options);
  RETURN_IF_ERROR(reader.Start());
  BlockBuilder builder(plans, options.block_rows, fn);
  RETURN_IF_ERROR(reader.ForEach(
      &keys, false, [&](uint64_t line, const std::vector<Field>& fields) -> absl::Status {
        for (size_t i = 0; i < plans.size(); ++i) {
          const Field f = i < fields.size() ? fields[i] : Field{};
          absl::Status s = AppendText(plans[i], f, builder.column(i));
          if (!s.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat(name, ":", line, ": ", s.message()));
          }
        }
        return builder.EndRow();
      }));
  return builder.Finish();
}

absl::Status ScanWindow(features::FeatureStore& fs, const SourceRef& ref,
                        const ScanOptions& options, const BlockSink& fn) {
  std::vector<ColumnPlan> plans;
  std::optional<BlockBuilder> builder;
  uint64_t rows = 0;
  features::WindowScanRequest request{
      .view = ref.name, .from = ref.from, .to = ref.to, .as_of = ref.as_of};
  const auto scan = ref.served ? &features::FeatureStore::ScanServed
                                : &features::FeatureStore::ScanWindow;
  RETURN_IF_ERROR(std::invoke(
      scan, fs, request,
      [&](const std::vector<features::WindowColumn>& columns) {
        for (const features::WindowColumn& c : columns) {
          ColumnPlan& p = plans.emplace_back();
          p.name = c.name;
          p.type = ColumnTypeOf(c.type);
        }
        builder.emplace(plans, options.block_rows, fn);
        return absl::OkStatus();
      },
      [&](const std::vector<features::Value>& values) -> absl::Status {
        for (size_t i = 0; i < values.size(); ++i) {
          Column& c = builder->column(i);
          const features::Value& v = values[i];
          c.present.push_back(v.index() != 0);
          if (c.type == ColumnType::kString) {
            const std::string* s = std::get_if<std::string>(&v);
            c.strings.push_back(s != nullptr ? *s : std::string());
          } else if (const int64_t* x = std::get_if<int64_t>(&v)) {
            c.numbers.push_back(static_cast<double>(*x));
          } else if (const double* d = std::get_if<double>(&v)) {
            c.numbers.push_back(*d);
          } else if (const bool* b = std::get_if<bool>(&v)) {
            c.numbers.push_back(*b ? 1 : 0);
          } else {
            c.numbers.push_back(0);
          }
        }
        if (options.progress && ++rows % 65536 == 0) options.progress(rows, 0);
        return builder->EndRow();
      }));
  return builder->Finish();
}

}  // namespace

ColumnType ColumnTypeOf(features::ValueType type) {
  switch (type) {
    case features::VALUE_TYPE_INT64:
      return ColumnType::kInt64;
    case features::VALUE_TYPE_DOUBLE:
      return ColumnType::kDouble;
    case features::VALUE_TYPE_BOOL:
      return ColumnType::kBool;
    case features::VALUE_TYPE_TIMESTAMP:
      return ColumnType::kTimestamp;
    default:  // string, bytes
      return ColumnType::kString;
  }
}

absl::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kBool:
      return "bool";
    case ColumnType::kString:
      return "string";
    case ColumnType::kTimestamp:
      return "timestamp";
  }
  return "string";
}

absl::StatusOr<Micros> ParseTimeBound(absl::string_view text) {
  return features::ParseTimestamp(text, features::TimeUnit::kSeconds);
}

std::string SourceRef::ToString() const {
  if (kind == Kind::kDataset) return name;
  const auto bound = [](Micros t, Micros unbounded) {
    return t == unbounded ? std::string() : features::FormatTimestamp(t);
  };
  return absl::StrCat(served ? "served:" : "", "featureview/", name, "[",
                      bound(from, INT64_MIN), "..",
                      bound(to, INT64_MAX), "]");
}

absl::StatusOr<SourceRef> ParseSourceRef(absl::string_view text) {
  SourceRef ref;
  if (absl::StartsWith(text, "served:")) {
    if (!absl::StartsWith(text.substr(7), "featureview/")) {
      return absl::InvalidArgumentError(absl::StrCat(
          Excerpt(text), ": the served log is read by feature view "
                         "(served:featureview/NAME[FROM..TO])"));
    }
    ASSIGN_OR_RETURN(ref, ParseSourceRef(text.substr(7)));
    ref.served = true;
    return ref;
  }
  if (absl::StartsWith(text, "dataset/")) {
    ASSIGN_OR_RETURN(Ref parsed, ParseRef(text));
    ref.kind = SourceRef::Kind::kDataset;
    ref.name = std::string(text);
    return ref;
  }
  if (!absl::StartsWith(text, "featureview/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        Excerpt(text),
        " is neither a dataset version (dataset/NAME[@REF]), a feature-view window "
        "(featureview/NAME[FROM..TO]) nor a served-answer window "
        "(served:featureview/NAME[FROM..TO])"));
  }
  ref.kind = SourceRef::Kind::kWindow;
  absl::string_view rest = text.substr(12);
  const size_t open = rest.find('[');
  absl::string_view name = rest.substr(0, open);
  RETURN_IF_ERROR(ValidateArtifactName(name));
  ref.name = std::string(name);
  if (open == absl::string_view::npos) return ref;
  absl::string_view window = rest.substr(open + 1);
  if (!absl::ConsumeSuffix(&window, "]")) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text), ": a window ends with ']'"));
  }
  const size_t dots = window.find("..");
  if (dots == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text), ": a window is [FROM..TO]"));
  }
  const auto bound = [&](absl::string_view b, Micros* out) -> absl::Status {
    if (b.empty()) return absl::OkStatus();
    absl::StatusOr<Micros> t = ParseTimeBound(b);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Excerpt(text), ": ", t.status().message()));
    }
    *out = *t;
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(bound(window.substr(0, dots), &ref.from));
  RETURN_IF_ERROR(bound(window.substr(dots + 2), &ref.to));
  if (ref.from > ref.to) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text), ": the window starts after it ends"));
  }
  return ref;
}

namespace {

absl::Status Scan(Store& store, features::FeatureStore& fs, const SourceRef& ref,
                  const ScanOptions& options, const BlockSink& fn) {
  if (ref.kind == SourceRef::Kind::kDataset)
    return ScanDataset(store, fs, ref, options, fn);
  return ScanWindow(fs, ref, options, fn);
}

}  // namespace

absl::Status ScanSource(Store& store, features::FeatureStore& fs, const SourceRef& ref,
                        const ScanOptions& options, const BlockFn& fn) {
  return Scan(store, fs, ref, options, [&fn](TableBlock& b) { return fn(b); });
}

absl::StatusOr<TableBlock> ReadSource(Store& store, features::FeatureStore& fs,
                                      const SourceRef& ref, const ScanOptions& options,
                                      const std::vector<std::string>& columns) {
  // The picked columns of every block, joined at the end: each column allocated
  // once, at its size.
  std::vector<std::vector<Column>> blocks;
  std::vector<size_t> picked;
  ScanOptions once = options;
  once.block_rows = 0;  // blocks as parsed
  once.restart = [&] {
    if (options.restart) options.restart();
    blocks.clear();
    picked.clear();
  };
  uint64_t rows = 0;
  RETURN_IF_ERROR(Scan(store, fs, ref, once, [&](TableBlock& b) -> absl::Status {
    if (blocks.empty() && picked.empty()) {
      if (columns.empty()) {
        for (size_t i = 0; i < b.columns.size(); ++i) picked.push_back(i);
      }
      for (const std::string& name : columns) {
        auto it = std::find_if(b.columns.begin(), b.columns.end(),
                               [&](const Column& c) { return c.name == name; });
        if (it == b.columns.end()) {
          return absl::NotFoundError(
              absl::StrCat(ref.ToString(), " has no column ", Excerpt(name)));
        }
        picked.push_back(it - b.columns.begin());
      }
    }
    std::vector<Column>& taken = blocks.emplace_back();
    for (size_t i : picked) taken.push_back(std::move(b.columns[i]));
    rows += b.rows;
    return absl::OkStatus();
  }));
  TableBlock out;
  out.rows = rows;
  if (blocks.size() == 1) {
    out.columns = std::move(blocks[0]);
    return out;
  }
  for (size_t j = 0; j < picked.size(); ++j) {
    Column& to = out.columns.emplace_back();
    to.name = blocks[0][j].name;
    to.type = blocks[0][j].type;
    to.present.reserve(rows);
    if (to.type == ColumnType::kString) {
      to.strings.reserve(rows);
    } else {
      to.numbers.reserve(rows);
    }
    for (std::vector<Column>& block : blocks) {
      Column& from = block[j];
      to.numbers.insert(to.numbers.end(), from.numbers.begin(), from.numbers.end());
      to.strings.insert(to.strings.end(), std::make_move_iterator(from.strings.begin()),
                        std::make_move_iterator(from.strings.end()));
      to.present.insert(to.present.end(), from.present.begin(), from.present.end());
      from = Column();  // its memory goes as soon as it is copied
    }
  }
  return out;
}

}  // namespace strata::quality
