// RemoteClient: the feature routes, online lookups and tokens.
#include <cstring>
#include <filesystem>
#include <type_traits>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/api.pb.h"
#include "api/features_api.pb.h"
#include "api/online.pb.h"
#include "client/remote_client.h"
#include "features/csv.h"
#include "features/historical_query.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata {
namespace {

constexpr const char* kProtobuf = "application/x-protobuf";

absl::StatusOr<uint64_t> HeaderNumber(const httplib::Response& res, const char* name) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(res.get_header_value(name), &n)) {
    return absl::DataLossError(absl::StrCat("the server's answer lacks ", name));
  }
  return n;
}

// "featureview/NAME@N" -> (NAME, N).
absl::Status AddViewVersion(absl::string_view ref,
                            std::map<std::string, uint64_t>* versions) {
  constexpr absl::string_view kPrefix = "featureview/";
  const size_t at = ref.rfind('@');
  uint64_t n = 0;
  if (!absl::StartsWith(ref, kPrefix) || at == absl::string_view::npos ||
      !absl::SimpleAtoi(ref.substr(at + 1), &n)) {
    return absl::DataLossError(
        absl::StrCat("the server named a feature view version \"", ref, "\""));
  }
  (*versions)[std::string(ref.substr(kPrefix.size(), at - kPrefix.size()))] = n;
  return absl::OkStatus();
}

absl::Status ParsePending(absl::string_view text, std::vector<uint64_t>* pending) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    uint64_t n = 0;
    if (!absl::SimpleAtoi(item, &n)) {
      return absl::DataLossError("the server's X-Strata-Ingest-Pending is malformed");
    }
    pending->push_back(n);
  }
  return absl::OkStatus();
}

// The summary of a retrieval from its X-Strata-* headers.
absl::StatusOr<features::HistoricalResult> ResultOfHeaders(const httplib::Response& res) {
  features::HistoricalResult r;
  ASSIGN_OR_RETURN(r.rows, HeaderNumber(res, "X-Strata-Rows"));
  ASSIGN_OR_RETURN(r.matched, HeaderNumber(res, "X-Strata-Matched"));
  ASSIGN_OR_RETURN(r.at.position, HeaderNumber(res, "X-Strata-Ingest-Position"));
  for (absl::string_view ref : absl::StrSplit(
           res.get_header_value("X-Strata-Featureviews"), ',', absl::SkipEmpty())) {
    RETURN_IF_ERROR(AddViewVersion(ref, &r.view_versions));
  }
  RETURN_IF_ERROR(
      ParsePending(res.get_header_value("X-Strata-Ingest-Pending"), &r.at.pending));
  return r;
}

// The file at `path` ("-": standard input), sent as a body. A line longer than
// `max_record_bytes` holds a record longer than that: refused there, so input
// without line breaks (/dev/zero) cannot fill memory.
// Errors: ResourceExhausted "PATH:LINE: ..."; as ByteSource::Read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          size_t max_record_bytes) {
  ASSIGN_OR_RETURN(auto source, OpenFileSource(path));
  std::string text;
  size_t line_start = 0;
  uint64_t line = 1;
  char buf[1 << 16];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, source->Read(buf, sizeof(buf)));
    if (n == 0) break;
    const size_t at = text.size();
    text.append(buf, n);
    for (const char* p = text.data() + at;
         (p = static_cast<const char*>(
              std::memchr(p, '\n', text.data() + text.size() - p))) != nullptr;
         ++p) {
      line_start = p - text.data() + 1;
      ++line;
    }
    if (text.size() - line_start > max_record_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path == "-" ? "<stdin>" : path, ":", line, ": ",
                       features::RecordTooLong(max_record_bytes).message()));
    }
  }
  return text;
}

// "?NAME=VALUE&..." of the historical route for `parsed`.
std::string HistoricalQueryString(const features::ParsedHistoricalQuery& parsed) {
  std::string q;
  for (const auto& [name, value] :
       features::QueryParameters(features::HistoricalQueryOf(parsed))) {
    absl::StrAppend(&q, q.empty() ? "?" : "&", name, "=", UrlEncode(value));
  }
  return q;
}

