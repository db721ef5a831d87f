// Feature routes: apply, ingest, historical retrieval, reproduce, and Feast's push,
// write-to-online-store and health.
//
// Request bodies are read through httplib's content reader, bounded by
// --max-body-bytes, and bodies that may be large (ingest files, spines) go to an
// unnamed scratch file, never into memory. Results that may be large (historical
// rows) are computed into a scratch file first, so that a failure is a proper error
// and the summary can go in headers, then streamed. Names and references from
// requests are parsed like the CLI's; none becomes a path.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/features_api.pb.h"
#include "api/internal/json_body.h"
#include "api/internal/routes.h"
#include "features/csv.h"
#include "features/definitions.h"
#include "features/historical_query.h"
#include "features/render.h"
#include "features/scratch.h"
#include "simdjson.h"
#include "store/digest.h"
#include "store/render.h"
#include "store/excerpt.h"
#include "store/json_writer.h"
#include "store/ref.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

using features::ScratchFile;
using features::ValueType;

constexpr const char* kCsv = "text/csv";
constexpr const char* kJsonLines = "application/x-ndjson";
// Bytes of a scratch file streamed to the client at once.
constexpr size_t kStreamBytes = 64 << 10;

// ---------------------------------------------------------------------------------
// Request bodies.

// A request's body, read at most once through httplib's content reader, and never
// past `limit` bytes.
class Body {
 public:
  Body(httplib::Response& res, const httplib::ContentReader& reader, size_t limit)
      : res_(res), reader_(reader), limit_(limit) {}

  // Appends the body to `file`. Errors: ResourceExhausted past the limit,
  // InvalidArgument when it cannot be read, those of the file.
  absl::Status ReadInto(ScratchFile& file) {
    return Read([&](absl::string_view data) { return file.Append(data); });
  }

  // The body, in memory (it is at most `limit` bytes). Errors: as ReadInto.
  absl::StatusOr<std::string> ReadAll() {
    std::string text;
    RETURN_IF_ERROR(Read([&](absl::string_view data) {
      text.append(data.data(), data.size());
      return absl::OkStatus();
    }));
    return text;
  }

  // Reads and drops what was not read, so that the connection's next request starts
  // where it should; when the body could not be read to its end, the response
  // closes the connection instead.
  void Finish() {
    if (!read_) {
      Read([](absl::string_view) { return absl::OkStatus(); }).IgnoreError();
    }
    if (!complete_) res_.set_header("Connection", "close");
  }

 private:
  absl::Status TooLarge() const {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the request body is larger than ", limit_, " bytes (--max-body-bytes)"));
  }

  absl::Status Read(const std::function<absl::Status(absl::string_view)>& consume) {
    read_ = true;
    uint64_t bytes = 0;
    absl::Status status;
    // httplib refuses a Content-Length past its payload limit (the same limit)
    // itself, skipping the body, and the server refuses bodies without one; the
    // count here keeps the bound should either change.
    const bool ok = reader_([&](const char* data, size_t n) {
      bytes += n;
      status = bytes > limit_ ? TooLarge() : consume({data, n});
      return status.ok();
    });
    if (!status.ok()) return status;
    if (!ok) {
      if (res_.status == 413) {
        complete_ = true;  // httplib skipped it all
        return TooLarge();
      }
      return absl::InvalidArgumentError("the request body could not be read");
    }
    complete_ = true;
    return absl::OkStatus();
  }

  httplib::Response& res_;
  const httplib::ContentReader& reader_;
  size_t limit_;
  bool read_ = false, complete_ = false;
};

using BodyRouteFn = absl::Status (*)(const RouteContext& ctx, const httplib::Request& req,
                                     httplib::Response& res, Body& body);

// A route that reads its body itself; Handle's error handling and metrics label.
httplib::Server::HandlerWithContentReader HandleWithBody(const RouteContext& ctx,
                                                         std::string label,
                                                         BodyRouteFn fn) {
  return [&ctx, label = std::move(label), fn](const httplib::Request& req,
                                              httplib::Response& res,
                                              const httplib::ContentReader& reader) {
    Body body(res, reader, ctx.options->max_body_bytes);
    Handle(label, [&](const httplib::Request& q, httplib::Response& r) {
      const absl::Status status = fn(ctx, q, r, body);
      body.Finish();
      return status;
    })(req, res);
  };
}

// ---------------------------------------------------------------------------------
// Query parameters and headers.

// `name`=true|false; `otherwise` when absent.
absl::StatusOr<bool> BoolParam(const httplib::Request& req, const char* name,
                               bool otherwise) {
  if (!req.has_param(name)) return otherwise;
  const std::string value = req.get_param_value(name);
  if (value == "true") return true;
  if (value == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat(name, "=", value, " is not true or false"));
}

// Every value of `name`, given once or more, each a comma-separated list.
std::vector<std::string> ListParam(const httplib::Request& req, const char* name) {
  std::vector<std::string> values;
  for (size_t i = 0; i < req.get_param_value_count(name); ++i) {
    for (absl::string_view v :
         absl::StrSplit(req.get_param_value(name, i), ',', absl::SkipEmpty())) {
      values.emplace_back(v);
    }
  }
  return values;
}

absl::StatusOr<std::optional<features::TimeUnit>> UnitParam(const httplib::Request& req) {
  if (!req.has_param("timestamp_unit")) return std::optional<features::TimeUnit>();
  auto unit = features::ParseTimeUnit(req.get_param_value("timestamp_unit"));
  if (!unit.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp_unit: ", unit.status().message()));
  }
  return std::optional<features::TimeUnit>(*unit);
}

// The media type of a Content-Type or Accept entry, lower case, without parameters.
std::string MediaType(absl::string_view value) {
  return absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(value.substr(0, value.find(';'))));
}

bool IsJsonLinesType(absl::string_view media) {
  return media == "application/x-ndjson" || media == "application/jsonl" ||
         media == "application/json-lines";
}

// Whether the client accepts JSON lines (and not CSV first).
bool AcceptsJsonLines(const httplib::Request& req) {
  for (absl::string_view entry :
       absl::StrSplit(req.get_header_value("Accept"), ',', absl::SkipEmpty())) {
    const std::string media = MediaType(entry);
    if (IsJsonLinesType(media)) return true;
    if (media == kCsv) return false;
  }
  return false;
}

// ---------------------------------------------------------------------------------
// Responses.

std::string ViewRef(const std::string& name, uint64_t version) {
  return absl::StrCat("featureview/", name, "@", version);
}

std::vector<std::string> ViewRefs(const features::HistoricalResult& r) {
  std::vector<std::string> refs;
  for (const auto& [name, version] : r.view_versions)
    refs.push_back(ViewRef(name, version));
  return refs;
}

// The summary of a retrieval, in X-Strata-* headers: every field of
// HistoricalResult.
void SetResultHeaders(httplib::Response& res, const features::HistoricalResult& r) {
  res.set_header("X-Strata-Rows", absl::StrCat(r.rows));
  res.set_header("X-Strata-Matched", absl::StrCat(r.matched));
  res.set_header("X-Strata-Featureviews", absl::StrJoin(ViewRefs(r), ","));
  res.set_header("X-Strata-Ingest-Position", absl::StrCat(r.at.position));
  if (!r.at.pending.empty()) {
    res.set_header("X-Strata-Ingest-Pending", absl::StrJoin(r.at.pending, ","));
  }
}

