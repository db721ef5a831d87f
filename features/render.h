// How the feature store's results look to programs: the JSON objects that the CLI's
// --json flags print and the HTTP API returns for an ingest, an online rebuild and a
// log trim. The Feast-shaped online response is features/feast_json.h; store records
// render through store/render.h.
#ifndef STRATA_FEATURES_RENDER_H_
#define STRATA_FEATURES_RENDER_H_

#include <string>

#include "features/feature_store.h"
#include "features/rules.h"
#include "store/json_writer.h"

namespace strata::features {

// `result` as one JSON object (`strata ingest --json`, the ingest route):
//   {"ingest":1,"rows":3,"written":3,"featureview":"featureview/v@1",
//    "dataset":"dataset/v-ingest@1","source":"stored","same_content":0,"inputs":[],
//    "min_event_timestamp":"...","max_event_timestamp":"...","bulk":false}
// With validation rules (result.rules.on_invalid set) it also has "dropped" and
// "rules" (WriteRulesOutcome).
std::string IngestResultJson(const IngestResult& result);

// `outcome` as one JSON object, into `w`:
//   {"on_invalid":"drop","invalid_rows":3,"violations":4,"examples":[{"source",
//    "line","column","value","rule"}],"batch":[],"quarantine":"dataset/v-quarantine@1"}
// ("value": null for a null value).
void WriteRulesOutcome(const RulesOutcome& outcome, JsonWriter& w);

// The lines `strata ingest` and `strata push` print on stderr for what the rules
// found ("warning: 3 rows break validation rules (on_invalid: warn)", the examples,
// the batch rules, the quarantine); empty when nothing was found.
std::string RulesOutcomeText(const RulesOutcome& outcome);

// A `strata validate` report (features/rules.h) as one JSON object:
// {"dataset","featureview","rules_from","rows","clean","by_rule":{...},
//  "rules": WriteRulesOutcome}
std::string ValidationReportJson(const ValidationReport& report);
// The report as `strata validate` prints it.
std::string ValidationReportText(const ValidationReport& report);

// `report` as one JSON object, as `strata online rebuild --json` prints it:
//   {"featureview":"clicks","entities":5,"rewritten":2,"removed":1,"unchanged":2,
//    "skipped":0,"ingest_position":4,"ingest_pending":[]}
std::string OnlineRebuildJson(const OnlineRebuildReport& report);

// {"featureview","horizon","dry_run","ingest_position","entities","rows_before",
//  "rows_dropped","rows_kept_at_horizon","chunks_dropped","chunks_rewritten",
//  "bytes_before","bytes_after","breaks":[{"dataset","protected_by"}],
//  "safe_horizon"} (safe_horizon null when none; protected_by "" when none).
std::string LogTrimReportJson(const LogTrimReport& report);

// Version `version` of `view` as one JSON object (GET /v1/features/views/NAME):
//   {"ref":"featureview/v@2","name":"v","version":2,
//    "entities":[{"name","description","join_keys":[{"name","type"}]}],
//    "features":[{"name","type","description"}],"ttl_seconds":0,
//    "timestamp_unit":"s","plausible_from":"...","plausible_until":"...",
//    "description":"","owner":"","tags":{}}
// The entities are whole (join keys with their types), so a client can type a
// view's columns from this object alone; plausible_* are null when not declared.
std::string FeatureViewJson(const FeatureView& view, uint64_t version);

// The objects of `view`'s entities (name, description, join_keys with name and
// type), each appended to the array `w` has open: the one writer of an entity's JSON,
// shared by FeatureViewJson and FeatureRegistry's canonical content.
void WriteEntities(const FeatureView& view, JsonWriter& w);

}  // namespace strata::features

#endif  // STRATA_FEATURES_RENDER_H_