// The parsed form of a request for `spine`: a stored spine ("dataset/...") or a file.
features::ParsedHistoricalQuery ParsedQuery(const features::HistoricalRequest& request,
                                            const std::string& spine) {
  features::ParsedHistoricalQuery parsed;
  parsed.request = request;
  if (absl::StartsWith(spine, "dataset/")) parsed.spine = spine;
  return parsed;
}

features::FeatureStatus StatusOf(api::GetOnlineFeaturesResponse::FieldStatus s) {
  using R = api::GetOnlineFeaturesResponse;
  switch (s) {
    case R::PRESENT:
      return features::FeatureStatus::kPresent;
    case R::NULL_VALUE:
      return features::FeatureStatus::kNullValue;
    case R::OUTSIDE_MAX_AGE:
      return features::FeatureStatus::kOutsideMaxAge;
    default:
      return features::FeatureStatus::kNotFound;
  }
}

// Entity i's value of `column`, as a Value of its type.
features::Value ValueAt(const api::GetOnlineFeaturesResponse::FeatureVector& column,
                        int i) {
  switch (static_cast<features::ValueType>(column.type())) {
    case features::VALUE_TYPE_INT64:
      return column.int64_values(i);
    case features::VALUE_TYPE_DOUBLE:
      return column.double_values(i);
    case features::VALUE_TYPE_STRING:
      return column.string_values(i);
    case features::VALUE_TYPE_BOOL:
      return column.bool_values(i);
    case features::VALUE_TYPE_BYTES:
      return column.bytes_values(i);
    case features::VALUE_TYPE_TIMESTAMP:
      return column.timestamp_values(i);
    default:
      return std::monostate();
  }
}

// Whether every array of `column` that its type uses holds `n` entries.
bool WellFormed(const api::GetOnlineFeaturesResponse::FeatureVector& column, int n) {
  int values = 0;
  switch (static_cast<features::ValueType>(column.type())) {
    case features::VALUE_TYPE_INT64:
      values = column.int64_values_size();
      break;
    case features::VALUE_TYPE_DOUBLE:
      values = column.double_values_size();
      break;
    case features::VALUE_TYPE_STRING:
      values = column.string_values_size();
      break;
    case features::VALUE_TYPE_BOOL:
      values = column.bool_values_size();
      break;
    case features::VALUE_TYPE_BYTES:
      values = column.bytes_values_size();
      break;
    case features::VALUE_TYPE_TIMESTAMP:
      values = column.timestamp_values_size();
      break;
    default:
      return false;
  }
  return values == n && column.statuses_size() == n &&
         column.event_timestamps_size() == n;
}

// {"entities":{"customer_id":[1,2]}}: the body of an online repair.
absl::StatusOr<std::string> RepairBody(const features::EntityColumns& entities) {
  JsonWriter w;
  w.BeginObject().Key("entities").BeginObject();
  for (const auto& [key, values] : entities) {
    w.Key(key).BeginArray();
    for (const auto& v : values) {
      if (const auto* n = std::get_if<int64_t>(&v)) {
        w.Int(*n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        w.String(*s);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("entity ", key, ": values are integers or strings"));
      }
    }
    w.EndArray();
  }
  w.EndObject().EndObject();
  return w.Take();
}

}  // namespace

absl::StatusOr<std::vector<features::AppliedView>> RemoteClient::Apply(
    const std::string& text, const std::string& source, const std::string& creator,
    const std::string& message) {
  ASSIGN_OR_RETURN(auto r,
                   Fetch<api::ApplyResponse>(
                       "POST",
                       absl::StrCat("/v1/features/apply?message=", UrlEncode(message),
                                    "&source=", UrlEncode(source)),
                       text, "application/yaml", {{"X-Strata-Creator", creator}}));
  std::vector<features::AppliedView> out;
  for (const auto& v : r.featureviews()) {
    out.push_back(features::AppliedView{v.name(), v.version(), v.changed()});
  }
  for (const auto& v : r.featureservices()) {
    out.push_back(features::AppliedView{v.name(), v.version(), v.changed(),
                                        Kind::kFeatureService});
  }
  return out;
}

