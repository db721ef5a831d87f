#include "features/render.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "features/definitions.h"
#include "store/json_writer.h"

namespace strata::features {

std::string IngestResultJson(const IngestResult& result) {
  JsonWriter w;
  w.BeginObject()
      .Key("ingest")
      .Uint(result.ingest)
      .Key("rows")
      .Uint(result.rows)
      .Key("written")
      .Uint(result.written)
      .Key("featureview")
      .String(result.view_version)
      .Key("dataset")
      .String(result.dataset)
      .Key("source")
      .String(IngestSourceName(result.source))
      .Key("same_content")
      .Uint(result.same_content)
      .Key("inputs")
      .BeginArray();
  for (const std::string& input : result.inputs) w.String(input);
  w.EndArray()
      .Key("min_event_timestamp")
      .String(FormatTimestamp(result.min_event))
      .Key("max_event_timestamp")
      .String(FormatTimestamp(result.max_event))
      .Key("bulk")
      .Bool(result.bulk);
  if (!result.rules.on_invalid.empty()) {
    w.Key("dropped").Uint(result.dropped).Key("rules");
    WriteRulesOutcome(result.rules, w);
  }
  w.EndObject();
  return w.Take();
}

void WriteRulesOutcome(const RulesOutcome& outcome, JsonWriter& w) {
  w.BeginObject()
      .Key("on_invalid")
      .String(outcome.on_invalid)
      .Key("invalid_rows")
      .Uint(outcome.invalid_rows)
      .Key("violations")
      .Uint(outcome.violations)
      .Key("examples")
      .BeginArray();
  for (const RuleViolation& v : outcome.examples) {
    w.BeginObject().Key("source").String(v.source).Key("line").Uint(v.line);
    w.Key("column").String(v.column).Key("value");
    if (v.value.empty()) {
      w.Null();
    } else {
      w.String(v.value);
    }
    w.Key("rule").String(v.rule).EndObject();
  }
  w.EndArray().Key("batch").BeginArray();
  for (const std::string& b : outcome.batch) w.String(b);
  w.EndArray().Key("quarantine").String(outcome.quarantine).EndObject();
}

std::string RulesOutcomeText(const RulesOutcome& outcome) {
  if (outcome.invalid_rows == 0 && outcome.batch.empty()) return "";
  std::string out;
  if (outcome.invalid_rows > 0) {
    absl::StrAppend(&out, "warning: ", outcome.invalid_rows,
                    outcome.invalid_rows == 1 ? " row breaks" : " rows break",
                    " validation rules (", outcome.violations, " value(s); on_invalid: ",
                    outcome.on_invalid,
                    outcome.on_invalid == "drop" ? ", left out" : ", written", ")\n");
  }
  for (const RuleViolation& v : outcome.examples) absl::StrAppend(&out, "  ", v.Text(), "\n");
  if (outcome.violations > outcome.examples.size()) {
    absl::StrAppend(&out, "  ... and ", outcome.violations - outcome.examples.size(),
                    " more\n");
  }
  for (const std::string& b : outcome.batch) absl::StrAppend(&out, "warning: ", b, "\n");
  if (!outcome.quarantine.empty()) {
    absl::StrAppend(&out, "dropped rows quarantined as ", outcome.quarantine, "\n");
  }
  return out;
}

std::string OnlineRebuildJson(const OnlineRebuildReport& report) {
  JsonWriter w;
  w.BeginObject()
      .Key("featureview")
      .String(report.view)
      .Key("entities")
      .Uint(report.entities)
      .Key("rewritten")
      .Uint(report.rewritten)
      .Key("removed")
      .Uint(report.removed)
      .Key("unchanged")
      .Uint(report.unchanged)
      .Key("skipped")
      .Uint(report.skipped)
      .Key("ingest_position")
      .Uint(report.at.position)
      .Key("ingest_pending")
      .BeginArray();
  for (uint64_t p : report.at.pending) w.Uint(p);
  w.EndArray().EndObject();
  return w.Take();
}

std::string LogTrimReportJson(const LogTrimReport& r) {
  JsonWriter w;
  w.BeginObject().Key("featureview").String(r.view);
  w.Key("horizon").String(FormatTimestamp(r.horizon)).Key("dry_run").Bool(r.dry_run);
  w.Key("ingest_position").Uint(r.at.position).Key("entities").Uint(r.entities);
  w.Key("rows_before").Uint(r.rows_before).Key("rows_dropped").Uint(r.rows_dropped);
  w.Key("rows_kept_at_horizon").Uint(r.rows_kept_at_horizon);
  w.Key("chunks_dropped").Uint(r.chunks_dropped);
  w.Key("chunks_rewritten").Uint(r.chunks_rewritten);
  w.Key("bytes_before").Uint(r.bytes_before).Key("bytes_after").Uint(r.bytes_after);
  w.Key("breaks").BeginArray();
  for (const BrokenTrainingSet& b : r.breaks) {
    w.BeginObject().Key("dataset").String(b.dataset);
    w.Key("protected_by").String(b.protected_by).EndObject();
  }
  w.EndArray().Key("safe_horizon");
  if (r.safe_horizon.has_value()) {
    w.String(FormatTimestamp(*r.safe_horizon));
  } else {
    w.Null();
  }
  w.EndObject();
  return w.Take();
}

void WriteEntities(const FeatureView& view, JsonWriter& w) {
  for (const Entity& e : view.entities()) {
    w.BeginObject()
        .Key("name")
        .String(e.name())
        .Key("description")
        .String(e.description());
    w.Key("join_keys").BeginArray();
    for (const JoinKey& k : e.join_keys()) {
      w.BeginObject().Key("name").String(k.name()).Key("type").String(
          ValueTypeName(k.type()));
      w.EndObject();
    }
    w.EndArray().EndObject();
  }
}

std::string FeatureViewJson(const FeatureView& view, uint64_t version) {
  JsonWriter w;
  w.BeginObject()
      .Key("ref")
      .String(absl::StrCat("featureview/", view.name(), "@", version))
      .Key("name")
      .String(view.name())
      .Key("version")
      .Uint(version)
      .Key("entities")
      .BeginArray();
  WriteEntities(view, w);
  w.EndArray().Key("features").BeginArray();
  for (const Feature& f : view.features()) {
    w.BeginObject()
        .Key("name")
        .String(f.name())
        .Key("type")
        .String(ValueTypeName(f.type()))
        .Key("description")
        .String(f.description())
        .EndObject();
  }
  w.EndArray().Key("ttl_seconds").Int(view.ttl_seconds());
  w.Key("timestamp_unit")
      .String(view.timestamp_unit().empty() ? "s" : view.timestamp_unit());
  w.Key("plausible_from");
  if (view.has_plausible_from_us()) {
    w.String(FormatTimestamp(view.plausible_from_us()));
  } else {
    w.Null();
  }
  w.Key("plausible_until");
  if (view.has_plausible_until_us()) {
    w.String(FormatTimestamp(view.plausible_until_us()));
  } else {
    w.Null();
  }
  w.Key("description").String(view.description()).Key("owner").String(view.owner());
  w.Key("tags").BeginObject();
  for (const auto& [k, v] :
       std::map<std::string, std::string>(view.tags().begin(), view.tags().end())) {
    w.Key(k).String(v);
  }
  w.EndObject().EndObject();
  return w.Take();
}

std::string ValidationReportJson(const ValidationReport& report) {
  JsonWriter w;
  w.BeginObject()
      .Key("dataset")
      .String(report.dataset)
      .Key("featureview")
      .String(report.featureview)
      .Key("rules_from")
      .String(report.rules_from)
      .Key("rows")
      .Uint(report.rows)
      .Key("clean")
      .Bool(report.clean())
      .Key("by_rule")
      .BeginObject();
  for (const auto& [rule, count] : report.by_rule) w.Key(rule).Uint(count);
  w.EndObject().Key("rules");
  WriteRulesOutcome(report.outcome, w);
  w.EndObject();
  return w.Take();
}

std::string ValidationReportText(const ValidationReport& report) {
  std::string out = absl::StrCat(
      report.dataset, ": ", report.rows, " rows checked against the rules of ",
      report.rules_from, "\n");
  if (report.outcome.on_invalid.empty()) {
    absl::StrAppend(&out, "no validation rules\n");
    return out;
  }
  if (report.clean()) {
    absl::StrAppend(&out, "clean: every rule kept\n");
    return out;
  }
  absl::StrAppend(&out, report.outcome.violations, " violation(s) in ",
                  report.outcome.invalid_rows, " row(s)\n");
  for (const auto& [rule, count] : report.by_rule) {
    absl::StrAppend(&out, "  ", rule, ": ", count, "\n");
  }
  for (const RuleViolation& v : report.outcome.examples) {
    absl::StrAppend(&out, "  ", v.Text(), "\n");
  }
  for (const std::string& b : report.outcome.batch) absl::StrAppend(&out, "  ", b, "\n");
  return out;
}

}  // namespace strata::features