// Streams `file` as the response body.
void StreamFile(httplib::Response& res, std::shared_ptr<ScratchFile> file,
                const char* content_type) {
  const uint64_t size = file->size();
  res.set_content_provider(size, content_type,
                           [file](size_t offset, size_t length, httplib::DataSink& sink) {
                             std::string buf(std::min(length, kStreamBytes), '\0');
                             auto n = file->ReadAt(offset, buf.data(), buf.size());
                             // A short read cannot happen to a file nobody else holds;
                             // should it, the response is cut short rather than padded.
                             if (!n.ok() || *n == 0) return false;
                             return sink.write(buf.data(), *n);
                           });
}

template <typename Message>
bool WriteProtoIfAsked(const httplib::Request& req, httplib::Response& res,
                       const Message& message) {
  if (!WantsProtobuf(req)) return false;
  res.set_content(message.SerializeAsString(), kProtobuf);
  return true;
}

// ---------------------------------------------------------------------------------
// POST /v1/features/apply?message=M

// Applies are checked against the latest versions, then committed: one at a time.
std::mutex apply_mu;

absl::Status Apply(const RouteContext& ctx, const httplib::Request& req,
                   httplib::Response& res, Body& body) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {"message", "source"}));
  ASSIGN_OR_RETURN(std::string text, body.ReadAll());
  ASSIGN_OR_RETURN(features::Definitions defs,
                   features::ParseDefinitions(text, req.has_param("source")
                                                        ? req.get_param_value("source")
                                                        : std::string("body")));
  std::vector<features::AppliedView> applied;
  {
    std::lock_guard lock(apply_mu);
    ASSIGN_OR_RETURN(applied, ctx.features->registry().Apply(
                                  defs, Who(req), req.get_param_value("message")));
  }
  ApplyResponse proto;
  JsonWriter w;
  w.BeginObject();
  for (const Kind kind : {Kind::kFeatureView, Kind::kFeatureService}) {
    const bool views = kind == Kind::kFeatureView;
    // "featureservices" only when the file has some: answers to files without stay
    // as they were.
    if (!views && std::none_of(applied.begin(), applied.end(),
                               [](const auto& a) { return a.kind == Kind::kFeatureService; })) {
      continue;
    }
    w.Key(views ? "featureviews" : "featureservices").BeginArray();
    for (const auto& applied_one : applied) {
      if (applied_one.kind != kind) continue;
      w.BeginObject().Key("name").String(applied_one.name);
      w.Key("version").Uint(applied_one.version);
      w.Key("changed").Bool(applied_one.changed).EndObject();
      AppliedFeatureView* p =
          views ? proto.add_featureviews() : proto.add_featureservices();
      p->set_name(applied_one.name);
      p->set_version(applied_one.version);
      p->set_changed(applied_one.changed);
    }
    w.EndArray();
  }
  w.EndObject();
  if (!WriteProtoIfAsked(req, res, proto)) WriteJson(res, w.Take());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------
// POST /v1/features/VIEW/ingest?format=csv|jsonl&timestamp_unit=s|ms|us
//     &dataset=NAME&message=M&from=dataset/NAME[@REF]&inputs=REF,...

// NotFound, worded as the feature store words it, unless `view` is a feature view.
absl::Status CheckViewExists(const RouteContext& ctx, const std::string& view) {
  if (absl::Status s = ValidateArtifactName(view); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("feature view ", s.message()));
  }
  auto latest = ctx.store->artifacts().LatestVersion({Kind::kFeatureView, view});
  if (absl::IsNotFound(latest.status())) {
    return absl::NotFoundError(
        absl::StrCat("no feature view ", view, " (apply its definition first)"));
  }
  return latest.status();
}

}  // namespace

RulesOutcome RulesOutcomeProto(const features::RulesOutcome& outcome) {
  RulesOutcome proto;
  proto.set_on_invalid(outcome.on_invalid);
  proto.set_invalid_rows(outcome.invalid_rows);
  proto.set_violations(outcome.violations);
  for (const features::RuleViolation& v : outcome.examples) {
    RuleViolation* p = proto.add_examples();
    p->set_source(v.source);
    p->set_line(v.line);
    p->set_column(v.column);
    p->set_value(v.value);
    p->set_rule(v.rule);
  }
  for (const std::string& b : outcome.batch) proto.add_batch(b);
  proto.set_quarantine(outcome.quarantine);
  return proto;
}

namespace {

absl::Status Ingest(const RouteContext& ctx, const httplib::Request& req,
                    httplib::Response& res, Body& body) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {"format", "timestamp_unit", "dataset", "message",
                                    "source", "from", "inputs"}));
  const std::string view = req.matches[1].str();
  features::IngestOptions options;
  // The source: a stored dataset version (from=), or the body.
  std::optional<std::string> from;
  if (req.has_param("from")) {
    from = req.get_param_value("from");
    ASSIGN_OR_RETURN(std::optional<Ref> ref, features::StoredIngestSource(*from));
    if (!ref.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("from=", Excerpt(*from), ": expected dataset/NAME[@REF]"));
    }
  }
  options.inputs = ListParam(req, "inputs");
  if (req.has_param("format")) {
    const std::string format = req.get_param_value("format");
    if (format == "csv") {
      options.format = features::InputFormat::kCsv;
    } else if (format == "jsonl") {
      options.format = features::InputFormat::kJsonLines;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("format=", format, " is not csv or jsonl"));
    }
  } else {
    const std::string media = MediaType(req.get_header_value("Content-Type"));
    if (media == kCsv) options.format = features::InputFormat::kCsv;
    if (IsJsonLinesType(media)) options.format = features::InputFormat::kJsonLines;
  }
  ASSIGN_OR_RETURN(options.timestamp_unit, UnitParam(req));
  if (req.has_param("dataset")) {
    options.dataset = req.get_param_value("dataset");
    if (absl::Status s = ValidateArtifactName(options.dataset); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("dataset ", s.message()));
    }
  }
  RETURN_IF_ERROR(CheckViewExists(ctx, view));
  ASSIGN_OR_RETURN(auto file, ScratchFile::Create(*ctx.store));
  RETURN_IF_ERROR(body.ReadInto(*file));
  if (from.has_value() && file->size() > 0) {
    return absl::InvalidArgumentError(
        "the source is given twice: as from= and as the body (give one)");
  }
  // What errors call the body: source= (the CLI sends its file's name), else "body";
  // a stored source is named by its version.
  if (req.has_param("source")) {
    options.source_name = req.get_param_value("source");
  } else if (!from.has_value()) {
    options.source_name = "body";
  }
  options.creator = Who(req);
  options.message = req.get_param_value("message");
  options.max_record_bytes = ctx.options->max_record_bytes;
  ASSIGN_OR_RETURN(features::IngestResult r,
                   ctx.features->Ingest(view, from.value_or(file->path()), options));
  if (WantsProtobuf(req)) {
    IngestResponse proto;
    proto.set_ingest(r.ingest);
    proto.set_rows(r.rows);
    proto.set_written(r.written);
    proto.set_featureview(r.view_version);
    proto.set_dataset(r.dataset);
    proto.set_min_event_timestamp(features::FormatTimestamp(r.min_event));
    proto.set_max_event_timestamp(features::FormatTimestamp(r.max_event));
    proto.set_bulk(r.bulk);
    proto.set_source(std::string(features::IngestSourceName(r.source)));
    proto.set_same_content(r.same_content);
    for (const std::string& input : r.inputs) proto.add_inputs(input);
    proto.set_dropped(r.dropped);
    if (!r.rules.on_invalid.empty()) *proto.mutable_rules() = RulesOutcomeProto(r.rules);
    WriteProtoIfAsked(req, res, proto);
    return absl::OkStatus();
  }
  // The fields of `strata ingest --json`.
  WriteJson(res, features::IngestResultJson(r));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------
