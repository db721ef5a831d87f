#include "quality/table_source.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
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

std::optional<ColumnType> TypeOf(features::ValueType type) {
  switch (type) {
    case features::VALUE_TYPE_INT64:
      return ColumnType::kInt64;
    case features::VALUE_TYPE_DOUBLE:
      return ColumnType::kDouble;
    case features::VALUE_TYPE_BOOL:
      return ColumnType::kBool;
    case features::VALUE_TYPE_TIMESTAMP:
      return ColumnType::kTimestamp;
    case features::VALUE_TYPE_STRING:
    case features::VALUE_TYPE_BYTES:
      return ColumnType::kString;
    default:
      return std::nullopt;
  }
}

bool ParseInt(absl::string_view text, int64_t* v) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

bool ParseDouble(absl::string_view text, double* v) {
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

// What the first pass learns of a column: which types every value fits.
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
};

// One record's fields: text, and whether there is a value.
struct Field {
  absl::string_view text;
  bool present = false;
};

// Reads the records of a dataset's content, CSV or JSON lines, block by block.
class RecordReader {
 public:
  RecordReader(ByteSource* source, std::string name, const ScanOptions& options)
      : source_(source),
        name_(std::move(name)),
        options_(options),
        reader_(source, std::max<size_t>(options.read_bytes, 1)) {}

  // Reads the first block and the column names (CSV: its header; JSON lines: none
  // until the first pass has read every line).
  absl::Status Start(bool json) {
    json_ = json;
    reader_.set_lines_only(json);
    if (json) {
      ASSIGN_OR_RETURN(more_, reader_.Next(&block_));
      return absl::OkStatus();
    }
    absl::StatusOr<features::CsvHeader> header =
        features::ReadCsvHeader(reader_, &block_);
    if (!header.ok()) return Prefix(header.status());
    if (header->names.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ": there is no header row"));
    }
    header_ = *std::move(header);
    more_ = true;
    pos_ = header_.end;
    base_line_ = header_.lines;
    return absl::OkStatus();
  }

  const features::CsvHeader& header() const { return header_; }
  uint64_t bytes_read() const { return reader_.bytes_read(); }

  // Calls fn(line, fields) per record; for JSON lines `keys` maps names to field
  // indexes and grows with names not seen before when `grow`.
  template <typename Fn>
  absl::Status ForEach(absl::flat_hash_map<std::string, size_t>* keys, bool grow, Fn fn) {
    std::vector<Field> fields;
    while (more_) {
      absl::string_view data = block_.view().substr(pos_);
      if (json_) {
        RETURN_IF_ERROR(JsonBlock(data, keys, grow, &fields, fn));
      } else {
        features::CsvRecords records(data, &header_.labels);
        while (true) {
          absl::StatusOr<bool> next = records.NextRow(header_.names.size());
          if (!next.ok()) {
            return absl::Status(next.status().code(),
                                absl::StrCat(name_, ":", base_line_ + records.line(),
                                             ": ", next.status().message()));
          }
          if (!*next) break;
          fields.resize(records.fields().size());
          for (size_t i = 0; i < fields.size(); ++i) {
            fields[i] = {records.fields()[i], !records.fields()[i].empty()};
          }
          RETURN_IF_ERROR(fn(base_line_ + records.line(), fields));
        }
        base_line_ += records.lines_read();
      }
      if (options_.progress) options_.progress(reader_.bytes_read(), SizeHint());
      pos_ = 0;
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
  features::CsvHeader header_;
  bool json_ = false, more_ = false;
  size_t pos_ = 0;
  uint64_t base_line_ = 0;
  simdjson::dom::parser parser_;
  std::vector<std::pair<size_t, std::string>> texts_;
};

// Accumulates rows into blocks of `rows` and hands them to fn.
class BlockBuilder {
 public:
  BlockBuilder(const std::vector<ColumnPlan>& plans, size_t rows, const BlockFn& fn)
      : rows_(std::max<size_t>(rows, 1)), fn_(fn) {
    for (const ColumnPlan& p : plans) {
      Column& c = block_.columns.emplace_back();
      c.name = p.name;
      c.type = p.type;
    }
    Reserve();
  }
  Column& column(size_t i) { return block_.columns[i]; }
  TableBlock& block() { return block_; }

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
    RETURN_IF_ERROR(fn_(block_));
    block_.rows = 0;
    for (Column& c : block_.columns) {
      c.numbers.clear();
      c.strings.clear();
      c.present.clear();
    }
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
  const BlockFn& fn_;
  TableBlock block_;
  bool flushed_ = false;
};

// Appends `text` (present or not) to `column` as `plan` says.
absl::Status AppendText(const ColumnPlan& plan, const Field& f, Column& column) {
  column.present.push_back(f.present ? 1 : 0);
  if (plan.type == ColumnType::kString) {
    column.strings.emplace_back(f.present ? f.text : absl::string_view());
    return absl::OkStatus();
  }
  double v = 0;
  if (f.present) {
    bool ok = false;
    switch (plan.type) {
      case ColumnType::kInt64: {
        int64_t i;
        ok = ParseInt(f.text, &i);
        v = static_cast<double>(i);
        break;
      }
      case ColumnType::kDouble:
        ok = ParseDouble(f.text, &v);
        break;
      case ColumnType::kBool:
        ok = ParseBool(f.text, &v);
        break;
      case ColumnType::kTimestamp: {
        if (plan.declared) {
          absl::StatusOr<Micros> t = features::ParseTimestamp(f.text, plan.unit);
          ok = t.ok();
          if (ok) v = static_cast<double>(*t);
        } else {
          ok = ParseRfc3339(f.text, &v);
        }
        break;
      }
      case ColumnType::kString:
        break;
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("column ", plan.label, ": ",
                                                     Excerpt(f.text), " is not a ",
                                                     ColumnTypeName(plan.type)));
    }
  }
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
      out[k.name()] = {TypeOf(k.type()).value_or(ColumnType::kString), unit};
    }
  }
  out["event_timestamp"] = {ColumnType::kTimestamp, unit};
  out["created_timestamp"] = {ColumnType::kTimestamp, unit};
  for (const features::Feature& f : view.features()) {
    out[f.name()] = {TypeOf(f.type()).value_or(ColumnType::kString), unit};
  }
  return out;
}

