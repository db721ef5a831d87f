#include "features/historical_query.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "features/values.h"
#include "store/ref.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Reflection;

// How `dialect` names the parameter of field `field`, and a parameter given a value.
class Names {
 public:
  explicit Names(QueryDialect dialect) : dialect_(dialect) {}

  // "as_of" or "--as-of" ("--input" for inputs: the flag is given once per input).
  std::string Of(absl::string_view field) const {
    if (dialect_ == QueryDialect::kHttp) return std::string(field);
    if (field == "inputs") return "--input";
    if (field == "spine_inputs") return "--spine-input";
    std::string flag = absl::StrCat("--", field);
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
  }
  // The parameter where it is named without a value: "inputs=" or "--input".
  std::string Bare(absl::string_view field) const {
    return dialect_ == QueryDialect::kHttp ? absl::StrCat(field, "=") : Of(field);
  }
  // "save=x" or "--save x".
  std::string Given(absl::string_view field, absl::string_view value) const {
    return absl::StrCat(Of(field), dialect_ == QueryDialect::kHttp ? "=" : " ", value);
  }

 private:
  QueryDialect dialect_;
};

absl::Status Invalid(const std::string& what, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(what, why));
}

absl::Status ParseTimes(const HistoricalQuery& query, const Names& names,
                        HistoricalRequest& request) {
  if (!query.timestamp_unit().empty()) {
    auto unit = ParseTimeUnit(query.timestamp_unit());
    if (!unit.ok()) {
      return Invalid(names.Of("timestamp_unit"), absl::StrCat(": ", unit.status().message()));
    }
    request.timestamp_unit = *unit;
  }
  if (!query.as_of().empty()) {
    auto t = ParseTimestamp(query.as_of(), request.timestamp_unit);
    if (!t.ok()) return Invalid(names.Of("as_of"), absl::StrCat(": ", t.status().message()));
    request.as_of = *t;
  }
  return absl::OkStatus();
}

absl::Status ParseSave(const HistoricalQuery& query, const Names& names,
                       ParsedHistoricalQuery& parsed) {
  if (!query.save().empty()) {
    const std::string& target = query.save();
    if (!absl::StartsWith(target, "dataset/")) {
      return Invalid(names.Given("save", target), ": expected dataset/NAME");
    }
    parsed.save = target.substr(8);
    if (absl::Status s = ValidateArtifactName(*parsed.save); !s.ok()) {
      return Invalid(names.Given("save", target), absl::StrCat(": ", s.message()));
    }
  }
  parsed.message = query.message();
  parsed.lineage.inputs.assign(query.inputs().begin(), query.inputs().end());
  parsed.lineage.spine_inputs.assign(query.spine_inputs().begin(),
                                     query.spine_inputs().end());
  if (!parsed.save.has_value() &&
      (!parsed.lineage.inputs.empty() || !parsed.lineage.spine_inputs.empty())) {
    return Invalid(absl::StrCat(names.Bare("inputs"), " and ", names.Bare("spine_inputs")),
                   absl::StrCat(" are lineage of a saved training set: give ",
                                names.Bare("save"), " too"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedHistoricalQuery> ParseHistoricalQuery(const HistoricalQuery& query,
                                                           QueryDialect dialect) {
  const Names names(dialect);
  ParsedHistoricalQuery parsed;
  HistoricalRequest& request = parsed.request;
  request.features.assign(query.features().begin(), query.features().end());
  if (request.features.empty()) {
    return Invalid(names.Given("features", "VIEW:FEATURE[,VIEW:FEATURE...]"),
                   " is required");
  }
  RETURN_IF_ERROR(ParseTimes(query, names, request));
  request.created_cutoff = query.created_cutoff();
  request.full_names = query.full_names();
  if (!query.format().empty() && query.format() != "csv" && query.format() != "jsonl") {
    return Invalid(names.Given("format", query.format()), " is not csv or jsonl");
  }
  request.format = query.format() == "jsonl" ? ResultFormat::kJsonLines : ResultFormat::kCsv;
  RETURN_IF_ERROR(ParseSave(query, names, parsed));
  if (!query.spine().empty()) {
    if (!absl::StartsWith(query.spine(), "dataset/")) {
      return Invalid(names.Given("spine", query.spine()), ": expected dataset/NAME[@REF]");
    }
    parsed.spine = query.spine();
  }
  if (!query.spine_name().empty()) request.spine_name = query.spine_name();
  return parsed;
}

HistoricalQuery HistoricalQueryOf(const ParsedHistoricalQuery& parsed) {
  const HistoricalRequest& request = parsed.request;
  HistoricalQuery query;
  for (const std::string& f : request.features) query.add_features(f);
  query.set_timestamp_unit(std::string(TimeUnitName(request.timestamp_unit)));
  if (request.as_of.has_value()) query.set_as_of(FormatTimestamp(*request.as_of));
  query.set_created_cutoff(request.created_cutoff);
  query.set_full_names(request.full_names);
  if (request.format == ResultFormat::kJsonLines) query.set_format("jsonl");
  if (parsed.save.has_value()) query.set_save("dataset/" + *parsed.save);
  query.set_message(parsed.message);
  for (const std::string& r : parsed.lineage.inputs) query.add_inputs(r);
  for (const std::string& r : parsed.lineage.spine_inputs) query.add_spine_inputs(r);
  if (parsed.spine.has_value()) {
    query.set_spine(*parsed.spine);
  } else {
    query.set_spine_name(request.spine_name);
  }
  return query;
}

std::vector<std::pair<std::string, std::string>> QueryParameters(
    const HistoricalQuery& query) {
  std::vector<std::pair<std::string, std::string>> params;
  const Descriptor* d = query.GetDescriptor();
  const Reflection* r = query.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) {
      if (r->FieldSize(query, f) == 0) continue;
      std::vector<std::string> values;
      for (int j = 0; j < r->FieldSize(query, f); ++j) {
        values.push_back(r->GetRepeatedString(query, f, j));
      }
      params.emplace_back(f->name(), absl::StrJoin(values, ","));
    } else if (f->type() == FieldDescriptor::TYPE_BOOL) {
      if (r->GetBool(query, f)) params.emplace_back(f->name(), "true");
    } else if (std::string value = r->GetString(query, f); !value.empty()) {
      params.emplace_back(f->name(), std::move(value));
    }
  }
  return params;
}

absl::StatusOr<HistoricalQuery> HistoricalQueryOfParameters(
    const std::multimap<std::string, std::string>& params) {
  HistoricalQuery query;
  const Descriptor* d = query.GetDescriptor();
  const Reflection* r = query.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const auto [begin, end] = params.equal_range(std::string(f->name()));
    if (begin == end) continue;
    if (f->is_repeated()) {
      for (auto it = begin; it != end; ++it) {
        for (absl::string_view v : absl::StrSplit(it->second, ',', absl::SkipEmpty())) {
          r->AddString(&query, f, std::string(v));
        }
      }
    } else if (f->type() == FieldDescriptor::TYPE_BOOL) {
      if (begin->second != "true" && begin->second != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat(f->name(), "=", begin->second, " is not true or false"));
      }
      r->SetBool(&query, f, begin->second == "true");
    } else {
      r->SetString(&query, f, begin->second);
    }
  }
  return query;
}

std::vector<std::string> HistoricalQueryParameterNames() {
  std::vector<std::string> names;
  const Descriptor* d = HistoricalQuery::descriptor();
  for (int i = 0; i < d->field_count(); ++i) names.emplace_back(d->field(i)->name());
  return names;
}

}  // namespace strata::features
