#include "gc/render.h"

#include <utility>

#include "absl/time/time.h"
#include "store/json_writer.h"
#include "store/render.h"

namespace strata::gc {

std::string FsckReportJson(const FsckReport& report, bool deep) {
  JsonWriter w;
  w.BeginObject().Key("deep").Bool(deep).Key("versions").Uint(report.versions);
  w.Key("contents").Uint(report.contents).Key("chunks").Uint(report.chunks);
  w.Key("bytes_read").Uint(report.bytes_read).Key("edges").Uint(report.edges);
  w.Key("aliases").Uint(report.aliases).Key("problems").BeginArray();
  for (const FsckProblem& p : report.problems) {
    w.BeginObject().Key("kind").String(p.kind).Key("detail").String(p.detail);
    w.Key("versions").BeginArray();
    for (const auto& v : p.versions) w.String(v);
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

std::string GcReportJson(const GcReport& report) {
  GcReport r = report;
  JsonWriter w;
  w.BeginObject();
  w.Key("dry_run").Bool(r.dry_run);
  w.Key("grace_seconds").Double(absl::ToDoubleSeconds(r.grace));
  for (const auto& [key, value] : GcReportCounters(r)) w.Key(key).Uint(*value);
  w.EndObject();
  return w.Take();
}

std::string RetentionPoliciesJson(
    const std::map<std::string, store::RetentionPolicy>& policies) {
  JsonWriter w;
  w.BeginArray();
  for (const auto& [target, p] : policies) {
    w.BeginObject().Key("target").String(target).Key("keep_last").Uint(p.keep_last());
    w.Key("keep_within_seconds").Int(p.keep_within_seconds());
    w.Key("log_keep_seconds").Int(p.log_keep_seconds());
    w.Key("updated_by").String(p.updated_by());
    WriteOnBehalfOf(w, p.on_behalf_of());
    w.Key("updated").String(FormatTime(p.updated_us())).EndObject();
  }
  w.EndArray();
  return w.Take();
}

std::string RetentionReportJson(const RetentionReport& report) {
  JsonWriter w;
  w.BeginObject().Key("dry_run").Bool(report.dry_run);
  w.Key("bytes_freed").Uint(report.bytes_freed);
  for (const auto& [key, list] :
       {std::pair<const char*, const std::vector<ExpiredVersion>*>{"deleted",
                                                                   &report.deleted},
        {"protected", &report.protected_}}) {
    w.Key(key).BeginArray();
    for (const ExpiredVersion& e : *list) {
      w.BeginObject().Key("version").String(e.version).Key("policy").String(e.policy);
      w.Key("size").Uint(e.size).Key("created").String(FormatTime(e.created_us));
      if (!e.kept_by.empty()) w.Key("kept_by").String(e.kept_by);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("logs").BeginArray();
  for (const LogTrim& l : report.logs) {
    w.BeginObject().Key("view").String(l.view).Key("policy").String(l.policy);
    w.Key("horizon").String(FormatTime(l.horizon_us));
    w.Key("rows_before").Uint(l.rows_before).Key("rows_dropped").Uint(l.rows_dropped);
    w.Key("bytes_before").Uint(l.bytes_before).Key("bytes_after").Uint(l.bytes_after);
    w.Key("held_back_by").BeginArray();
    for (const std::string& set : l.held_back_by) w.String(set);
    w.EndArray().Key("trimmed_to");
    if (l.held_back_by.empty()) {
      w.String(FormatTime(l.horizon_us));
    } else if (l.trimmed_to_us.has_value()) {
      w.String(FormatTime(*l.trimmed_to_us));
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

}  // namespace strata::gc
