// The ingest's block parsers (features/ingest_parse.h).
#include "features/ingest_parse.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "features/codec.h"
#include "features/csv.h"
#include "features/definitions.h"
#include "simdjson.h"
#include "store/excerpt.h"
#include "store/status_macros.h"

namespace strata::features::ingest {
namespace {

// Longest log key: the join key values of one row, encoded.
constexpr size_t kMaxKeyBytes = 4096;

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

  // Appends the row, which starts on `line` of the block, to `block`. Errors: a
  // missing join key or event time.
  absl::Status Finish(ParsedBlock* block, uint64_t line) {
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
    if (block->observed) Observed(block, line);
    return absl::OkStatus();
  }

 private:
  // Appends the row's values to the block's columns for its observers.
  void Observed(ParsedBlock* block, uint64_t line) {
    IngestColumnValues* column = block->columns.data();
    for (const Value& k : keys_) (column++)->Append(k);
    column->present.push_back(1);
    (column++)->ints.push_back(*event_);
    if (created_.has_value()) {
      column->present.push_back(1);
      column->ints.push_back(*created_);
    } else {
      column->AppendNull();
    }
    ++column;
    for (const Value& f : features_) (column++)->Append(f);
    block->row_lines.push_back(line);
  }

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

}  // namespace

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
    if (absl::Status s = enc.Finish(out, records.line()); !s.ok()) {
      out->error = {records.line(), std::string(s.message())};
      return;
    }
    ++row;
  }
  out->lines = records.lines_read();
}

namespace {

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

}  // namespace

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
    if (absl::Status s = enc.Finish(out, line); !s.ok()) {
      return fail(s.message());
    }
    ++row;
  }
  out->lines = line;
}

void ParseBlock(const BlockFormat& format, ByteBuffer& data, size_t start,
                ParsedBlock* out) {
  if (format.json) {
    data.Reserve(data.size() + simdjson::SIMDJSON_PADDING);
    ParseJsonBlock(*format.view, format.unit, format.reader, format.now,
                   data.view().substr(start), data.capacity() - start, out);
  } else {
    ParseCsvBlock(*format.view, format.roles, format.labels, format.max_record_bytes,
                  format.unit, format.reader, format.now, data.view().substr(start), out);
  }
}

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

}  // namespace strata::features::ingest