// JSON spines, converted to the CSV the spine reader takes.

// Where the rows of a converted spine are, for errors: the spine reader names CSV
// lines, and a string holding a line break spans several.
struct SpineLines {
  // (row, extra lines) of each row spanning more than one line, in row order.
  std::vector<std::pair<uint64_t, uint64_t>> multiline;

  // "spine:L: ..." from the spine reader, said of the JSON rows: "spine row R: ..."
  // (the header's errors: "spine: ...").
  absl::Status Reword(const absl::Status& status) const {
    const absl::string_view m = status.message();
    if (!absl::StartsWith(m, "spine:")) return status;
    const size_t colon = m.find(':', 6);
    uint64_t line;
    if (colon == absl::string_view::npos ||
        !absl::SimpleAtoi(m.substr(6, colon - 6), &line)) {
      return status;
    }
    const absl::string_view rest = absl::StripLeadingAsciiWhitespace(m.substr(colon + 1));
    if (line <= 1) return absl::Status(status.code(), absl::StrCat("spine: ", rest));
    const uint64_t target = line - 2;  // data lines, from 0
    uint64_t extra = 0, row = UINT64_MAX;
    for (const auto& [r, e] : multiline) {
      const uint64_t start = r + extra;
      if (target < start) break;
      if (target <= start + e) {
        row = r;
        break;
      }
      extra += e;
    }
    if (row == UINT64_MAX) row = target - extra;
    return absl::Status(status.code(), absl::StrCat("spine row ", row + 1, ": ", rest));
  }
};

// Appends a JSON scalar as a CSV field: strings quoted when needed (an empty
// string as ""), integers and doubles as numbers, true/false, null as nothing.
// Returns the line breaks it holds. Errors: InvalidArgument for arrays and objects.
absl::StatusOr<uint64_t> AppendJsonField(simdjson::dom::element v, std::string* out) {
  using simdjson::dom::element_type;
  switch (v.type()) {
    case element_type::NULL_VALUE:
      return 0;
    case element_type::BOOL:
      out->append(v.get_bool().value() ? "true" : "false");
      return 0;
    case element_type::INT64:
      absl::StrAppend(out, v.get_int64().value());
      return 0;
    case element_type::UINT64:
      absl::StrAppend(out, v.get_uint64().value());
      return 0;
    case element_type::DOUBLE: {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof(buf), v.get_double().value());
      out->append(buf, r.ptr);
      return 0;
    }
    case element_type::STRING: {
      const std::string_view s = v.get_string().value();
      features::AppendCsvField(Sv(s), true, out);
      return static_cast<uint64_t>(std::count(s.begin(), s.end(), '\n'));
    }
    default:
      return absl::InvalidArgumentError("arrays and objects are not spine values");
  }
}

absl::Status TooManySpineRows(uint64_t max_rows) {
  return absl::ResourceExhaustedError(absl::StrCat("spine has more than ", max_rows, " rows"));
}

// Converts a JSON spine of columns (`doc`, an object of equally long arrays) into
// CSV in `out`. Errors: as JsonSpineToCsv.
// A column's value at `it`: of an array, or of an object of index -> value.
simdjson::dom::element ValueAt(const simdjson::dom::array::iterator& it) { return *it; }
simdjson::dom::element ValueAt(const simdjson::dom::object::iterator& it) {
  return it.value();
}

// `Column` is simdjson::dom::array (columns of arrays), or simdjson::dom::object
// (pandas' to_json() default: each column an object of index -> value, read in the
// order given).
template <typename Column>
absl::StatusOr<SpineLines> ColumnsSpineToCsv(simdjson::dom::element doc,
                                             simdjson::dom::object columns,
                                             ScratchFile& out, uint64_t max_rows) {
  SpineLines lines;
  std::string csv;
  if (absl::Status s = CheckNoDuplicateKeys(doc); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the spine: ", s.message()));
  }
  std::vector<std::pair<std::string_view, Column>> cols;
  for (const auto field : columns) {
    cols.emplace_back(field.key, field.value.get<Column>().value());
  }
  if (cols.empty()) return absl::InvalidArgumentError("the spine has no columns");
  const size_t n = cols.front().second.size();
  for (const auto& [name, values] : cols) {
    if (values.size() != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("spine column ", Excerpt(Sv(name)), " has ",
                       Count(values.size(), "value"), ", but ",
                       Excerpt(Sv(cols.front().first)), " has ", n));
    }
    if (!csv.empty()) csv.push_back(',');
    features::AppendCsvField(Sv(name), false, &csv);
  }
  if (max_rows > 0 && n > max_rows) return TooManySpineRows(max_rows);
  csv.push_back('\n');
  std::vector<typename Column::iterator> at;
  for (auto& [name, values] : cols) at.push_back(values.begin());
  for (size_t row = 0; row < n; ++row) {
    uint64_t breaks = 0;
    for (size_t c = 0; c < cols.size(); ++c) {
      if (c > 0) csv.push_back(',');
      auto field = AppendJsonField(ValueAt(at[c]), &csv);
      if (!field.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("spine column ", Excerpt(Sv(cols[c].first)), "[", row,
                         "]: ", field.status().message()));
      }
      breaks += *field;
      ++at[c];
    }
    csv.push_back('\n');
    if (breaks > 0) lines.multiline.emplace_back(row, breaks);
    if (csv.size() >= (1 << 20)) {
      RETURN_IF_ERROR(out.Append(csv));
      csv.clear();
    }
  }
  RETURN_IF_ERROR(out.Append(csv));
  return lines;
}

// Converts a JSON-lines spine (one object per line, keys as in the first) in `text`
// into CSV in `out`. Errors: as JsonSpineToCsv.
absl::StatusOr<SpineLines> JsonLinesSpineToCsv(absl::string_view text,
                                               simdjson::dom::parser& parser,
                                               ScratchFile& out, uint64_t max_rows) {
  SpineLines lines;
  std::string csv;
  std::vector<std::string> names;
  std::vector<simdjson::dom::element> values;
  uint64_t rows = 0;
  size_t pos = 0;
  for (uint64_t line = 1; pos < text.size(); ++line) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const absl::string_view record(text.data() + pos, end - pos);
    pos = end + 1;
    if (absl::StripAsciiWhitespace(record).empty()) continue;
    const auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("spine line ", line, ": ", what));
    };
    ASSIGN_OR_RETURN(simdjson::dom::object object,
                     ParseJsonObject(parser, record, absl::StrCat("spine line ", line)));
    if (names.empty()) {
      for (const auto field : object) {
        names.emplace_back(field.key);
        if (!csv.empty()) csv.push_back(',');
        features::AppendCsvField(names.back(), false, &csv);
      }
      if (names.empty()) return bad("the object has no keys");
      csv.push_back('\n');
    }
    values.assign(names.size(), simdjson::dom::element());
    std::vector<bool> seen(names.size());
    for (const auto field : object) {
      const auto it = std::find(names.begin(), names.end(), field.key);
      if (it == names.end()) {
        return bad(absl::StrCat("key ", Excerpt(Sv(field.key)),
                                " is not a key of the first line"));
      }
      if (seen[it - names.begin()]) {
        return bad(absl::StrCat("key ", Excerpt(Sv(field.key)), " appears twice"));
      }
      seen[it - names.begin()] = true;
      values[it - names.begin()] = field.value;
    }
    if (max_rows > 0 && ++rows > max_rows) return TooManySpineRows(max_rows);
    uint64_t breaks = 0;
    for (size_t c = 0; c < names.size(); ++c) {
      if (c > 0) csv.push_back(',');
      if (!seen[c]) continue;  // null
      auto field = AppendJsonField(values[c], &csv);
      if (!field.ok())
        return bad(
            absl::StrCat("key ", Excerpt(names[c]), ": ", field.status().message()));
      breaks += *field;
    }
    csv.push_back('\n');
    if (breaks > 0) lines.multiline.emplace_back(rows - 1, breaks);
    if (csv.size() >= (1 << 20)) {
      RETURN_IF_ERROR(out.Append(csv));
      csv.clear();
    }
  }
  if (names.empty()) return absl::InvalidArgumentError("the spine is empty");
  RETURN_IF_ERROR(out.Append(csv));
  return lines;
}