namespace {

features::RulesOutcome RulesOutcomeOf(const api::RulesOutcome& rules) {
  features::RulesOutcome out;
  out.on_invalid = rules.on_invalid();
  out.invalid_rows = rules.invalid_rows();
  out.violations = rules.violations();
  for (const api::RuleViolation& v : rules.examples()) {
    out.examples.push_back({v.source(), v.line(), v.column(), v.value(), v.rule()});
  }
  out.batch.assign(rules.batch().begin(), rules.batch().end());
  out.quarantine = rules.quarantine();
  return out;
}

}  // namespace

absl::StatusOr<features::IngestResult> RemoteClient::Ingest(
    const std::string& view, const std::string& path,
    const features::IngestOptions& options) {
  // A stored dataset version is read on the server: nothing is sent.
  ASSIGN_OR_RETURN(std::optional<Ref> stored, features::StoredIngestSource(path));
  std::string query = absl::StrCat("?message=", UrlEncode(options.message));
  if (stored.has_value()) {
    absl::StrAppend(&query, "&from=", UrlEncode(path));
  } else {
    absl::StrAppend(&query, "&source=", UrlEncode(path == "-" ? "<stdin>" : path));
  }
  if (!options.inputs.empty()) {
    absl::StrAppend(&query, "&inputs=", UrlEncode(absl::StrJoin(options.inputs, ",")));
  }
  if (options.format == features::InputFormat::kCsv) query += "&format=csv";
  if (options.format == features::InputFormat::kJsonLines) query += "&format=jsonl";
  if (options.timestamp_unit.has_value()) {
    absl::StrAppend(&query, "&timestamp_unit=",
                    features::TimeUnitName(*options.timestamp_unit));
  }
  if (!options.dataset.empty()) query += "&dataset=" + UrlEncode(options.dataset);
  // A file streams from disk as the body; standard input is read first, for the
  // server takes bodies with a Content-Length only.
  httplib::Headers headers = {{"Accept", kProtobuf},
                              {"X-Strata-Creator", options.creator.who}};
  const std::string route =
      absl::StrCat("/v1/features/", UrlEncode(view), "/ingest", query);
  const char* type = options.format == features::InputFormat::kJsonLines
                         ? "application/x-ndjson"
                         : "text/csv";
  absl::Status read_status;
  auto send = [&]() -> absl::StatusOr<httplib::Result> {
    if (stored.has_value()) return http_->Post(route, headers, "", type);
    std::error_code size_error;
    const uint64_t size = path == "-" ? 0 : std::filesystem::file_size(path, size_error);
    if (path == "-" || size == 0 || size_error) {
      ASSIGN_OR_RETURN(std::string body, ReadWholeFile(path, options.max_record_bytes));
      if (options.progress) options.progress(body.size());
      return http_->Post(route, headers, body, type);
    }
    ASSIGN_OR_RETURN(auto source, OpenFileSource(path));
    uint64_t sent = 0;
    const auto provider = [&](size_t, size_t, httplib::DataSink& sink) {
      char buf[1 << 16];
      auto n = source->Read(buf, sizeof(buf));
      if (!n.ok() || *n == 0) {
        read_status = n.ok() ? absl::DataLossError(absl::StrCat(path,
                                                                " shrank while "
                                                                "it was sent"))
                             : n.status();
        return false;
      }
      sent += *n;
      if (options.progress) options.progress(sent);
      return sink.write(buf, *n);
    };
    return http_->Post(route, headers, size, provider, type);
  };
  ASSIGN_OR_RETURN(httplib::Result res, send());
  RETURN_IF_ERROR(read_status);
  if (!res) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach ", url_, " (", httplib::to_string(res.error()), ")"));
  }
  if (res->status >= 300) return ErrorOfResponse(res->status, res->body);
  api::IngestResponse r;
  if (!r.ParseFromString(res->body)) {
    return absl::DataLossError("the server's answer to an ingest is malformed");
  }
  features::IngestResult out;
  out.ingest = r.ingest();
  out.rows = r.rows();
  out.written = r.written();
  out.view_version = r.featureview();
  out.dataset = r.dataset();
  if (r.source() == "same_content") {
    out.source = features::IngestSource::kSameContent;
  } else if (r.source() == "read") {
    out.source = features::IngestSource::kRead;
  }
  out.same_content = r.same_content();
  out.inputs.assign(r.inputs().begin(), r.inputs().end());
  ASSIGN_OR_RETURN(out.min_event, features::ParseTimestamp(r.min_event_timestamp(),
                                                           features::TimeUnit::kMicros));
  ASSIGN_OR_RETURN(out.max_event, features::ParseTimestamp(r.max_event_timestamp(),
                                                           features::TimeUnit::kMicros));
  out.bulk = r.bulk();
  out.dropped = r.dropped();
  if (r.has_rules()) out.rules = RulesOutcomeOf(r.rules());
  return out;
}