absl::Status ScanDataset(Store& store, features::FeatureStore& fs, const SourceRef& ref,
                         const ScanOptions& options, const BlockFn& fn) {
  ASSIGN_OR_RETURN(Ref parsed, ParseRef(ref.name));
  ASSIGN_OR_RETURN(store::Version version, store.artifacts().Resolve(parsed));
  ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(version.content_id()));
  const std::string name =
      absl::StrCat("dataset/", version.name(), "@", version.number());
  absl::flat_hash_map<std::string, std::pair<ColumnType, features::TimeUnit>> declared;
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
  // Pass 1: column names (JSON lines) and the types of undeclared columns.
  bool need_inference = true;
  {
    ContentSource source(&store.content(), id, version.size());
    RecordReader reader(&source, name, options);
    RETURN_IF_ERROR(reader.Start(json));
    if (!json) {
      plans.resize(reader.header().names.size());
      for (size_t i = 0; i < plans.size(); ++i)
        plan_for(reader.header().names[i], &plans[i]);
      need_inference = std::any_of(plans.begin(), plans.end(),
                                   [](const ColumnPlan& p) { return !p.declared; });
    }
    if (need_inference) {
      RETURN_IF_ERROR(reader.ForEach(
          &keys, json, [&](uint64_t, const std::vector<Field>& fields) -> absl::Status {
            if (plans.size() < fields.size()) plans.resize(fields.size());
            for (size_t i = 0; i < fields.size(); ++i) {
              if (fields[i].present && !plans[i].declared)
                plans[i].inference.Add(fields[i].text);
            }
            return absl::OkStatus();
          }));
      if (json) {
        std::vector<std::string> names(keys.size());
        for (const auto& [k, i] : keys) names[i] = k;
        for (size_t i = 0; i < names.size(); ++i) plan_for(names[i], &plans[i]);
      }
      for (ColumnPlan& p : plans) {
        if (!p.declared) p.type = p.inference.Type();
      }
    }
  }
  // Pass 2: the values.
  ContentSource source(&store.content(), id, version.size());
  RecordReader reader(&source, name, options);
  RETURN_IF_ERROR(reader.Start(json));
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
                        const ScanOptions& options, const BlockFn& fn) {
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
          p.type = TypeOf(c.type).value_or(ColumnType::kString);
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

absl::Status ScanSource(Store& store, features::FeatureStore& fs, const SourceRef& ref,
                        const ScanOptions& options, const BlockFn& fn) {
  if (ref.kind == SourceRef::Kind::kDataset)
    return ScanDataset(store, fs, ref, options, fn);
  return ScanWindow(fs, ref, options, fn);
}

absl::StatusOr<TableBlock> ReadSource(Store& store, features::FeatureStore& fs,
                                      const SourceRef& ref, const ScanOptions& options,
                                      const std::vector<std::string>& columns) {
  TableBlock out;
  std::vector<size_t> picked;
  RETURN_IF_ERROR(
      ScanSource(store, fs, ref, options, [&](const TableBlock& b) -> absl::Status {
        if (out.columns.empty() && picked.empty()) {
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
          for (size_t i : picked) {
            Column& c = out.columns.emplace_back();
            c.name = b.columns[i].name;
            c.type = b.columns[i].type;
          }
        }
        for (size_t j = 0; j < picked.size(); ++j) {
          const Column& from = b.columns[picked[j]];
          Column& to = out.columns[j];
          to.numbers.insert(to.numbers.end(), from.numbers.begin(), from.numbers.end());
          to.strings.insert(to.strings.end(), from.strings.begin(), from.strings.end());
          to.present.insert(to.present.end(), from.present.begin(), from.present.end());
        }
        out.rows += b.rows;
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace strata::quality