// Converts a JSON spine in `in` (an object of equally long column arrays, or of
// column objects of index -> value as pandas' to_json() writes a frame, or JSON
// lines: one object per line, keys as in the first) into CSV in `out`.
// Errors: InvalidArgument naming the column and row or line; ResourceExhausted past
// `max_rows` rows.
absl::StatusOr<SpineLines> JsonSpineToCsv(const ScratchFile& in, ScratchFile& out,
                                          bool json_lines, uint64_t max_rows) {
  std::string text(in.size(), '\0');
  ASSIGN_OR_RETURN(size_t got, in.ReadAt(0, text.data(), text.size()));
  text.resize(got);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object columns;
  // One object of arrays, or of objects: columns. Anything else is JSON lines.
  bool arrays = false, objects = false;
  if (!json_lines && !parser.parse(text).get(doc) && !doc.get_object().get(columns)) {
    arrays = objects = true;
    for (const auto field : columns) {
      arrays = arrays && field.value.is_array();
      objects = objects && field.value.is_object();
    }
  }
  if (arrays) return ColumnsSpineToCsv<simdjson::dom::array>(doc, columns, out, max_rows);
  if (objects) {
    return ColumnsSpineToCsv<simdjson::dom::object>(doc, columns, out, max_rows);
  }
  return JsonLinesSpineToCsv(text, parser, out, max_rows);
}

// The column names of the CSV in `file`. None when its header is bad: the spine
// reader then says what is wrong.
absl::StatusOr<std::vector<std::string>> CsvHeader(const ScratchFile& file,
                                                   size_t max_record_bytes) {
  ASSIGN_OR_RETURN(auto source, OpenFileSource(file.path()));
  features::CsvBlockReader reader(source.get(), 1 << 20, max_record_bytes);
  features::ByteBuffer block;
  auto any = reader.Next(&block);
  if (!any.ok() || !*any) return std::vector<std::string>();
  auto header = features::ReadCsvHeader(reader, &block, max_record_bytes);
  if (!header.ok()) return std::vector<std::string>();
  return std::move(header->names);
}

// ---------------------------------------------------------------------------------
// POST /v1/features/historical?features=V:F,...&as_of=T&created_cutoff=B
//     &full_names=B&timestamp_unit=U&spine=dataset/NAME[@REF]&save=dataset/NAME
//     &message=M&format=csv|jsonl&inputs=REF,...&spine_inputs=REF,...

// Reads the historical route's query (features/historical_query.h): a format given
// neither as format= nor by the Accept header is CSV; the limits are the server's.
// Errors: InvalidArgument naming the parameter; save= needs the write scope.
absl::StatusOr<features::ParsedHistoricalQuery> ParseHistoricalParams(
    const RouteContext& ctx, const httplib::Request& req) {
  ASSIGN_OR_RETURN(features::HistoricalQuery query,
                   features::HistoricalQueryOfParameters(req.params));
  if (query.format().empty() && AcceptsJsonLines(req)) query.set_format("jsonl");
  ASSIGN_OR_RETURN(features::ParsedHistoricalQuery p,
                   features::ParseHistoricalQuery(query, features::QueryDialect::kHttp));
  // Feature services become their features; a saved set records the versions read.
  ASSIGN_OR_RETURN(features::ResolvedFeatures resolved,
                   ctx.features->ResolveFeatures(p.request.features));
  p.request.features = std::move(resolved.features);
  for (std::string& service : resolved.services) {
    p.lineage.inputs.push_back(std::move(service));
  }
  p.request.max_spine_rows = ctx.options->max_spine_rows;
  p.request.max_record_bytes = ctx.options->max_record_bytes;
  if (p.save.has_value()) RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  return p;
}

bool IsJsonLines(const features::ParsedHistoricalQuery& p) {
  return p.request.format == features::ResultFormat::kJsonLines;
}

// Where the spine came from: a stored version (pinned), or the body (converted
// from JSON when it was JSON).
struct SpineOrigin {
  std::optional<std::string> ref;  // "dataset/NAME@N"
  std::optional<SpineLines> json;
};

// Reads the spine into `spine`: the stored dataset version spine= names (unless
// SaveHistorical reads it itself), or the body. Sets the request's spine_name for a
// stored one. Errors: InvalidArgument for a spine given twice or not at all, or a bad
// JSON spine; NotFound for an unknown version.
absl::StatusOr<SpineOrigin> ReadHistoricalSpine(const RouteContext& ctx,
                                                const httplib::Request& req, Body& body,
                                                features::ParsedHistoricalQuery* p,
                                                ScratchFile& spine) {
  SpineOrigin origin;
  if (p->spine.has_value()) {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(*p->spine));
    ASSIGN_OR_RETURN(store::Version version, ctx.store->artifacts().Resolve(ref));
    ASSIGN_OR_RETURN(std::string rest, body.ReadAll());
    if (!rest.empty()) {
      return absl::InvalidArgumentError(
          "the spine is given twice: as spine= and as the body (give one)");
    }
    origin.ref = absl::StrCat("dataset/", version.name(), "@", version.number());
    p->request.spine_name = *origin.ref;
    // A verified copy, read here; SaveHistorical makes its own.
    if (!p->save.has_value() || IsJsonLines(*p)) {
      ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(version.content_id()));
      auto sink = spine.Sink();
      RETURN_IF_ERROR(ctx.store->content().Get(id, *sink));
    }
    return origin;
  }
  const std::string media = MediaType(req.get_header_value("Content-Type"));
  if (media == kJson || IsJsonLinesType(media)) {
    ASSIGN_OR_RETURN(auto json, ScratchFile::Create(*ctx.store));
    RETURN_IF_ERROR(body.ReadInto(*json));
    ASSIGN_OR_RETURN(origin.json, JsonSpineToCsv(*json, spine, media != kJson,
                                                 p->request.max_spine_rows));
  } else {
    RETURN_IF_ERROR(body.ReadInto(spine));
  }
  if (spine.size() == 0) {
    return absl::InvalidArgumentError(
        "no spine: send it as the body (CSV with a header row, or JSON) or name a "
        "stored one with spine=dataset/NAME[@REF]");
  }
  return origin;
}