absl::StatusOr<features::ValidationReport> RemoteClient::Validate(
    const std::string& dataset, const std::string& view, const std::string& rules_file,
    const std::string& rules_source) {
  std::string route = absl::StrCat("/v1/validate?ref=", UrlEncode(dataset));
  if (!view.empty()) absl::StrAppend(&route, "&view=", UrlEncode(view));
  if (!rules_file.empty()) absl::StrAppend(&route, "&source=", UrlEncode(rules_source));
  ASSIGN_OR_RETURN(api::ValidateResponse r,
                   Fetch<api::ValidateResponse>("POST", route, rules_file, "application/yaml"));
  features::ValidationReport out;
  out.dataset = r.dataset();
  out.featureview = r.featureview();
  out.rules_from = r.rules_from();
  out.rows = r.rows();
  out.by_rule.insert(r.by_rule().begin(), r.by_rule().end());
  out.outcome = RulesOutcomeOf(r.rules());
  return out;
}

absl::StatusOr<features::HistoricalResult> RemoteClient::Historical(
    const features::HistoricalRequest& request, const std::string& spine, ByteSink& out) {
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/features/historical" + HistoricalQueryString(ParsedQuery(request, spine));
  if (!absl::StartsWith(spine, "dataset/")) {
    ASSIGN_OR_RETURN(req.body, ReadWholeFile(spine, request.max_record_bytes));
    req.headers.emplace("Content-Type", "text/csv");
  }
  ASSIGN_OR_RETURN(httplib::Response res, Call(std::move(req), &out));
  return ResultOfHeaders(res);
}

absl::StatusOr<features::SavedResult> RemoteClient::SaveHistorical(
    const features::HistoricalRequest& request, const std::string& spine,
    const std::string& dataset_name, const std::string& creator,
    const std::string& message, ByteSink* out, const features::SaveLineage& lineage) {
  httplib::Request req;
  req.method = "POST";
  features::ParsedHistoricalQuery parsed = ParsedQuery(request, spine);
  parsed.save = dataset_name;
  parsed.message = message;
  parsed.lineage = lineage;
  req.path = "/v1/features/historical" + HistoricalQueryString(parsed);
  req.headers.emplace("X-Strata-Creator", creator);
  if (!absl::StartsWith(spine, "dataset/")) {
    ASSIGN_OR_RETURN(req.body, ReadWholeFile(spine, request.max_record_bytes));
    req.headers.emplace("Content-Type", "text/csv");
  }
  // Without `out` the rows are still sent; they go nowhere.
  struct Discard : ByteSink {
    absl::Status Write(absl::string_view) override { return absl::OkStatus(); }
  } discard;
  ASSIGN_OR_RETURN(httplib::Response res,
                   Call(std::move(req), out != nullptr ? out : &discard));
  features::SavedResult saved;
  ASSIGN_OR_RETURN(saved.result, ResultOfHeaders(res));
  saved.dataset = res.get_header_value("X-Strata-Dataset");
  saved.spine = res.get_header_value("X-Strata-Spine");
  if (saved.dataset.empty()) {
    return absl::DataLossError("the server's answer lacks X-Strata-Dataset");
  }
  return saved;
}

