// Online routes: Feast's get-online-features, in JSON or protobuf (api/online.proto),
// and the online table's repairs (rebuild from the log, remove one entity's row).
#include <algorithm>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/features_api.pb.h"
#include "api/internal/json_body.h"
#include "api/internal/routes.h"
#include "api/online.pb.h"
#include "features/feast_json.h"
#include "features/online_store.h"
#include "features/render.h"
#include "simdjson.h"
#include "store/digest.h"
#include "store/excerpt.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

using FeatureVector = GetOnlineFeaturesResponse::FeatureVector;

// A get-online-features request, from either encoding.
struct OnlineRequest {
  std::vector<std::string> features;
  features::EntityColumns entities;
  bool full_names = false;
};

constexpr absl::string_view kServicePrefix = "featureservice/";

// Feast's feature_service (a NAME[@REF]) as an entry of the feature list.
absl::Status AddFeatureService(absl::string_view name, OnlineRequest& out) {
  if (name.empty()) return absl::InvalidArgumentError("feature_service is empty");
  out.features.push_back(absl::StartsWith(name, kServicePrefix)
                             ? std::string(name)
                             : absl::StrCat(kServicePrefix, name));
  return absl::OkStatus();
}

absl::Status BadRequest(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

absl::Status TooManyEntities(size_t max_entities) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "more than ", max_entities, " entities in one request (--max-online-entities)"));
}

// A new column for join key `name`, unless `entities` has one already.
absl::StatusOr<std::vector<features::Value>*> AddEntityColumn(
    features::EntityColumns& entities, absl::string_view name) {
  for (const auto& [existing, values] : entities) {
    if (existing == name) {
      return BadRequest(absl::StrCat("join key ", name, " is given twice"));
    }
  }
  return &entities.emplace_back(std::string(name), std::vector<features::Value>()).second;
}