// OK when no spine column of `spine` has a requested feature's output name: a JSON
// object cannot hold both. Errors: InvalidArgument naming the column.
absl::Status CheckJsonLinesColumns(const ScratchFile& spine,
                                   const features::HistoricalRequest& request) {
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   CsvHeader(spine, request.max_record_bytes));
  for (const std::string& ref : request.features) {
    const size_t colon = ref.find(':');
    const std::string name =
        request.full_names || colon == std::string::npos
            ? absl::StrCat(ref.substr(0, colon), "__", ref.substr(colon + 1))
            : ref.substr(colon + 1);
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the spine has a column ", name,
          " and so would a feature: JSON lines cannot hold both (use format=csv",
          request.full_names ? "" : " or full_names=true", ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status Historical(const RouteContext& ctx, const httplib::Request& req,
                        httplib::Response& res, Body& body) {
  static const std::vector<std::string> kNames = features::HistoricalQueryParameterNames();
  static const std::vector<absl::string_view> kParams(kNames.begin(), kNames.end());
  RETURN_IF_ERROR(CheckParams(req, kParams));
  ASSIGN_OR_RETURN(features::ParsedHistoricalQuery p, ParseHistoricalParams(ctx, req));
  ASSIGN_OR_RETURN(auto spine, ScratchFile::Create(*ctx.store));
  ASSIGN_OR_RETURN(SpineOrigin origin, ReadHistoricalSpine(ctx, req, body, &p, *spine));
  if (IsJsonLines(p)) RETURN_IF_ERROR(CheckJsonLinesColumns(*spine, p.request));

  // The join, into a scratch file; then its summary and the rows.
  ASSIGN_OR_RETURN(std::shared_ptr<ScratchFile> result, ScratchFile::Create(*ctx.store));
  auto out = result->Sink();
  features::HistoricalResult summary;
  std::optional<features::SavedResult> saved;
  absl::Status status;
  if (p.save.has_value()) {
    auto r = ctx.features->SaveHistorical(p.request, origin.ref.value_or(spine->path()),
                                          *p.save, Who(req), p.message, out.get(),
                                          p.lineage);
    status = r.status();
    if (r.ok()) {
      saved = std::move(*r);
      summary = saved->result;
    }
  } else {
    ASSIGN_OR_RETURN(auto source, OpenFileSource(spine->path()));
    auto r = ctx.features->Historical(p.request, *source, *out);
    status = r.status();
    if (r.ok()) summary = std::move(*r);
  }
  if (!status.ok()) return origin.json.has_value() ? origin.json->Reword(status) : status;

  SetResultHeaders(res, summary);
  if (saved.has_value()) {
    res.set_header("X-Strata-Dataset", saved->dataset);
    res.set_header("X-Strata-Spine", saved->spine);
  }
  StreamFile(res, std::move(result), IsJsonLines(p) ? kJsonLines : kCsv);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------
// POST /v1/features/reproduce/dataset/NAME[@REF][?output=true]

absl::Status Reproduce(const RouteContext& ctx, const httplib::Request& req,
                       httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {"output"}));
  ASSIGN_OR_RETURN(bool output, BoolParam(req, "output", false));
  const std::string ref = req.matches[1].str();
  std::shared_ptr<ScratchFile> file;
  absl::StatusOr<features::ReproduceResult> r;
  if (output) {
    ASSIGN_OR_RETURN(file, ScratchFile::Create(*ctx.store));
    auto sink = file->Sink();
    r = ctx.features->Reproduce(ref, sink.get());
  } else {
    r = ctx.features->Reproduce(ref, nullptr);
  }
  if (!r.ok()) return r.status();
  const std::string recorded = absl::StrCat("sha256:", r->recorded.Hex());
  const std::string reproduced = absl::StrCat("sha256:", r->reproduced.Hex());
  if (output) {
    res.set_header("X-Strata-Identical", r->identical ? "true" : "false");
    res.set_header("X-Strata-Recorded", recorded);
    res.set_header("X-Strata-Reproduced", reproduced);
    SetResultHeaders(res, r->result);
    StreamFile(res, std::move(file), kCsv);
    return absl::OkStatus();
  }
  const std::vector<std::string> views = ViewRefs(r->result);
  if (WantsProtobuf(req)) {
    ReproduceResponse proto;
    proto.set_identical(r->identical);
    proto.set_recorded(recorded);
    proto.set_reproduced(reproduced);
    proto.set_rows(r->result.rows);
    proto.set_matched(r->result.matched);
    for (const auto& v : views) proto.add_featureviews(v);
    proto.set_ingest_position(r->result.at.position);
    for (uint64_t p : r->result.at.pending) proto.add_ingest_pending(p);
    WriteProtoIfAsked(req, res, proto);
    return absl::OkStatus();
  }
  JsonWriter w;
  w.BeginObject().Key("identical").Bool(r->identical);
  w.Key("recorded").String(recorded).Key("reproduced").String(reproduced);
  w.Key("rows").Uint(r->result.rows).Key("matched").Uint(r->result.matched);
  w.Key("featureviews").BeginArray();
  for (const auto& v : views) w.String(v);
  w.EndArray().Key("ingest_position").Uint(r->result.at.position);
  w.Key("ingest_pending").BeginArray();
  for (uint64_t p : r->result.at.pending) w.Uint(p);
  w.EndArray().EndObject();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------
// POST /push (Feast's push) and POST /write-to-online-store (Feast's
// WriteToFeatureStoreRequest): a df of rows for the feature views a push source
// feeds, or for one view.

enum class PushTo { kOnline, kOffline, kOnlineAndOffline };

// The rows of a push for one feature view.
struct PushBatch {
  std::string view;
  features::RowColumns rows;
  std::vector<ValueType> types;  // per column of `rows`
};

struct PushRequest {
  std::string name;  // push_source_name or feature_view_name, as given
  PushTo to = PushTo::kOnline;  // Feast's default
  std::string to_name = "online";
  std::vector<PushBatch> batches;  // one per view written, in name order
  // Fields accepted without effect, named in the answer ("transform_on_write").
  std::vector<std::string> ignored;
};

// Which of Feast's two requests a body is.
struct PushDialect {
  absl::string_view name_field;  // "push_source_name" or "feature_view_name"
  bool has_to = true;            // push only: `to`
  bool push_sources = true;      // the name may be a push source
};
constexpr PushDialect kPushDialect{"push_source_name", true, true};
constexpr PushDialect kWriteDialect{"feature_view_name", false, false};

// One df value as a value of `type`. Errors: InvalidArgument saying what was expected.
// `window`: the view's plausible time, for event and created times (null for
// other columns).
absl::StatusOr<features::Value> PushValue(simdjson::dom::element v, ValueType type,
                                          bool is_key, features::TimeUnit unit,
                                          const features::PlausibleTime* window) {
  using simdjson::dom::element_type;
  const element_type jt = v.type();
  if (jt == element_type::NULL_VALUE) return features::Value();
  const auto expected = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", what));
  };
  std::string_view s;
  switch (type) {
    case features::VALUE_TYPE_INT64:
      if (jt == element_type::INT64) return features::Value(v.get_int64().value());
      if (jt == element_type::UINT64) {
        return absl::InvalidArgumentError(
            absl::StrCat(v.get_uint64().value(), " is out of range for int64"));
      }
      // A join key may be a string holding an integer, as in online lookups.
      if (is_key && !v.get_string().get(s)) {
        return features::ParseValue(Sv(s), type, unit);
      }
      return expected(is_key ? "an int64 (or a string holding one)" : "an int64");
    case features::VALUE_TYPE_DOUBLE:
      if (jt == element_type::INT64 || jt == element_type::UINT64 ||
          jt == element_type::DOUBLE) {
        return features::Value(v.get_double().value());
      }
      return expected("a number");
    case features::VALUE_TYPE_BOOL:
      if (jt == element_type::BOOL) return features::Value(v.get_bool().value());
      return expected("true or false");
    case features::VALUE_TYPE_TIMESTAMP: {
      absl::StatusOr<features::Micros> t = expected("an ISO 8601 string or an integer");
      const auto parse = [&](absl::string_view text) {
        return window != nullptr ? features::ParseRowTime(text, unit, *window)
                                 : features::ParseTimestamp(text, unit);
      };
      if (jt == element_type::INT64) {
        t = parse(absl::StrCat(v.get_int64().value()));
      } else if (jt == element_type::UINT64) {
        t = parse(absl::StrCat(v.get_uint64().value()));
      } else if (jt == element_type::DOUBLE) {
        t = absl::InvalidArgumentError(absl::StrCat(
            "not a whole number of ", features::TimeUnitName(unit), " since the epoch"));
      } else if (!v.get_string().get(s)) {
        t = parse(Sv(s));
      }
      if (!t.ok()) return t.status();
      return features::Value(*t);
    }
    case features::VALUE_TYPE_BYTES:
      if (!v.get_string().get(s)) {
        return features::ParseValue(Sv(s), type, unit);  // base64, decoded
      }
      return expected("a base64 string");
    default:  // string
      if (!v.get_string().get(s)) return features::Value(std::string(s));
      return expected("a string");
  }
}