absl::StatusOr<features::ReproduceResult> RemoteClient::Reproduce(
    const std::string& dataset_ref, ByteSink* out) {
  const std::string path =
      absl::StrCat("/v1/features/reproduce/", UrlEncode(dataset_ref));
  features::ReproduceResult r;
  const auto digest = [](const std::string& text) -> absl::StatusOr<Digest> {
    if (!absl::StartsWith(text, "sha256:")) {
      return absl::DataLossError("the server's answer names a malformed digest");
    }
    return Digest::FromHex(text.substr(7));
  };
  if (out != nullptr) {
    httplib::Request req;
    req.method = "POST";
    req.path = path + "?output=true";
    ASSIGN_OR_RETURN(httplib::Response res, Call(std::move(req), out));
    r.identical = res.get_header_value("X-Strata-Identical") == "true";
    ASSIGN_OR_RETURN(r.recorded, digest(res.get_header_value("X-Strata-Recorded")));
    ASSIGN_OR_RETURN(r.reproduced, digest(res.get_header_value("X-Strata-Reproduced")));
    ASSIGN_OR_RETURN(r.result, ResultOfHeaders(res));
    return r;
  }
  ASSIGN_OR_RETURN(auto p, Fetch<api::ReproduceResponse>("POST", path));
  r.identical = p.identical();
  ASSIGN_OR_RETURN(r.recorded, digest(p.recorded()));
  ASSIGN_OR_RETURN(r.reproduced, digest(p.reproduced()));
  r.result.rows = p.rows();
  r.result.matched = p.matched();
  for (const auto& v : p.featureviews()) {
    RETURN_IF_ERROR(AddViewVersion(v, &r.result.view_versions));
  }
  r.result.at.position = p.ingest_position();
  r.result.at.pending.assign(p.ingest_pending().begin(), p.ingest_pending().end());
  return r;
}

absl::StatusOr<features::LogTrimReport> RemoteClient::TrimLog(
    const std::string& view, const TrimHorizon& horizon,
    const features::LogTrimOptions& options) {
  std::string path = absl::StrCat("/v1/features/", UrlEncode(view), "/trim?");
  if (horizon.before.has_value()) {
    absl::StrAppend(&path,
                    "before=", UrlEncode(features::FormatTimestamp(*horizon.before)));
  } else {
    absl::StrAppend(&path, "keep_seconds=", horizon.keep_seconds);
  }
  if (options.dry_run) path += "&dry_run=true";
  if (options.force) path += "&force=true";
  ASSIGN_OR_RETURN(auto p, Fetch<api::TrimResponse>("POST", path));
  features::LogTrimReport r;
  r.view = p.featureview();
  ASSIGN_OR_RETURN(r.horizon,
                   features::ParseTimestamp(p.horizon(), features::TimeUnit::kMicros));
  r.dry_run = p.dry_run();
  r.at.position = p.ingest_position();
  r.entities = p.entities();
  r.rows_before = p.rows_before();
  r.rows_dropped = p.rows_dropped();
  r.rows_kept_at_horizon = p.rows_kept_at_horizon();
  r.chunks_dropped = p.chunks_dropped();
  r.chunks_rewritten = p.chunks_rewritten();
  r.bytes_before = p.bytes_before();
  r.bytes_after = p.bytes_after();
  for (const auto& b : p.breaks()) r.breaks.push_back({b.dataset(), b.protected_by()});
  if (!p.safe_horizon().empty()) {
    ASSIGN_OR_RETURN(r.safe_horizon, features::ParseTimestamp(
                                         p.safe_horizon(), features::TimeUnit::kMicros));
  }
  return r;
}

