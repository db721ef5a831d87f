#include "features/definitions.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "features/codec.h"
#include "re2/re2.h"
#include "store/excerpt.h"
#include "store/ref.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

constexpr absl::string_view kReservedColumns[] = {"event_timestamp", "created_timestamp"};
// A definitions file nests 5 levels; deeper is a mistake or an attack.
constexpr int kMaxDepth = 64;
constexpr char kTooDeep[] = "nested deeper than 64 levels";
// Nodes visited by CheckShape, aliases counted each time they are used: a few
// aliases can name each other into billions of nodes.
constexpr size_t kMaxNodes = 1000000;

// Reads one definitions file, remembering its name for error messages.
class DefinitionsReader {
 public:
  explicit DefinitionsReader(absl::string_view source) : source_(source) {}

  // Whatever the schema: no key twice in a mapping (YAML and JSON leave it to the
  // reader, and yaml-cpp keeps the first), keys single values, at most kMaxDepth
  // levels and kMaxNodes nodes. Iterative: the depth is what it checks.
  absl::Status CheckShape(const YAML::Node& root) const {
    std::vector<std::pair<YAML::Node, int>> stack = {{root, 1}};
    size_t visited = 0;
    while (!stack.empty()) {
      auto [node, depth] = std::move(stack.back());
      stack.pop_back();
      if (++visited > kMaxNodes) {
        return Error(node, absl::StrCat("more than ", kMaxNodes,
                                        " values (aliases used over and over?)"));
      }
      if (depth > kMaxDepth) return Error(node, kTooDeep);
      if (node.IsSequence()) {
        for (const YAML::Node& item : node) stack.emplace_back(item, depth + 1);
      } else if (node.IsMap()) {
        std::map<std::string, YAML::Mark> keys;
        for (const auto& item : node) {
          if (!item.first.IsScalar()) {
            return Error(item.first, "a key must be a single value");
          }
          const auto [it, fresh] = keys.emplace(item.first.Scalar(), item.first.Mark());
          if (!fresh) {
            return Error(item.first,
                         absl::StrCat("key ", Excerpt(item.first.Scalar()),
                                      " appears twice in this mapping (first at line ",
                                      it->second.line + 1, ")"));
          }
          stack.emplace_back(item.second, depth + 1);
        }
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Definitions> Read(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) return Error(root, "the file is empty");
    RETURN_IF_ERROR(CheckKeys(
        root, {"entities", "feature_views", "push_sources", "feature_services"},
        "the file"));
    Definitions defs;
    if (const YAML::Node sources = root["push_sources"]; sources) {
      RETURN_IF_ERROR(CheckSequence(sources, "push_sources"));
      for (const YAML::Node& node : sources) {
        ASSIGN_OR_RETURN(PushSource source, ReadPushSource(node));
        if (!push_source_nodes_.emplace(source.name(), node).second) {
          return Error(node, absl::StrCat("push source '", source.name(),
                                          "' is defined twice"));
        }
        *defs.add_push_sources() = std::move(source);
      }
    }
    if (const YAML::Node entities = root["entities"]; entities) {
      RETURN_IF_ERROR(CheckSequence(entities, "entities"));
      for (const YAML::Node& node : entities) {
        ASSIGN_OR_RETURN(Entity entity, ReadEntity(node));
        if (!entity_nodes_.emplace(entity.name(), node).second) {
          return Error(node,
                       absl::StrCat("entity '", entity.name(), "' is defined twice"));
        }
        *defs.add_entities() = std::move(entity);
      }
    }
    if (const YAML::Node views = root["feature_views"]; views) {
      RETURN_IF_ERROR(CheckSequence(views, "feature_views"));
      std::set<std::string> names;
      for (const YAML::Node& node : views) {
        ASSIGN_OR_RETURN(FeatureView view, ReadFeatureView(node, defs));
        if (!names.insert(view.name()).second) {
          return Error(node,
                       absl::StrCat("feature view '", view.name(), "' is defined twice"));
        }
        if (push_source_nodes_.count(view.name())) {
          return Error(node["name"],
                       absl::StrCat("feature view '", view.name(),
                                    "' has the name of a push source of this file (a "
                                    "push to it would be ambiguous)"));
        }
        *defs.add_feature_views() = std::move(view);
      }
    }
    if (const YAML::Node services = root["feature_services"]; services) {
      RETURN_IF_ERROR(CheckSequence(services, "feature_services"));
      std::set<std::string> names;
      for (const YAML::Node& node : services) {
        ASSIGN_OR_RETURN(FeatureService service, ReadFeatureService(node, defs));
        if (!names.insert(service.name()).second) {
          return Error(node, absl::StrCat("feature service '", service.name(),
                                          "' is defined twice"));
        }
        *defs.add_feature_services() = std::move(service);
      }
    }
    if (defs.entities_size() == 0 && defs.feature_views_size() == 0 &&
        defs.feature_services_size() == 0 && defs.push_sources_size() == 0) {
      return Error(root, "the file defines no entities, feature views, push sources or "
                         "feature services");
    }
    return defs;
  }

 private:
  std::string Where(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return std::string(source_);
    return absl::StrCat(source_, ":", mark.line + 1, ":", mark.column + 1);
  }

  absl::Status Error(const YAML::Node& node, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(Where(node), ": ", message));
  }

  absl::Status CheckKeys(const YAML::Node& node,
                         std::initializer_list<absl::string_view> allowed,
                         absl::string_view what) const {
    if (!node.IsMap()) return Error(node, absl::StrCat(what, " must be a mapping"));
    for (const auto& item : node) {
      const std::string key = item.first.Scalar();
      bool known = false;
      for (absl::string_view a : allowed) known = known || a == key;
      if (!known) {
        return Error(item.first,
                     absl::StrCat("unknown key ", Excerpt(key), " in ", what,
                                  " (expected: ", absl::StrJoin(allowed, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckSequence(const YAML::Node& node, absl::string_view what) const {
    if (!node.IsSequence())
      return Error(node, absl::StrCat("'", what, "' must be a list"));
    return absl::OkStatus();
  }

  // The scalar at `key` of `map`; an error when absent (if required) or not scalar.
  absl::StatusOr<std::string> Scalar(const YAML::Node& map, absl::string_view key,
                                     absl::string_view what, bool required) const {
    const YAML::Node node = map[std::string(key)];
    if (!node) {
      if (!required) return std::string();
      return Error(map, absl::StrCat(what, " has no '", key, "'"));
    }
    if (!node.IsScalar()) {
      return Error(node,
                   absl::StrCat("'", key, "' of ", what, " must be a single value"));
    }
    return node.Scalar();
  }

  // Column-like names: entities, join keys, features.
  absl::Status CheckIdentifier(const YAML::Node& node, const std::string& name,
                               absl::string_view what) const {
    bool ok =
        !name.empty() && name.size() <= 64 &&
        (absl::ascii_islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
    for (char c : name) {
      ok = ok && (absl::ascii_islower(static_cast<unsigned char>(c)) ||
                  absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_');
    }
    if (!ok) {
      return Error(node,
                   absl::StrCat(what, " name ", Excerpt(name),
                                " must match [a-z_][a-z0-9_]* (at most 64 characters)"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ValueType> Type(const YAML::Node& map, absl::string_view what) const {
    ASSIGN_OR_RETURN(std::string text, Scalar(map, "type", what, /*required=*/true));
    auto type = ParseValueType(text);
    if (!type.ok()) return Error(map["type"], type.status().message());
    return *type;
  }

  absl::StatusOr<Entity> ReadEntity(const YAML::Node& node) const {
    RETURN_IF_ERROR(CheckKeys(node, {"name", "join_keys", "description"}, "an entity"));
    Entity entity;
    ASSIGN_OR_RETURN(*entity.mutable_name(), Scalar(node, "name", "an entity", true));
    RETURN_IF_ERROR(CheckIdentifier(node["name"], entity.name(), "entity"));
    const std::string what = absl::StrCat("entity '", entity.name(), "'");
    ASSIGN_OR_RETURN(*entity.mutable_description(),
                     Scalar(node, "description", what, false));
    const YAML::Node keys = node["join_keys"];
    if (!keys) return Error(node, absl::StrCat(what, " has no 'join_keys'"));
    RETURN_IF_ERROR(CheckSequence(keys, "join_keys"));
    if (keys.size() == 0)
      return Error(keys, absl::StrCat(what, " needs at least one join key"));
    std::set<std::string> names;
    for (const YAML::Node& k : keys) {
      RETURN_IF_ERROR(CheckKeys(k, {"name", "type"}, "a join key"));
      JoinKey key;
      ASSIGN_OR_RETURN(*key.mutable_name(), Scalar(k, "name", "a join key", true));
      RETURN_IF_ERROR(CheckIdentifier(k["name"], key.name(), "join key"));
      ASSIGN_OR_RETURN(ValueType type, Type(k, "a join key"));
      if (type != VALUE_TYPE_INT64 && type != VALUE_TYPE_STRING) {
        return Error(k["type"], absl::StrCat("join key '", key.name(),
                                             "' must be int64 or string, not ",
                                             ValueTypeName(type)));
      }
      key.set_type(type);
      if (!names.insert(key.name()).second) {
        return Error(k,
                     absl::StrCat("join key '", key.name(), "' appears twice in ", what));
      }
      *entity.add_join_keys() = std::move(key);
    }
    return entity;
  }

  absl::StatusOr<FeatureView> ReadFeatureView(const YAML::Node& node,
                                              const Definitions& defs) const {
    RETURN_IF_ERROR(CheckKeys(node,
                              {"name", "entities", "ttl", "features", "description",
                               "owner", "tags", "timestamp_unit", "plausible_time",
                               "source", "drift", "on_invalid"},
                              "a feature view"));
    FeatureView view;
    ASSIGN_OR_RETURN(*view.mutable_name(), Scalar(node, "name", "a feature view", true));
    if (absl::Status s = ValidateArtifactName(view.name()); !s.ok()) {
      return Error(node["name"], absl::StrCat("feature view ", s.message()));
    }
    const std::string what = absl::StrCat("feature view '", view.name(), "'");
    ASSIGN_OR_RETURN(*view.mutable_description(),
                     Scalar(node, "description", what, false));
    ASSIGN_OR_RETURN(*view.mutable_owner(), Scalar(node, "owner", what, false));
    RETURN_IF_ERROR(ReadViewSettings(node, what, &view));
    // Every column's name: join keys, reserved columns and features are distinct.
    std::set<std::string> columns(std::begin(kReservedColumns),
                                  std::end(kReservedColumns));
    RETURN_IF_ERROR(ReadViewEntities(node, defs, what, &columns, &view));
    RETURN_IF_ERROR(ReadViewFeatures(node, what, &columns, &view));
    return view;
  }

  // A feature view's ttl, timestamp_unit, plausible_time, tags and push source, into
  // `view`.
  absl::Status ReadViewSettings(const YAML::Node& node, const std::string& what,
                                FeatureView* view) const {
    ASSIGN_OR_RETURN(std::string ttl, Scalar(node, "ttl", what, false));
    if (!ttl.empty()) {
      auto seconds = ParseDuration(ttl);
      if (!seconds.ok()) return Error(node["ttl"], seconds.status().message());
      view->set_ttl_seconds(*seconds);
    }
    ASSIGN_OR_RETURN(std::string unit, Scalar(node, "timestamp_unit", what, false));
    if (!unit.empty()) {
      if (absl::Status s = ParseTimeUnit(unit).status(); !s.ok()) {
        return Error(node["timestamp_unit"], s.message());
      }
      view->set_timestamp_unit(unit);
    }
    if (const YAML::Node window = node["plausible_time"]; window) {
      RETURN_IF_ERROR(ReadPlausibleTime(window, view));
    }
    if (const YAML::Node drift = node["drift"]; drift) {
      RETURN_IF_ERROR(ReadDriftThresholds(drift, view));
    }
    RETURN_IF_ERROR(ReadTags(node, view->mutable_tags()));
    ASSIGN_OR_RETURN(std::string on_invalid, Scalar(node, "on_invalid", what, false));
    if (node["on_invalid"] && on_invalid != "reject" && on_invalid != "drop" &&
        on_invalid != "warn") {
      return Error(node["on_invalid"],
                   absl::StrCat("on_invalid ", Excerpt(on_invalid),
                                " must be reject, drop or warn"));
    }
    view->set_on_invalid(on_invalid);
    ASSIGN_OR_RETURN(*view->mutable_push_source(), Scalar(node, "source", what, false));
    if (node["source"] && !push_source_nodes_.count(view->push_source())) {
      return Error(node["source"],
                   absl::StrCat(what, " names push source ", Excerpt(view->push_source()),
                                ", which this file does not define (push_sources)"));
    }
    return absl::OkStatus();
  }

  // A feature view's entities, by name from `defs`, into `view`; their join keys
  // join `columns`.
  absl::Status ReadViewEntities(const YAML::Node& node, const Definitions& defs,
                                const std::string& what, std::set<std::string>* columns,
                                FeatureView* view) const {
    // Entities, by name, with their join keys; no join key may appear twice.
    const YAML::Node entities = node["entities"];
    if (!entities) return Error(node, absl::StrCat(what, " has no 'entities'"));
    RETURN_IF_ERROR(CheckSequence(entities, "entities"));
    if (entities.size() == 0)
      return Error(entities, absl::StrCat(what, " needs an entity"));
    for (const YAML::Node& e : entities) {
      if (!e.IsScalar())
        return Error(e, "an entity of a feature view is named by a single value");
      const Entity* found = nullptr;
      for (const Entity& entity : defs.entities()) {
        if (entity.name() == e.Scalar()) found = &entity;
      }
      if (found == nullptr) {
        return Error(e, absl::StrCat(what, " uses entity ", Excerpt(e.Scalar()),
                                     ", which this file does not define"));
      }
      for (const JoinKey& key : found->join_keys()) {
        if (!columns->insert(key.name()).second) {
          return Error(e, absl::StrCat("join key '", key.name(), "' of entity '",
                                       found->name(), "' is already a column of ", what));
        }
      }
      *view->add_entities() = *found;
    }
    return absl::OkStatus();
  }

  // A feature view's features, into `view`; each joins `columns`.
  absl::Status ReadViewFeatures(const YAML::Node& node, const std::string& what,
                                std::set<std::string>* columns, FeatureView* view) const {
    const YAML::Node features = node["features"];
    if (!features) return Error(node, absl::StrCat(what, " has no 'features'"));
    RETURN_IF_ERROR(CheckSequence(features, "features"));
    if (features.size() == 0)
      return Error(features, absl::StrCat(what, " needs a feature"));
    for (const YAML::Node& f : features) {
      RETURN_IF_ERROR(CheckKeys(f,
                                {"name", "type", "description", "min", "max", "allowed",
                                 "not_null", "max_null_fraction", "pattern"},
                                "a feature"));
      Feature feature;
      ASSIGN_OR_RETURN(*feature.mutable_name(), Scalar(f, "name", "a feature", true));
      RETURN_IF_ERROR(CheckIdentifier(f["name"], feature.name(), "feature"));
      ASSIGN_OR_RETURN(ValueType type, Type(f, "a feature"));
      feature.set_type(type);
      ASSIGN_OR_RETURN(*feature.mutable_description(),
                       Scalar(f, "description", "a feature", false));
      RETURN_IF_ERROR(ReadFeatureRules(f, &feature));
      if (!columns->insert(feature.name()).second) {
        return Error(
            f, absl::StrCat("feature '", feature.name(), "' of ", what,
                            " clashes with a join key, a reserved column "
                            "(event_timestamp, created_timestamp) or another feature"));
      }
      *view->add_features() = std::move(feature);
    }
    return absl::OkStatus();
  }

  // A rule's value as the feature's type, canonical (AppendValueText).
  absl::StatusOr<std::string> RuleValue(const YAML::Node& node, const Feature& feature,
                                        absl::string_view rule) const {
    if (!node.IsScalar()) {
      return Error(node, absl::StrCat("'", rule, "' of feature '", feature.name(),
                                      "' must be a single value"));
    }
    if (node.Scalar().empty()) {
      return Error(node, absl::StrCat("'", rule, "' of feature '", feature.name(),
                                      "' is empty"));
    }
    auto value = ParseValue(node.Scalar(), feature.type(), TimeUnit::kSeconds);
    if (!value.ok()) {
      return Error(node, absl::StrCat("'", rule, "' of feature '", feature.name(),
                                      "': ", value.status().message()));
    }
    std::string text;
    AppendValueText(*value, feature.type(), &text);
    return text;
  }

  // A feature's rules (min, max, allowed, not_null, max_null_fraction, pattern),
  // checked against its type and each other.
  absl::Status ReadFeatureRules(const YAML::Node& f, Feature* feature) const {
    FeatureRule rules;
    bool any = false;
    const ValueType type = feature->type();
    auto refuse = [&](const YAML::Node& at, absl::string_view rule,
                      absl::string_view types) {
      return Error(at, absl::StrCat("rule '", rule, "' does not apply to feature '",
                                    feature->name(), "' of type ", ValueTypeName(type),
                                    " (only ", types, ")"));
    };
    const bool ordered = type == VALUE_TYPE_INT64 || type == VALUE_TYPE_DOUBLE ||
                         type == VALUE_TYPE_TIMESTAMP;
    for (const char* bound : {"min", "max"}) {
      const YAML::Node node = f[bound];
      if (!node) continue;
      if (!ordered) return refuse(node, bound, "int64, double and timestamp");
      ASSIGN_OR_RETURN(std::string text, RuleValue(node, *feature, bound));
      bound[1] == 'i' ? rules.set_min(text) : rules.set_max(text);
      any = true;
    }
    if (rules.has_min() && rules.has_max()) {
      const Value lo = *ParseValue(rules.min(), type, TimeUnit::kSeconds);
      const Value hi = *ParseValue(rules.max(), type, TimeUnit::kSeconds);
      if (hi < lo) {
        return Error(f["min"], absl::StrCat("feature '", feature->name(), "': min ",
                                            rules.min(), " is greater than max ",
                                            rules.max()));
      }
    }
    if (const YAML::Node allowed = f["allowed"]; allowed) {
      if (type != VALUE_TYPE_INT64 && type != VALUE_TYPE_STRING) {
        return refuse(allowed, "allowed", "int64 and string");
      }
      if (!allowed.IsSequence() || allowed.size() == 0) {
        return Error(allowed, absl::StrCat("'allowed' of feature '", feature->name(),
                                           "' must be a non-empty list of values"));
      }
      std::set<std::string> seen;
      for (const YAML::Node& item : allowed) {
        ASSIGN_OR_RETURN(std::string text, RuleValue(item, *feature, "allowed"));
        if (!seen.insert(text).second) {
          return Error(item, absl::StrCat("'allowed' of feature '", feature->name(),
                                          "' lists ", Excerpt(text), " twice"));
        }
        rules.add_allowed(std::move(text));
      }
      any = true;
    }
    if (const YAML::Node node = f["not_null"]; node) {
      bool value = false;
      if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
        return Error(node, "'not_null' must be true or false");
      }
      rules.set_not_null(value);
      any = true;
    }
    if (const YAML::Node node = f["max_null_fraction"]; node) {
      double fraction = -1;
      if (!node.IsScalar() || !absl::SimpleAtod(node.Scalar(), &fraction) ||
          !(fraction >= 0 && fraction <= 1)) {
        return Error(node, absl::StrCat("'max_null_fraction' of feature '",
                                        feature->name(), "' must be a number from 0 to 1"));
      }
      if (rules.not_null()) {
        return Error(node, absl::StrCat("feature '", feature->name(),
                                        "' has both not_null and max_null_fraction: "
                                        "keep one"));
      }
      rules.set_max_null_fraction(fraction);
      any = true;
    }
    if (const YAML::Node node = f["pattern"]; node) {
      if (type != VALUE_TYPE_STRING) return refuse(node, "pattern", "string");
      if (!node.IsScalar()) return Error(node, "'pattern' must be a single value");
      RE2 re(node.Scalar(), RE2::Quiet);
      if (!re.ok()) {
        return Error(node, absl::StrCat("pattern ", Excerpt(node.Scalar()),
                                        " of feature '", feature->name(),
                                        "' does not compile: ", re.error()));
      }
      rules.set_pattern(node.Scalar());
      any = true;
    }
    if (any) *feature->mutable_rules() = std::move(rules);
    return absl::OkStatus();
  }

  // tags: {NAME: VALUE, ...} of `node`, when it has them.
  absl::Status ReadTags(const YAML::Node& node,
                        google::protobuf::Map<std::string, std::string>* out) const {
    const YAML::Node tags = node["tags"];
    if (!tags) return absl::OkStatus();
    if (!tags.IsMap()) return Error(tags, "'tags' must be a mapping of names to values");
    for (const auto& item : tags) {
      if (!item.second.IsScalar())
        return Error(item.second, "a tag's value must be a single value");
      (*out)[item.first.Scalar()] = item.second.Scalar();
    }
    return absl::OkStatus();
  }

  absl::StatusOr<PushSource> ReadPushSource(const YAML::Node& node) const {
    RETURN_IF_ERROR(CheckKeys(node, {"name", "description"}, "a push source"));
    PushSource source;
    ASSIGN_OR_RETURN(*source.mutable_name(), Scalar(node, "name", "a push source", true));
    if (absl::Status s = ValidateArtifactName(source.name()); !s.ok()) {
      return Error(node["name"], absl::StrCat("push source ", s.message()));
    }
    ASSIGN_OR_RETURN(*source.mutable_description(),
                     Scalar(node, "description", "a push source", false));
    return source;
  }

  // A feature service: its entries checked for form ("VIEW" or "VIEW:FEATURE") and,
  // when the view is in this file, for the view's features; entries of views applied
  // before are checked by FeatureRegistry::Apply, with the places recorded here.
  absl::StatusOr<FeatureService> ReadFeatureService(const YAML::Node& node,
                                                    const Definitions& defs) const {
    RETURN_IF_ERROR(CheckKeys(node, {"name", "features", "description", "owner", "tags"},
                              "a feature service"));
    FeatureService service;
    ASSIGN_OR_RETURN(*service.mutable_name(),
                     Scalar(node, "name", "a feature service", true));
    if (absl::Status s = ValidateArtifactName(service.name()); !s.ok()) {
      return Error(node["name"], absl::StrCat("feature service ", s.message()));
    }
    const std::string what = absl::StrCat("feature service '", service.name(), "'");
    ASSIGN_OR_RETURN(*service.mutable_description(),
                     Scalar(node, "description", what, false));
    ASSIGN_OR_RETURN(*service.mutable_owner(), Scalar(node, "owner", what, false));
    RETURN_IF_ERROR(ReadTags(node, service.mutable_tags()));
    const YAML::Node features = node["features"];
    if (!features) return Error(node, absl::StrCat(what, " has no 'features'"));
    RETURN_IF_ERROR(CheckSequence(features, "features"));
    if (features.size() == 0)
      return Error(features, absl::StrCat(what, " needs a feature"));
    std::set<std::string> seen;
    for (const YAML::Node& f : features) {
      if (!f.IsScalar()) {
        return Error(f, "a feature of a feature service is VIEW:FEATURE or VIEW");
      }
      const std::string entry = f.Scalar();
      const size_t colon = entry.find(':');
      const std::string view_name = entry.substr(0, colon);
      if (absl::Status s = ValidateArtifactName(view_name); !s.ok()) {
        return Error(f, absl::StrCat(what, ": ", Excerpt(entry),
                                     " is not VIEW:FEATURE or VIEW (feature view ",
                                     s.message(), ")"));
      }
      if (!seen.insert(entry).second) {
        return Error(f, absl::StrCat(what, " lists ", Excerpt(entry), " twice"));
      }
      for (const FeatureView& view : defs.feature_views()) {
        if (view.name() != view_name || colon == std::string::npos) continue;
        const std::string feature = entry.substr(colon + 1);
        if (std::none_of(view.features().begin(), view.features().end(),
                         [&](const Feature& x) { return x.name() == feature; })) {
          return Error(f, absl::StrCat(what, ": feature view '", view_name,
                                       "' has no feature ", Excerpt(feature)));
        }
      }
      service.add_features(entry);
      service.add_feature_places(Where(f));
    }
    return service;
  }

  // plausible_time: {from: TIME, until: TIME}, each optional, from < until; a time
  // past 9999 does not parse, so no window reaches past it.
  // `drift: {psi: 0.2, ks_p_value: 0.05, ks_statistic: 0.1}` (each optional):
  // when a feature counts as drifted (docs/quality.md, "Drift").
  absl::Status ReadDriftThresholds(const YAML::Node& node, FeatureView* view) const {
    if (!node.IsMap()) return Error(node, "drift must be a mapping");
    RETURN_IF_ERROR(CheckKeys(node, {"psi", "ks_p_value", "ks_statistic"}, "drift"));
    DriftThresholds* drift = view->mutable_drift();
    for (const char* key : {"psi", "ks_p_value", "ks_statistic"}) {
      ASSIGN_OR_RETURN(std::string text, Scalar(node, key, "drift", false));
      if (text.empty()) continue;
      double value = 0;
      const bool probability = std::string_view(key) == "ks_p_value";
      if (!absl::SimpleAtod(text, &value) || !(value >= 0) ||
          (probability && value > 1) || !std::isfinite(value)) {
        return Error(node[key], absl::StrCat("drift ", key, ": ", Excerpt(text),
                                             probability ? " is not a number in [0, 1]"
                                                         : " is not a number >= 0"));
      }
      if (probability) {
        drift->set_ks_p_value(value);
      } else if (std::string_view(key) == "psi") {
        drift->set_psi(value);
      } else {
        drift->set_ks_statistic(value);
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadPlausibleTime(const YAML::Node& node, FeatureView* view) const {
    RETURN_IF_ERROR(CheckKeys(node, {"from", "until"}, "plausible_time"));
    for (const char* bound : {"from", "until"}) {
      ASSIGN_OR_RETURN(std::string text, Scalar(node, bound, "plausible_time", false));
      if (text.empty()) continue;
      auto t = ParseTimestamp(text, TimeUnit::kSeconds);
      if (!t.ok()) {
        return Error(node[bound],
                     absl::StrCat("plausible_time ", bound, ": ", t.status().message()));
      }
      if (bound[0] == 'f') {
        view->set_plausible_from_us(*t);
      } else {
        view->set_plausible_until_us(*t);
      }
    }
    const PlausibleTime window = PlausibleTimeOf(*view);
    if (window.from >= window.until) {
      return Error(node, absl::StrCat("plausible_time: from ", FormatTimestamp(window.from),
                                      " is not before until ",
                                      FormatTimestamp(window.until)));
    }
    return absl::OkStatus();
  }

  std::string source_;
  std::map<std::string, YAML::Node> entity_nodes_;
  std::map<std::string, YAML::Node> push_source_nodes_;
};

absl::string_view UnitWord(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSeconds:
      return "seconds";
    case TimeUnit::kMillis:
      return "milliseconds";
    case TimeUnit::kMicros:
      return "microseconds";
    case TimeUnit::kNanos:
      return "nanoseconds";
  }
  return "seconds";
}

}  // namespace

std::string PlausibleTime::Text() const {
  return absl::StrCat(FormatTimestamp(from), " .. ", FormatTimestamp(until));
}

PlausibleTime PlausibleTimeOf(const FeatureView& view) {
  PlausibleTime window;
  if (view.has_plausible_from_us()) window.from = view.plausible_from_us();
  if (view.has_plausible_until_us()) window.until = view.plausible_until_us();
  return window;
}

absl::Status CheckRowTime(Micros t, const PlausibleTime& window) {
  if (window.Contains(t)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(FormatTimestamp(t), " is outside the plausible time ", window.Text(),
                   " (the view's plausible_time)"));
}

absl::StatusOr<Micros> ParseRowTime(absl::string_view text, TimeUnit unit,
                                    const PlausibleTime& window,
                                    absl::string_view reader) {
  absl::StatusOr<Micros> t = ParseTimestamp(text, unit);
  if (t.ok() && window.Contains(*t)) return t;
  // An integer out of the window: which other unit, coarsest first, would put it in?
  // (The coarsest such reading is the one nearest today: finer ones land near 1970.)
  absl::string_view digits = text;
  absl::ConsumePrefix(&digits, "+");
  int64_t n;
  const bool integer = absl::SimpleAtoi(digits, &n) &&
                       digits.find_first_not_of("-0123456789") == absl::string_view::npos;
  if (integer) {  // out of the window, or of years 1..9999
    for (TimeUnit other : {TimeUnit::kSeconds, TimeUnit::kMillis, TimeUnit::kMicros,
                           TimeUnit::kNanos}) {
      Micros there;
      if (other == unit || !codec::EpochToMicros(n, other, &there) ||
          !window.Contains(there)) {
        continue;
      }
      return absl::InvalidArgumentError(absl::StrCat(
          text, " looks like ", UnitWord(other), "; ", reader, " reads ",
          UnitWord(unit), " (in ", UnitWord(unit), " it is outside the plausible time ",
          window.Text(), ")"));
    }
  }
  if (!t.ok()) return t.status();
  return absl::InvalidArgumentError(absl::StrCat(
      "timestamp ",
      integer ? absl::StrCat(text, " (", FormatTimestamp(*t), ")") : Excerpt(text),
      " is outside the plausible time ", window.Text(), " (the view's plausible_time)"));
}

absl::StatusOr<ValueType> ParseValueType(absl::string_view text) {
  static const std::pair<absl::string_view, ValueType> kTypes[] = {
      {"int64", VALUE_TYPE_INT64},   {"double", VALUE_TYPE_DOUBLE},
      {"string", VALUE_TYPE_STRING}, {"bool", VALUE_TYPE_BOOL},
      {"bytes", VALUE_TYPE_BYTES},   {"timestamp", VALUE_TYPE_TIMESTAMP}};
  for (const auto& [name, type] : kTypes) {
    if (text == name) return type;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown type ", Excerpt(text),
                   " (types: int64, double, string, bool, bytes, timestamp)"));
}

absl::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case VALUE_TYPE_INT64:
      return "int64";
    case VALUE_TYPE_DOUBLE:
      return "double";
    case VALUE_TYPE_STRING:
      return "string";
    case VALUE_TYPE_BOOL:
      return "bool";
    case VALUE_TYPE_BYTES:
      return "bytes";
    case VALUE_TYPE_TIMESTAMP:
      return "timestamp";
    default:
      return "unspecified";
  }
}

absl::StatusOr<int64_t> ParseDuration(absl::string_view text) {
  if (text == "0") return 0;
  if (text.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration ", Excerpt(text),
                     " needs a number and a unit: s, m, h or d (for example 7d)"));
  }
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "duration ", Excerpt(text), " needs a unit: s, m, h or d (for example 7d)"));
  }
  int64_t n = 0;
  const absl::string_view digits = text.substr(0, text.size() - 1);
  if (digits.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(digits, &n) || n > std::numeric_limits<int64_t>::max() / unit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "duration ", Excerpt(text), " is not a whole, non-negative number of units"));
  }
  return n * unit;
}

absl::StatusOr<Definitions> ParseDefinitions(absl::string_view text,
                                             absl::string_view source) {
  // yaml-cpp reads a NUL as the end of the text: refused, not silently cut.
  if (const size_t nul = text.find('\0'); nul != absl::string_view::npos) {
    const absl::string_view before = text.substr(0, nul);
    const size_t line_start = before.rfind('\n');
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", std::count(before.begin(), before.end(), '\n') + 1, ":",
        nul - (line_start == absl::string_view::npos ? 0 : line_start + 1) + 1,
        ": a NUL byte (YAML and JSON text cannot hold one)"));
  }
  // yaml-cpp reports through exceptions; they stop here.
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp stops its recursion at 500 levels and calls it a "bad file"; its
    // column is where its scanner was, ahead of the parse: the line only.
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.mark.line + 1, ": ", kTooDeep));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  try {
    DefinitionsReader reader(source);
    RETURN_IF_ERROR(reader.CheckShape(root));
    return reader.Read(root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
}

absl::Status CheckCompatible(const FeatureView& existing, const FeatureView& updated) {
  auto keys = [](const FeatureView& v) {
    std::vector<std::string> out;
    for (const Entity& e : v.entities()) {
      for (const JoinKey& k : e.join_keys()) {
        out.push_back(
            absl::StrCat(e.name(), ".", k.name(), ":", ValueTypeName(k.type())));
      }
    }
    return out;
  };
  if (keys(existing) != keys(updated)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "feature view '", updated.name(), "' changes its entities or join keys (",
        absl::StrJoin(keys(existing), ", "), " -> ", absl::StrJoin(keys(updated), ", "),
        "); rows already ingested are keyed by them: define a new feature view instead"));
  }
  for (const Feature& now : updated.features()) {
    for (const Feature& before : existing.features()) {
      if (before.name() == now.name() && before.type() != now.type()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "feature '", now.name(), "' of feature view '", updated.name(), "' is ",
            ValueTypeName(before.type()), "; changing it to ", ValueTypeName(now.type()),
            " is refused: add a feature with a new name instead"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::features