// The request's fields but df's columns into `out`; returns df. Errors:
// InvalidArgument for a field missing, unknown or of the wrong type, and for an
// unknown `to`.
absl::StatusOr<simdjson::dom::object> ParsePushFields(simdjson::dom::object obj,
                                                      const PushDialect& dialect,
                                                      PushRequest& out) {
  const auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(what);
  };
  simdjson::dom::object df;
  bool have_df = false, have_name = false;
  for (const auto field : obj) {
    const absl::string_view key = Sv(field.key);
    std::string_view s;
    if (key == dialect.name_field) {
      if (field.value.get_string().get(s)) {
        return bad(absl::StrCat(dialect.name_field, " must be a string"));
      }
      out.name = std::string(s);
      have_name = true;
    } else if (key == "df") {
      if (field.value.get_object().get(df)) {
        return bad("df must be an object of column -> array of values");
      }
      have_df = true;
    } else if (key == "to" && dialect.has_to) {
      if (field.value.get_string().get(s)) return bad("to must be a string");
      out.to_name = std::string(s);
      if (s == "online") {
        out.to = PushTo::kOnline;
      } else if (s == "offline") {
        out.to = PushTo::kOffline;
      } else if (s == "online_and_offline") {
        out.to = PushTo::kOnlineAndOffline;
      } else {
        return bad(absl::StrCat("to \"", Sv(s),
                                "\" is not online, offline or online_and_offline"));
      }
    } else if (key == "allow_registry_cache") {
      bool ignored;  // Feast's client sends it; the registry here is always current
      if (field.value.get_bool().get(ignored)) {
        return bad("allow_registry_cache must be true or false");
      }
    } else if (key == "transform_on_write") {
      // strata has no on-write transformations: true is answered as ignored.
      bool transform;
      if (field.value.get_bool().get(transform)) {
        return bad("transform_on_write must be true or false");
      }
      if (transform) out.ignored.push_back("transform_on_write");
    } else {
      return bad(absl::StrCat("unknown field \"", key, "\" (expected ", dialect.name_field,
                              ", df", dialect.has_to ? ", to" : "",
                              ", allow_registry_cache, transform_on_write)"));
    }
  }
  if (!have_name) return bad(absl::StrCat("the request has no ", dialect.name_field));
  if (!have_df) return bad("the request has no df");
  return df;
}

// A feature view a push writes to, as its df's columns are read.
struct PushTarget {
  std::string name;
  features::FeatureView view;
  features::TimeUnit unit = features::TimeUnit::kSeconds;
  features::PlausibleTime window;
  std::vector<std::pair<std::string, ValueType>> keys;  // join keys, in order
};

// The view `name`; `unit`, when given, overrides its timestamp_unit.
// Errors: InvalidArgument for a malformed name, NotFound for no such view.
absl::StatusOr<PushTarget> ResolvePushTarget(const RouteContext& ctx,
                                             const std::string& name,
                                             std::optional<features::TimeUnit> unit) {
  if (absl::Status s = ValidateArtifactName(name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("feature view ", s.message()));
  }
  auto view = ctx.features->registry().Get(name);
  if (absl::IsNotFound(view.status())) {
    return absl::NotFoundError(
        absl::StrCat("no feature view ", name, " (apply its definition first)"));
  }
  if (!view.ok()) return view.status();
  PushTarget target;
  target.name = name;
  if (unit.has_value()) {
    target.unit = *unit;
  } else if (!view->timestamp_unit().empty()) {
    ASSIGN_OR_RETURN(target.unit, features::ParseTimeUnit(view->timestamp_unit()));
  }
  target.window = features::PlausibleTimeOf(*view);
  for (const auto& entity : view->entities()) {
    for (const auto& key : entity.join_keys()) {
      target.keys.emplace_back(key.name(), key.type());
    }
  }
  target.view = *std::move(view);
  return target;
}

// What a df column of the target view holds.
struct PushColumn {
  ValueType type;
  bool is_key = false, nullable = true;
};

// Errors: InvalidArgument naming the view's columns when it has none named `name`.
absl::StatusOr<PushColumn> PushColumnOf(const PushTarget& target,
                                        const std::string& name) {
  std::optional<ValueType> type;
  bool is_key = false, nullable = true;
  for (const auto& [key, key_type] : target.keys) {
    if (key == name) {
      type = key_type;
      is_key = true;
      nullable = false;
    }
  }
  if (name == "event_timestamp" || name == "created_timestamp") {
    type = features::VALUE_TYPE_TIMESTAMP;
    nullable = name == "created_timestamp";
  }
  for (const auto& feature : target.view.features()) {
    if (feature.name() == name) type = feature.type();
  }
  if (!type.has_value()) {
    std::vector<std::string> known;
    for (const auto& [key, key_type] : target.keys) known.push_back(key);
    known.push_back("event_timestamp");
    known.push_back("created_timestamp");
    for (const auto& feature : target.view.features()) known.push_back(feature.name());
    return absl::InvalidArgumentError(
        absl::StrCat("df.", name, ": feature view ", target.name,
                     " has no column ", name, " (it has ", absl::StrJoin(known, ", "), ")"));
  }
  return PushColumn{*type, is_key, nullable};
}

// A df column's values: an array, or an object of index -> value as pandas'
// to_json writes a frame by default (orient "columns"), in the order given.
// Errors: InvalidArgument for anything else.
absl::StatusOr<std::vector<simdjson::dom::element>> DfColumnValues(
    simdjson::dom::element json, const std::string& df_name) {
  std::vector<simdjson::dom::element> values;
  simdjson::dom::array array;
  simdjson::dom::object object;
  if (!json.get_array().get(array)) {
    values.reserve(array.size());
    for (const auto v : array) values.push_back(v);
  } else if (!json.get_object().get(object)) {
    for (const auto field : object) values.push_back(field.value);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "df.", df_name, " must be an array (or an object of index -> value)"));
  }
  return values;
}