absl::StatusOr<features::OnlineResult> RemoteClient::Online(
    const std::vector<std::string>& features, const features::EntityColumns& entities) {
  api::GetOnlineFeaturesRequest request;
  for (const auto& f : features) request.add_features(f);
  for (const auto& [key, values] : entities) {
    auto* column = request.add_entities();
    column->set_join_key(key);
    for (const auto& v : values) {
      auto* value = column->mutable_values()->add_values();
      if (const auto* n = std::get_if<int64_t>(&v)) {
        value->set_int64_value(*n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        value->set_string_value(*s);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("entity ", key, ": values are integers or strings"));
      }
    }
  }
  ASSIGN_OR_RETURN(auto response, Fetch<api::GetOnlineFeaturesResponse>(
                                      "POST", "/v1/online-features",
                                      request.SerializeAsString(), kProtobuf));
  const size_t keys = entities.size();
  const int n = entities.empty() ? 0 : static_cast<int>(entities.front().second.size());
  features::OnlineResult out;
  // Feature services are expanded by the server, which then names each column.
  if (response.feature_refs_size() > 0) {
    out.features.assign(response.feature_refs().begin(), response.feature_refs().end());
  } else {
    out.features = features;
  }
  if (response.results_size() != static_cast<int>(keys + out.features.size())) {
    return absl::DataLossError("the server's online answer has the wrong columns");
  }
  for (const auto& column : response.results()) {
    if (!WellFormed(column, n)) {
      return absl::DataLossError("the server's online answer is malformed");
    }
  }
  for (size_t k = 0; k < keys; ++k) {
    const auto& column = response.results(static_cast<int>(k));
    auto& [name, values] =
        out.entities.emplace_back(entities[k].first, std::vector<features::Value>());
    (void)name;
    for (int i = 0; i < n; ++i) values.push_back(ValueAt(column, i));
  }
  for (size_t f = 0; f < out.features.size(); ++f) {
    const auto& column = response.results(static_cast<int>(keys + f));
    const auto type = static_cast<features::ValueType>(column.type());
    out.types.push_back(type);
    features::OnlineColumn values(type, n);
    for (int i = 0; i < n; ++i) {
      const features::FeatureStatus status = StatusOf(column.statuses(i));
      if (status == features::FeatureStatus::kNotFound) continue;
      values.SetFound(i, status, column.event_timestamps(i));
      if (status != features::FeatureStatus::kPresent) continue;
      std::visit(
          [&](auto&& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (!std::is_same_v<T, std::monostate>) values.SetValue(i, v);
          },
          ValueAt(column, i));
    }
    out.values.push_back(std::move(values));
  }
  return out;
}

absl::StatusOr<features::OnlineRebuildReport> RemoteClient::RebuildOnline(
    const std::string& view, const features::OnlineRebuildOptions& options) {
  std::string body;
  if (!options.entities.empty()) {
    ASSIGN_OR_RETURN(body, RepairBody(options.entities));
  }
  ASSIGN_OR_RETURN(auto r, Fetch<api::OnlineRebuildResponse>(
                               "POST",
                               absl::StrCat("/v1/features/", UrlEncode(view),
                                            "/online/rebuild"),
                               std::move(body), "application/json"));
  features::OnlineRebuildReport out;
  out.view = r.featureview();
  out.entities = r.entities();
  out.rewritten = r.rewritten();
  out.removed = r.removed();
  out.unchanged = r.unchanged();
  out.skipped = r.skipped();
  out.at.position = r.ingest_position();
  out.at.pending.assign(r.ingest_pending().begin(), r.ingest_pending().end());
  return out;
}

absl::Status RemoteClient::RemoveOnline(const std::string& view,
                                        const features::EntityColumns& entity) {
  ASSIGN_OR_RETURN(std::string body, RepairBody(entity));
  return Request("POST", absl::StrCat("/v1/features/", UrlEncode(view), "/online/remove"),
                 std::move(body), "application/json", {})
      .status();
}

absl::StatusOr<CreatedToken> RemoteClient::CreateToken(
    const NewToken& request) {
  std::string path = absl::StrCat("/v1/tokens?scope=", ScopeName(request.scope),
                                  "&name=", UrlEncode(request.name));
  if (!request.owner.empty()) absl::StrAppend(&path, "&owner=", UrlEncode(request.owner));
  ASSIGN_OR_RETURN(
      httplib::Response res,
      Request("POST", path, "", "", {{"X-Strata-Creator", request.creator.who}}));
  api::TokenCreated created;
  if (!created.ParseFromString(res.body)) {
    return absl::DataLossError("the server's answer to a token request is malformed");
  }
  return CreatedToken{created.token(), created.name(), created.owner()};
}

absl::StatusOr<std::vector<TokenInfo>> RemoteClient::ListTokens() {
  ASSIGN_OR_RETURN(auto list, Fetch<api::TokenList>("GET", "/v1/tokens"));
  std::vector<TokenInfo> out;
  for (const auto& t : list.tokens()) {
    TokenInfo& info = out.emplace_back();
    info.name = t.name();
    info.owner = t.owner();
    info.scope = static_cast<Scope>(t.scope());
    info.created_us = t.created_us();
    info.creator = Actor(t.creator(), t.creator_on_behalf_of());
  }
  return out;
}

absl::Status RemoteClient::RevokeToken(const std::string& name) {
  return Request("DELETE", "/v1/tokens/" + UrlEncode(name), "", "", {}).status();
}

}  // namespace strata
