#include "features/historical_output.h"

#include <charconv>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "features/csv.h"
#include "store/json_writer.h"

namespace strata::features {
namespace {

// Appends one feature's value as a CSV field.
void AppendField(const Value& v, ValueType type, std::string* out) {
  if (v.index() == 0) return;
  if (type == VALUE_TYPE_STRING) {
    AppendCsvField(std::get<std::string>(v), true, out);
    return;
  }
  AppendValueText(v, type, out);
}

class CsvOutput : public HistoricalOutput {
 public:
  void Begin(const ResultColumns& columns, std::string* out) override {
    std::string& head = *out;
    const size_t start = head.size();
    for (const auto& name : columns.spine) {
      if (head.size() > start) head.push_back(',');
      AppendCsvField(name, false, &head);
    }
    for (const auto& name : columns.features) {
      head.push_back(',');
      AppendCsvField(name, false, &head);
    }
    head.push_back('\n');
    types_ = columns.feature_types;
  }

  void AppendRow(absl::string_view spine, const std::vector<Value>& values,
                 std::string* out) const override {
    out->append(spine.data(), spine.size());
    for (size_t f = 0; f < values.size(); ++f) {
      out->push_back(',');
      AppendField(values[f], types_[f], out);
    }
    out->push_back('\n');
  }

 private:
  std::vector<ValueType> types_;
};

// Whether `text` is a JSON number (RFC 8259's grammar), and so a number to infer.
bool IsJsonNumber(absl::string_view text) {
  size_t i = 0;
  const auto digits = [&] {
    const size_t from = i;
    while (i < text.size() && absl::ascii_isdigit(text[i])) ++i;
    return i > from;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == text.size();
}

// Writes one CSV field as a JSON value: by `type` when the column has one (features
// and join keys), else by its form (spine columns): unquoted empty is null, quoted is
// a string, a JSON number a number, true/false a bool, anything else a string.
void WriteTypedValue(JsonWriter& w, absl::string_view text, bool quoted,
                     std::optional<ValueType> type) {
  if (text.empty() && !quoted) {
    w.Null();
    return;
  }
  int64_t i;
  double d;
  const auto as_double = [&] {
    const auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
  };
  if (!type.has_value()) {
    if (quoted) {
      w.String(text);
    } else if (IsJsonNumber(text)) {
      if (text.find_first_of(".eE") == absl::string_view::npos &&
          absl::SimpleAtoi(text, &i)) {
        w.Int(i);
      } else if (as_double() && std::isfinite(d)) {
        w.Double(d);
      } else {
        w.String(text);
      }
    } else if (text == "true" || text == "false") {
      w.Bool(text == "true");
    } else {
      w.String(text);
    }
    return;
  }
  switch (*type) {
    case VALUE_TYPE_INT64:
      if (absl::SimpleAtoi(text, &i)) return void(w.Int(i));
      break;
    case VALUE_TYPE_DOUBLE:
      if (as_double()) return void(w.Double(d));  // non-finite: null
      break;
    case VALUE_TYPE_BOOL:
      if (text == "true" || text == "false") return void(w.Bool(text == "true"));
      break;
    default:  // string, bytes (base64), timestamp (RFC 3339)
      break;
  }
  w.String(text);
}

// Writes one feature's value: as WriteTypedValue would its CSV field.
void WriteFeatureValue(JsonWriter& w, const Value& v, ValueType type) {
  if (v.index() == 0) return void(w.Null());
  if (type == VALUE_TYPE_INT64 && std::holds_alternative<int64_t>(v)) {
    return void(w.Int(std::get<int64_t>(v)));
  }
  if (type == VALUE_TYPE_DOUBLE && std::holds_alternative<double>(v)) {
    return void(w.Double(std::get<double>(v)));
  }
  if (type == VALUE_TYPE_BOOL && std::holds_alternative<bool>(v)) {
    return void(w.Bool(std::get<bool>(v)));
  }
  if (type == VALUE_TYPE_STRING && std::holds_alternative<std::string>(v)) {
    return void(w.String(std::get<std::string>(v)));
  }
  std::string text;
  AppendValueText(v, type, &text);
  WriteTypedValue(w, text, false, type);
}

class JsonLinesOutput : public HistoricalOutput {
 public:
  void Begin(const ResultColumns& columns, std::string*) override {
    columns_ = columns;
  }

  void AppendRow(absl::string_view spine, const std::vector<Value>& values,
                 std::string* out) const override {
    JsonWriter w;
    w.BeginObject();
    // The record was read and checked by the join: it parses as the header's fields.
    CsvRecords record(spine, nullptr, kMaxMaxRecordBytes);
    const size_t n = columns_.spine.size();
    const bool ok = record.NextRow(n).value_or(false);
    for (size_t c = 0; c < n; ++c) {
      w.Key(columns_.spine[c]);
      if (!ok) {
        w.Null();
        continue;
      }
      WriteTypedValue(w, record.fields()[c], record.quoted(c), columns_.spine_types[c]);
    }
    for (size_t f = 0; f < values.size(); ++f) {
      w.Key(columns_.features[f]);
      WriteFeatureValue(w, values[f], columns_.feature_types[f]);
    }
    w.EndObject();
    out->append(w.str());
    out->push_back('\n');
  }

 private:
  ResultColumns columns_;
};

}  // namespace

std::unique_ptr<HistoricalOutput> NewCsvOutput() { return std::make_unique<CsvOutput>(); }

std::unique_ptr<HistoricalOutput> NewJsonLinesOutput() {
  return std::make_unique<JsonLinesOutput>();
}

std::unique_ptr<HistoricalOutput> NewHistoricalOutput(ResultFormat format) {
  return format == ResultFormat::kJsonLines ? NewJsonLinesOutput() : NewCsvOutput();
}

}  // namespace strata::features