// Appends df's column `df_name` (its JSON `values`) to `out` as the view's column
// `name`. Errors: InvalidArgument naming the value (df.NAME[I]) at fault.
absl::Status ParsePushColumn(const PushTarget& target, const PushColumn& column,
                             const std::string& df_name, const std::string& name,
                             const std::vector<simdjson::dom::element>& values,
                             PushBatch& out) {
  auto& [column_name, column_values] =
      out.rows.emplace_back(name, std::vector<features::Value>());
  out.types.push_back(column.type);
  column_values.reserve(values.size());
  for (const auto value : values) {
    const auto where = absl::StrCat("df.", df_name, "[", column_values.size(), "]");
    auto v = PushValue(value, column.type, column.is_key, target.unit,
                       name == "event_timestamp" || name == "created_timestamp"
                           ? &target.window
                           : nullptr);
    if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", v.status().message()));
    if (v->index() == 0 && !column.nullable) {
      return absl::InvalidArgumentError(absl::StrCat(where, " is null"));
    }
    column_values.push_back(std::move(*v));
  }
  return absl::OkStatus();
}

// Every join key and the event time given, all columns of one length, rows, and,
// for a view fed by a push source, a feature (else the push would only null it).
// Errors: InvalidArgument saying which is not.
absl::Status CheckPushRows(const PushTarget& target, const PushBatch& out,
                           bool from_source) {
  const auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(what);
  };
  const auto has = [&](const std::string& name) {
    return std::any_of(out.rows.begin(), out.rows.end(),
                       [&](const auto& c) { return c.first == name; });
  };
  for (const auto& [key, key_type] : target.keys) {
    if (!has(key)) {
      return bad(absl::StrCat("df has no column ", key, " (a join key of feature view ",
                              out.view, ")"));
    }
  }
  if (!has("event_timestamp")) {
    return bad(absl::StrCat("df has no column event_timestamp",
                            from_source ? absl::StrCat(" (feature view ", out.view, ")")
                                        : std::string()));
  }
  if (from_source && std::none_of(target.view.features().begin(),
                                  target.view.features().end(),
                                  [&](const auto& f) { return has(f.name()); })) {
    return bad(absl::StrCat("df has no feature of feature view ", out.view,
                            " (a push to a push source writes every view naming it: "
                            "df must hold features of each)"));
  }
  const size_t n = out.rows.front().second.size();
  for (const auto& [name, values] : out.rows) {
    if (values.size() != n) {
      return bad(absl::StrCat("df.", name, " has ", Count(values.size(), "value"),
                              ", but df.", out.rows.front().first, " has ", n));
    }
  }
  if (n == 0) return bad("df has no rows");
  return absl::OkStatus();
}

// Reads a push or write-to-online-store body: every view it writes to and every
// value is checked before anything is written. `unit` (timestamp_unit=) overrides
// the views' units. Errors: InvalidArgument naming the field, column or value;
// NotFound for an unknown push source or view.
absl::StatusOr<PushRequest> ParsePushRequest(const RouteContext& ctx,
                                             const std::string& body,
                                             const PushDialect& dialect,
                                             std::optional<features::TimeUnit> unit) {
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(simdjson::dom::object obj, ParseJsonObject(parser, body));
  PushRequest out;
  ASSIGN_OR_RETURN(simdjson::dom::object df, ParsePushFields(obj, dialect, out));
  std::vector<std::string> views = {out.name};
  if (dialect.push_sources) {
    auto targets = ctx.features->PushTargets(out.name);
    if (!targets.ok()) {
      return absl::Status(targets.status().code(),
                          absl::StrCat("push_source_name: ", targets.status().message()));
    }
    views = *std::move(targets);
  }
  const bool from_source = views.size() != 1 || views.front() != out.name;
  std::vector<PushTarget> targets;
  for (const std::string& view : views) {
    ASSIGN_OR_RETURN(PushTarget target, ResolvePushTarget(ctx, view, unit));
    targets.push_back(std::move(target));
    out.batches.push_back(PushBatch{view, {}, {}});
  }
  std::vector<std::string> seen;
  for (const auto column : df) {
    const std::string df_name(column.key);
    if (std::find(seen.begin(), seen.end(), df_name) != seen.end()) {
      return absl::InvalidArgumentError(absl::StrCat("df.", df_name, " appears twice"));
    }
    seen.push_back(df_name);
    ASSIGN_OR_RETURN(const std::vector<simdjson::dom::element> values,
                     DfColumnValues(column.value, df_name));
    absl::Status unknown;
    bool known = false;
    for (size_t t = 0; t < targets.size(); ++t) {
      // Feast's remote online store and its examples call the created time "created".
      const std::string name =
          df_name == "created" && !PushColumnOf(targets[t], df_name).ok()
              ? "created_timestamp"
              : df_name;
      auto kind = PushColumnOf(targets[t], name);
      if (!kind.ok()) {
        unknown = kind.status();
        continue;
      }
      known = true;
      RETURN_IF_ERROR(
          ParsePushColumn(targets[t], *kind, df_name, name, values, out.batches[t]));
    }
    if (!known && targets.size() == 1) return unknown;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("df.", df_name, ": no feature view push source ", out.name,
                       " feeds (", absl::StrJoin(views, ", "), ") has a column ", df_name));
    }
  }
  for (size_t t = 0; t < targets.size(); ++t) {
    RETURN_IF_ERROR(CheckPushRows(targets[t], out.batches[t], from_source));
  }
  return out;
}

// The rows as JSON lines, typed, for an ingest.
std::string PushRowsAsJsonLines(const PushBatch& push) {
  std::string text;
  const size_t n = push.rows.front().second.size();
  for (size_t i = 0; i < n; ++i) {
    JsonWriter w;
    w.BeginObject();
    for (size_t c = 0; c < push.rows.size(); ++c) {
      const features::Value& v = push.rows[c].second[i];
      if (v.index() == 0) continue;
      w.Key(push.rows[c].first);
      if (const auto* d = std::get_if<double>(&v)) {
        w.Double(*d);
      } else if (const auto* b = std::get_if<bool>(&v)) {
        w.Bool(*b);
      } else if (const auto* x = std::get_if<int64_t>(&v);
                 x != nullptr && push.types[c] == features::VALUE_TYPE_INT64) {
        w.Int(*x);
      } else {
        std::string s;  // timestamps as RFC 3339, bytes as base64
        features::AppendValueText(v, push.types[c], &s);
        w.String(s);
      }
    }
    w.EndObject();
    text += w.str();
    text.push_back('\n');
  }
  return text;
}

// What each view's validation rules found in a push, by view name.
using PushRules = std::vector<std::pair<std::string, features::RulesOutcome>>;

void AddPushRules(const PushRules& rules, PushResponse& proto) {
  for (const auto& [view, outcome] : rules) {
    RulesOutcome* p = proto.add_rules();
    *p = RulesOutcomeProto(outcome);
    p->set_featureview(view);
  }
}