// A JSON "entities" value, {"join_key": [values...], ...}, as columns.
// Errors: InvalidArgument naming the bad value; ResourceExhausted past max_entities.
absl::Status ParseJsonEntities(simdjson::dom::element field, size_t max_entities,
                               features::EntityColumns* out) {
  simdjson::dom::object entities;
  if (field.get_object().get(entities)) {
    return BadRequest("entities must be an object of join key -> array of values");
  }
  for (const auto entity : entities) {
    const absl::string_view name = Sv(entity.key);
    ASSIGN_OR_RETURN(std::vector<features::Value> * column, AddEntityColumn(*out, name));
    simdjson::dom::array values;
    if (entity.value.get_array().get(values)) {
      return BadRequest(absl::StrCat("entities.", name, " must be an array"));
    }
    for (const auto value : values) {
      if (column->size() == max_entities) return TooManyEntities(max_entities);
      int64_t n;
      std::string_view s;
      if (value.is_number()) {
        if (value.get_int64().get(n)) {
          return BadRequest(absl::StrCat(
              "entities.", name, "[", column->size(), "] is not an int64",
              value.is_uint64() ? " (out of range for int64)" : " (a whole number)"));
        }
        column->emplace_back(n);
      } else if (!value.get_string().get(s)) {
        column->emplace_back(std::string(s));
      } else {
        return BadRequest(absl::StrCat("entities.", name, "[", column->size(),
                                       "] must be an integer or a string"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<OnlineRequest> ParseJsonRequest(const std::string& body,
                                               size_t max_entities) {
  // The whole document is validated (trailing text, keys twice) before it is read.
  thread_local simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(simdjson::dom::object obj, ParseJsonObject(parser, body));
  OnlineRequest out;
  bool have_features = false, have_entities = false;
  std::string_view service;
  bool have_service = false;
  for (const auto field : obj) {
    const absl::string_view key = Sv(field.key);
    if (key == "feature_service") {
      // Feast's client may send null for the one of features and feature_service it
      // does not use.
      if (field.value.is_null()) continue;
      if (field.value.get_string().get(service)) {
        return BadRequest("feature_service must be a feature service's name");
      }
      have_service = true;
    } else if (key == "features") {
      if (field.value.is_null()) continue;
      simdjson::dom::array array;
      if (field.value.get_array().get(array)) {
        return BadRequest("features must be an array of \"view:feature\" strings");
      }
      have_features = array.size() > 0;
      for (const auto item : array) {
        std::string_view s;
        if (item.get_string().get(s)) {
          return BadRequest("features must be an array of \"view:feature\" strings");
        }
        out.features.emplace_back(s);
      }
    } else if (key == "entities") {
      have_entities = true;
      RETURN_IF_ERROR(ParseJsonEntities(field.value, max_entities, &out.entities));
    } else if (key == "full_feature_names") {
      if (field.value.get_bool().get(out.full_names)) {
        return BadRequest("full_feature_names must be true or false");
      }
    } else {
      return BadRequest(absl::StrCat(
          "unknown field \"", key,
          "\" (expected features, feature_service, entities, full_feature_names)"));
    }
  }
  if (have_service) RETURN_IF_ERROR(AddFeatureService(Sv(service), out));
  if (!have_features && !have_service) {
    return BadRequest("the request has no features (and no feature_service)");
  }
  if (!have_entities) return BadRequest("the request has no entities");
  return out;
}

// Fields this server does not know (or known numbers with another wire type, which
// protobuf keeps as unknown) are refused, as the JSON form refuses unknown fields.
bool HasUnknownFields(const google::protobuf::Message& m) {
  return !m.GetReflection()->GetUnknownFields(m).empty();
}
bool HasUnknownFields(const GetOnlineFeaturesRequest& m) {
  if (HasUnknownFields(static_cast<const google::protobuf::Message&>(m))) return true;
  for (const auto& column : m.entities()) {
    if (HasUnknownFields(column) || HasUnknownFields(column.values())) return true;
    for (const auto& value : column.values().values()) {
      if (HasUnknownFields(value)) return true;
    }
  }
  return false;
}

// OK when `text` is valid UTF-8. Errors: InvalidArgument naming `what`.
absl::Status CheckUtf8(absl::string_view text, absl::string_view what) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8Length(text.substr(i));
    if (n == 0) {
      return BadRequest(absl::StrCat(what, " is not valid UTF-8 (byte ", i + 1, ")"));
    }
    i += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<OnlineRequest> ParseProtoRequest(const std::string& body,
                                                size_t max_entities) {
  GetOnlineFeaturesRequest message;
  if (!message.ParseFromString(body)) {
    return BadRequest("the body is not a GetOnlineFeaturesRequest protobuf message");
  }
  if (HasUnknownFields(message)) {
    return BadRequest(
        "the body has fields that GetOnlineFeaturesRequest does not (api/online.proto)");
  }
  if (message.features().empty() && message.feature_service().empty()) {
    return BadRequest("the request has no features (and no feature_service)");
  }
  for (int i = 0; i < message.features_size(); ++i) {
    RETURN_IF_ERROR(CheckUtf8(message.features(i), absl::StrCat("features[", i, "]")));
  }
  RETURN_IF_ERROR(CheckUtf8(message.feature_service(), "feature_service"));
  if (message.entities().empty()) return BadRequest("the request has no entities");
  OnlineRequest out;
  out.full_names = message.full_feature_names();
  out.features.assign(message.features().begin(), message.features().end());
  if (!message.feature_service().empty()) {
    RETURN_IF_ERROR(AddFeatureService(message.feature_service(), out));
  }
  for (const auto& entity : message.entities()) {
    const std::string& name = entity.join_key();
    RETURN_IF_ERROR(CheckUtf8(name, "a join key"));
    ASSIGN_OR_RETURN(std::vector<features::Value> * column,
                     AddEntityColumn(out.entities, name));
    const auto& values = entity.values().values();
    if (static_cast<size_t>(values.size()) > max_entities) {
      return TooManyEntities(max_entities);
    }
    column->reserve(values.size());
    for (const auto& value : values) {
      switch (value.value_case()) {
        case GetOnlineFeaturesRequest::EntityValue::kInt64Value:
          column->emplace_back(value.int64_value());
          break;
        case GetOnlineFeaturesRequest::EntityValue::kStringValue:
          RETURN_IF_ERROR(CheckUtf8(value.string_value(),
                                    absl::StrCat("entities.", name, "[", column->size(), "]")));
          column->emplace_back(value.string_value());
          break;
        default:
          return BadRequest(absl::StrCat("entities.", name, "[", column->size(),
                                         "] must be an integer or a string"));
      }
    }
  }
  return out;
}

GetOnlineFeaturesResponse::FieldStatus StatusProto(features::FeatureStatus status) {
  switch (status) {
    case features::FeatureStatus::kPresent:
      return GetOnlineFeaturesResponse::PRESENT;
    case features::FeatureStatus::kNotFound:
      return GetOnlineFeaturesResponse::NOT_FOUND;
    case features::FeatureStatus::kNullValue:
      return GetOnlineFeaturesResponse::NULL_VALUE;
    case features::FeatureStatus::kOutsideMaxAge:
      return GetOnlineFeaturesResponse::OUTSIDE_MAX_AGE;
  }
  return GetOnlineFeaturesResponse::INVALID;
}

// `field` as n zeros (what an entity without a value keeps), to be set by index.
template <typename T>
T* Column(google::protobuf::RepeatedField<T>* field, size_t n) {
  field->Resize(static_cast<int>(n), T());
  return field->mutable_data();
}

void AppendFeatureVector(const features::OnlineColumn& column, FeatureVector* out) {
  const size_t n = column.size();
  out->set_type(static_cast<GetOnlineFeaturesResponse::ValueType>(column.type()));
  int* statuses = Column(out->mutable_statuses(), n);
  int64_t* times = Column(out->mutable_event_timestamps(), n);
  for (size_t i = 0; i < n; ++i) {
    statuses[i] = StatusProto(column.status(i));
    times[i] = column.event_time(i).value_or(0);
  }
  switch (column.type()) {
    case features::VALUE_TYPE_DOUBLE: {
      double* values = Column(out->mutable_double_values(), n);
      for (size_t i = 0; i < n; ++i) {
        if (column.status(i) == features::FeatureStatus::kPresent) {
          const uint64_t bits = column.number_bits(i);
          std::memcpy(&values[i], &bits, 8);
        }
      }
      break;
    }
    case features::VALUE_TYPE_INT64:
    case features::VALUE_TYPE_TIMESTAMP: {
      int64_t* values = Column(column.type() == features::VALUE_TYPE_INT64
                                   ? out->mutable_int64_values()
                                   : out->mutable_timestamp_values(),
                               n);
      for (size_t i = 0; i < n; ++i) {
        if (column.status(i) == features::FeatureStatus::kPresent) {
          values[i] = static_cast<int64_t>(column.number_bits(i));
        }
      }
      break;
    }
    case features::VALUE_TYPE_BOOL: {
      bool* values = Column(out->mutable_bool_values(), n);
      for (size_t i = 0; i < n; ++i) {
        if (column.status(i) == features::FeatureStatus::kPresent) {
          values[i] = column.number_bits(i) != 0;
        }
      }
      break;
    }
    default: {  // string, bytes
      auto* values = column.type() == features::VALUE_TYPE_BYTES
                         ? out->mutable_bytes_values()
                         : out->mutable_string_values();
      values->Reserve(static_cast<int>(n));
      for (size_t i = 0; i < n; ++i) {
        std::string* value = values->Add();
        if (column.status(i) == features::FeatureStatus::kPresent) {
          *value = std::get<std::string>(column[i].value);
        }
      }
      break;
    }
  }
}

// A join key column: int64 as declared by its views; a key no requested view has
// keeps the client's values, a string column (integers as decimal text) when any
// of them is a string.
void AppendEntityVector(const std::vector<features::Value>& values, FeatureVector* out) {
  const size_t n = values.size();
  Column(out->mutable_statuses(), n);
  std::fill_n(out->mutable_statuses()->mutable_data(), n,
              GetOnlineFeaturesResponse::PRESENT);
  Column(out->mutable_event_timestamps(), n);
  bool ints = true;
  for (const features::Value& v : values)
    ints = ints && std::holds_alternative<int64_t>(v);
  if (ints) {
    out->set_type(GetOnlineFeaturesResponse::VALUE_TYPE_INT64);
    int64_t* ids = Column(out->mutable_int64_values(), n);
    for (size_t i = 0; i < n; ++i) ids[i] = std::get<int64_t>(values[i]);
    return;
  }
  out->set_type(GetOnlineFeaturesResponse::VALUE_TYPE_STRING);
  for (const features::Value& v : values) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      out->add_string_values(*s);
    } else {
      out->add_string_values(absl::StrCat(std::get<int64_t>(v)));
    }
  }
}

// `with_refs`: fill feature_refs (a request naming a feature service).
void OnlineResponseProto(const features::OnlineResult& result, bool full_names,
                         bool with_refs, std::string* out) {
  // The message's ~150 repeated fields live in an arena whose first block is this
  // thread's (enough for 100 entities x 50 numbers): no allocation per field.
  thread_local std::vector<char> first_block(256 << 10);
  google::protobuf::ArenaOptions options;
  options.initial_block = first_block.data();
  options.initial_block_size = first_block.size();
  google::protobuf::Arena arena(options);
  auto& response =
      *google::protobuf::Arena::CreateMessage<GetOnlineFeaturesResponse>(&arena);
  const int columns = static_cast<int>(result.entities.size() + result.features.size());
  response.mutable_feature_names()->Reserve(columns);
  response.mutable_results()->Reserve(columns);
  for (const auto& [name, values] : result.entities) {
    response.add_feature_names(name);
    AppendEntityVector(values, response.add_results());
  }
  for (size_t f = 0; f < result.features.size(); ++f) {
    const std::string& feature = result.features[f];
    const size_t colon = feature.find(':');
    response.add_feature_names(full_names ? absl::StrCat(feature.substr(0, colon), "__",
                                                         feature.substr(colon + 1))
                                          : feature.substr(colon + 1));
    AppendFeatureVector(result.values[f], response.add_results());
  }
  if (with_refs) {
    for (const std::string& feature : result.features) response.add_feature_refs(feature);
  }
  response.SerializeToString(out);
}

bool SendsProtobuf(const httplib::Request& req) {
  const auto it = req.headers.find("Content-Type");
  return it != req.headers.end() && absl::StartsWith(it->second, kProtobuf);
}

// POST /get-online-features and /v1/online-features: Feast's request and response,
// either in JSON or in protobuf (api/online.proto), each way independently.
absl::Status Online(const RouteContext& ctx, const httplib::Request& req,
                    httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  const size_t max_entities = ctx.options->max_online_entities;
  ASSIGN_OR_RETURN(OnlineRequest request, SendsProtobuf(req)
                                              ? ParseProtoRequest(req.body, max_entities)
                                              : ParseJsonRequest(req.body, max_entities));
  // Feature services become their features (only requests naming one pay a read).
  const bool names_service =
      std::any_of(request.features.begin(), request.features.end(),
                  [](const std::string& f) { return absl::StartsWith(f, kServicePrefix); });
  if (names_service) {
    ASSIGN_OR_RETURN(features::ResolvedFeatures resolved,
                     ctx.resolve_features(request.features));
    request.features = std::move(resolved.features);
  }
  ASSIGN_OR_RETURN(features::OnlineResult result,
                   ctx.online(request.features, request.entities,
                              absl::ToUnixMicros(absl::Now())));
  // The body is built in place: httplib's set_content would copy it.
  if (WantsProtobuf(req)) {
    OnlineResponseProto(result, request.full_names, names_service, &res.body);
    res.set_header("Content-Type", kProtobuf);
  } else {
    // Sent from the serving thread's buffer, before its next request.
    const absl::string_view json =
        features::OnlineResponseJsonView(result, request.full_names);
    res.set_content_provider(
        json.size(), kJson, [json](size_t offset, size_t, httplib::DataSink& sink) {
          return sink.write(json.data() + offset, json.size() - offset);
        });
  }
  return absl::OkStatus();
}

// The body of an online repair: {"entities": {JOIN_KEY: [values...], ...}}, the
// entities optional (`required` false) when it may be empty.
absl::StatusOr<features::EntityColumns> ParseRepairBody(const std::string& body,
                                                        size_t max_entities,
                                                        bool required) {
  features::EntityColumns entities;
  if (!required && absl::StripAsciiWhitespace(body).empty()) return entities;
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(simdjson::dom::object obj, ParseJsonObject(parser, body));
  bool have_entities = false;
  for (const auto field : obj) {
    if (Sv(field.key) != "entities") {
      return BadRequest(
          absl::StrCat("unknown field ", Excerpt(Sv(field.key)), " (expected entities)"));
    }
    RETURN_IF_ERROR(ParseJsonEntities(field.value, max_entities, &entities));
    have_entities = true;
  }
  if (required && !have_entities) return BadRequest("the request has no entities");
  return entities;
}

// POST /v1/features/VIEW/online/rebuild, body empty (every entity) or
// {"entities":{...}}: FeatureStore::RebuildOnline; its report, as `strata online
// rebuild --json` prints it. Scope admin: it replaces and removes online rows.
absl::Status RebuildOnline(const RouteContext& ctx, const httplib::Request& req,
                           httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {}));
  features::OnlineRebuildOptions options;
  ASSIGN_OR_RETURN(options.entities,
                   ParseRepairBody(req.body, ctx.options->max_online_entities, false));
  ASSIGN_OR_RETURN(features::OnlineRebuildReport r,
                   ctx.features->RebuildOnline(req.matches[1].str(), options));
  if (WantsProtobuf(req)) {
    OnlineRebuildResponse proto;
    proto.set_featureview(r.view);
    proto.set_entities(r.entities);
    proto.set_rewritten(r.rewritten);
    proto.set_removed(r.removed);
    proto.set_unchanged(r.unchanged);
    proto.set_skipped(r.skipped);
    proto.set_ingest_position(r.at.position);
    for (uint64_t p : r.at.pending) proto.add_ingest_pending(p);
    WriteProto(res, proto);
    return absl::OkStatus();
  }
  WriteJson(res, features::OnlineRebuildJson(r));
  return absl::OkStatus();
}

// POST /v1/features/VIEW/online/remove, body {"entities":{...}} naming one entity:
// FeatureStore::RemoveOnline; 204. Scope admin.
absl::Status RemoveOnline(const RouteContext& ctx, const httplib::Request& req,
                          httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(features::EntityColumns entity,
                   ParseRepairBody(req.body, ctx.options->max_online_entities, true));
  RETURN_IF_ERROR(ctx.features->RemoveOnline(req.matches[1].str(), entity));
  res.status = 204;
  return absl::OkStatus();
}

// GET /v1/online/catalog: what an online-only replica needs to answer lookups
// (FeatureStore::OnlineCatalogSnapshot and the recorded online store), in protobuf
// (features.proto OnlineCatalog), with an ETag: a request whose If-None-Match names
// the current one gets 304 and no body.
absl::Status Catalog(const RouteContext& ctx, const httplib::Request& req,
                     httplib::Response& res) {
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(features::OnlineCatalog catalog, ctx.features->OnlineCatalogSnapshot());
  ASSIGN_OR_RETURN(*catalog.mutable_online_store(), features::RecordedOnlineStore(*ctx.store));
  std::string body;
  catalog.SerializeToString(&body);
  const std::string etag = absl::StrCat("\"", Sha256::Of(body).Hex().substr(0, 32), "\"");
  res.set_header("ETag", etag);
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return absl::OkStatus();
  }
  res.set_content(std::move(body), kProtobuf);
  return absl::OkStatus();
}

}  // namespace

void AddOnlineLookupRoutes(httplib::Server& http, const RouteContext& ctx) {
  for (const char* path : {"/get-online-features", "/v1/online-features"}) {
    http.Post(path,
              Handle(path, [&ctx](const httplib::Request& req, httplib::Response& res) {
                return Online(ctx, req, res);
              }));
  }
}

void AddOnlineRoutes(httplib::Server& http, const RouteContext& ctx) {
  http.Post(R"(/v1/features/(.+)/online/rebuild)",
            Bind(ctx, "/v1/features/{view}/online/rebuild", RebuildOnline));
  http.Post(R"(/v1/features/(.+)/online/remove)",
            Bind(ctx, "/v1/features/{view}/online/remove", RemoveOnline));
  http.Get("/v1/online/catalog", Bind(ctx, "/v1/online/catalog", Catalog));
  AddOnlineLookupRoutes(http, ctx);
}

}  // namespace strata::api::internal