// Writes the batches: online, every view in one transaction (PushOnline); otherwise
// one ingest per view, one after another, each atomic (a failure part-way leaves
// the views before it written, as separate ingests).
absl::Status WritePush(const RouteContext& ctx, const httplib::Request& req,
                       const PushRequest& push, PushResponse& proto,
                       PushRules& rules) {
  proto.set_rows(push.batches.front().rows.front().second.size());
  proto.set_to(push.to_name);
  for (const std::string& ignored : push.ignored) proto.add_ignored(ignored);
  for (const PushBatch& batch : push.batches) proto.add_featureviews(batch.view);
  if (push.to == PushTo::kOnline) {
    std::vector<features::FeatureStore::ViewRows> views;
    for (const PushBatch& batch : push.batches) views.push_back({batch.view, batch.rows});
    std::vector<features::RulesOutcome> outcomes;
    RETURN_IF_ERROR(
        ctx.features->PushOnline(views, absl::ToUnixMicros(absl::Now()), &outcomes, Who(req)));
    for (size_t v = 0; v < outcomes.size(); ++v) {
      if (!outcomes[v].on_invalid.empty()) rules.emplace_back(views[v].view, outcomes[v]);
    }
    AddPushRules(rules, proto);
    return absl::OkStatus();
  }
  for (const PushBatch& batch : push.batches) {
    ASSIGN_OR_RETURN(auto file, ScratchFile::Create(*ctx.store));
    RETURN_IF_ERROR(file->Append(PushRowsAsJsonLines(batch)));
    features::IngestOptions options;
    options.format = features::InputFormat::kJsonLines;
    options.timestamp_unit = features::TimeUnit::kMicros;  // all are RFC 3339 anyway
    options.dataset = absl::StrCat(batch.view, "-push");
    options.creator = Who(req);
    options.message = absl::StrCat("pushed to ", push.to_name);
    options.source_name = "df";
    options.update_online = push.to == PushTo::kOnlineAndOffline;
    ASSIGN_OR_RETURN(features::IngestResult r,
                     ctx.features->Ingest(batch.view, file->path(), options));
    if (proto.ingests().empty()) {
      proto.set_ingest(r.ingest);
      proto.set_dataset(r.dataset);
    }
    auto* ingest = proto.add_ingests();
    ingest->set_featureview(batch.view);
    ingest->set_ingest(r.ingest);
    ingest->set_dataset(r.dataset);
    if (!r.rules.on_invalid.empty()) rules.emplace_back(batch.view, r.rules);
  }
  AddPushRules(rules, proto);
  return absl::OkStatus();
}

// "rules": {VIEW: WriteRulesOutcome, ...} of a push answer; nothing when no view
// written has rules.
void WritePushRules(const PushRules& rules, JsonWriter& w) {
  if (rules.empty()) return;
  w.Key("rules").BeginObject();
  for (const auto& [view, outcome] : rules) {
    w.Key(view);
    features::WriteRulesOutcome(outcome, w);
  }
  w.EndObject();
}

// "ignored": the request fields a push answer says were accepted and ignored
// (Feast's transform_on_write); nothing when none were.
void WriteIgnored(const PushResponse& proto, JsonWriter& w) {
  if (proto.ignored().empty()) return;
  w.Key("ignored").BeginArray();
  for (const auto& field : proto.ignored()) w.String(field);
  w.EndArray();
}

// What /push and /write-to-online-store share: the request checked, read in
// `dialect`, and written; `proto` and `rules` say what was written.
absl::StatusOr<PushRequest> ReceivePush(const RouteContext& ctx, const httplib::Request& req,
                                        Body& body, const PushDialect& dialect,
                                        PushResponse& proto, PushRules& rules) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kWrite));
  RETURN_IF_ERROR(CheckParams(req, {"timestamp_unit"}));
  ASSIGN_OR_RETURN(std::optional<features::TimeUnit> unit, UnitParam(req));
  ASSIGN_OR_RETURN(std::string text, body.ReadAll());
  ASSIGN_OR_RETURN(PushRequest push, ParsePushRequest(ctx, text, dialect, unit));
  RETURN_IF_ERROR(WritePush(ctx, req, push, proto, rules));
  return push;
}

absl::Status Push(const RouteContext& ctx, const httplib::Request& req,
                  httplib::Response& res, Body& body) {
  PushResponse proto;
  PushRules rules;
  ASSIGN_OR_RETURN(PushRequest push, ReceivePush(ctx, req, body, kPushDialect, proto, rules));
  if (WriteProtoIfAsked(req, res, proto)) return absl::OkStatus();
  JsonWriter w;
  w.BeginObject().Key("rows").Uint(proto.rows()).Key("to").String(proto.to());
  if (push.to != PushTo::kOnline) {
    w.Key("ingest").Uint(proto.ingest()).Key("dataset").String(proto.dataset());
  }
  // A push source's views; a push naming a view answers as it always has.
  if (proto.featureviews_size() != 1 || proto.featureviews(0) != push.name) {
    w.Key("featureviews").BeginArray();
    for (const auto& view : proto.featureviews()) w.String(view);
    w.EndArray();
  }
  if (proto.ingests_size() > 1) {
    w.Key("ingests").BeginArray();
    for (const auto& i : proto.ingests()) {
      w.BeginObject().Key("featureview").String(i.featureview());
      w.Key("ingest").Uint(i.ingest()).Key("dataset").String(i.dataset()).EndObject();
    }
    w.EndArray();
  }
  WriteIgnored(proto, w);
  WritePushRules(rules, w);
  w.EndObject();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// POST /write-to-online-store: Feast's WriteToFeatureStoreRequest, written as a
// push to "online" of the view feature_view_name names.
absl::Status WriteToOnlineStore(const RouteContext& ctx, const httplib::Request& req,
                                httplib::Response& res, Body& body) {
  PushResponse proto;
  PushRules rules;
  ASSIGN_OR_RETURN(PushRequest push,
                   ReceivePush(ctx, req, body, kWriteDialect, proto, rules));
  if (WriteProtoIfAsked(req, res, proto)) return absl::OkStatus();
  JsonWriter w;
  w.BeginObject().Key("rows").Uint(proto.rows()).Key("featureview").String(push.name);
  WriteIgnored(proto, w);
  WritePushRules(rules, w);
  w.EndObject();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------
// GET /v1/features/views/NAME[@REF]: a view's declaration, for clients that type
// columns (the Python client's DataFrames).

absl::Status GetFeatureView(const RouteContext& ctx, const httplib::Request& req,
                            httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(Ref ref, ParseRef(absl::StrCat("featureview/", req.matches[1].str())));
  if (ref.is_latest()) RETURN_IF_ERROR(CheckViewExists(ctx, ref.artifact.name));
  ASSIGN_OR_RETURN(store::Version v, ctx.store->artifacts().Resolve(ref));
  ASSIGN_OR_RETURN(features::FeatureView view,
                   ctx.features->registry().Get(
                       absl::StrCat("featureview/", ref.artifact.name, "@", v.number())));
  WriteJson(res, features::FeatureViewJson(view, v.number()));
  return absl::OkStatus();
}

}  // namespace

void AddFeatureRoutes(httplib::Server& http, const RouteContext& ctx) {
  http.Post("/v1/features/apply", HandleWithBody(ctx, "/v1/features/apply", Apply));
  http.Post("/v1/features/historical",
            HandleWithBody(ctx, "/v1/features/historical", Historical));
  // Any view name but one that would read as a reproduce path.
  http.Post(R"(/v1/features/(?!reproduce/dataset/)(.+)/ingest)",
            HandleWithBody(ctx, "/v1/features/{view}/ingest", Ingest));
  for (const char* path : {"/push", "/v1/push"}) {
    http.Post(path, HandleWithBody(ctx, path, Push));
  }
  http.Get(R"(/v1/features/views/(.+))",
           Bind(ctx, "/v1/features/views/{view}", GetFeatureView));
  http.Post("/write-to-online-store",
            HandleWithBody(ctx, "/write-to-online-store", WriteToOnlineStore));
  // Feast's health check: 200 with an empty body while the server serves.
  http.Get("/health", Handle("/health", [](const httplib::Request&, httplib::Response&) {
             return absl::OkStatus();
           }));
  http.Post(R"(/v1/features/reproduce/(dataset/.+))",
            Handle("/v1/features/reproduce/{ref}",
                   [&ctx](const httplib::Request& req, httplib::Response& res) {
                     return Reproduce(ctx, req, res);
                   }));
}

}  // namespace strata::api::internal
