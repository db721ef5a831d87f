// Maintenance routes, scope admin: fsck, backups, gc, retention and log trims of the
// store being served.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/api.pb.h"
#include "api/features_api.pb.h"
#include "api/internal/routes.h"
#include "features/online_check.h"
#include "features/render.h"
#include "features/retention.h"
#include "gc/fsck.h"
#include "gc/gc.h"
#include "gc/render.h"
#include "gc/retention.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

// A true/false query parameter; `fallback` when absent.
// Errors: InvalidArgument "NAME= takes true or false".
absl::StatusOr<bool> FlagParam(const httplib::Request& req, const char* name,
                               bool fallback) {
  const std::string value = req.get_param_value(name);
  if (value.empty()) return fallback;
  if (value != "true" && value != "false") {
    return absl::InvalidArgumentError(absl::StrCat(name, "= takes true or false"));
  }
  return value == "true";
}

// GET /v1/fsck[?deep=true]: gc::Fsck of the store and the online table's sample
// check against the feature log, as `strata fsck --json` prints them. 200 whatever
// it finds: the report says.
absl::Status Check(const RouteContext& ctx, const httplib::Request& req,
                   httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {"deep"}));
  gc::FsckOptions options;
  ASSIGN_OR_RETURN(options.deep, FlagParam(req, "deep", false));
  ASSIGN_OR_RETURN(gc::FsckReport report, gc::Fsck(*ctx.store, options));
  features::OnlineCheckOptions online_options;
  online_options.table = &ctx.features->online_table();
  ASSIGN_OR_RETURN(features::OnlineCheckReport online,
                   features::CheckOnlineAgainstLog(*ctx.store, online_options));
  features::AddOnlineProblems(online, &report);
  if (WantsProtobuf(req)) {
    FsckReportView view;
    view.set_versions(report.versions);
    view.set_contents(report.contents);
    view.set_chunks(report.chunks);
    view.set_bytes_read(report.bytes_read);
    view.set_edges(report.edges);
    view.set_aliases(report.aliases);
    for (const gc::FsckProblem& p : report.problems) {
      FsckReportView::Problem& out = *view.add_problems();
      out.set_kind(p.kind);
      out.set_detail(p.detail);
      for (const auto& v : p.versions) out.add_versions(v);
    }
    WriteProto(res, view);
    return absl::OkStatus();
  }
  WriteJson(res, gc::FsckReportJson(report, options.deep));
  return absl::OkStatus();
}

// POST /v1/gc[?grace_seconds=N][&dry_run=true][&reclaim=false]: gc::CollectGarbage
// on the store being served (default grace 3600 s). 200 with the report, as
// `strata gc --json` prints it; 409 while another gc runs.
absl::Status CollectGarbage(const RouteContext& ctx, const httplib::Request& req,
                            httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {"grace_seconds", "dry_run", "reclaim"}));
  gc::GcOptions options;
  if (req.has_param("grace_seconds")) {
    int64_t seconds = -1;
    if (!absl::SimpleAtoi(req.get_param_value("grace_seconds"), &seconds) ||
        seconds < 0) {
      return absl::InvalidArgumentError(
          "grace_seconds= takes a whole number of seconds, 0 or more");
    }
    options.grace = absl::Seconds(seconds);
  }
  ASSIGN_OR_RETURN(options.dry_run, FlagParam(req, "dry_run", false));
  ASSIGN_OR_RETURN(options.reclaim, FlagParam(req, "reclaim", true));
  ASSIGN_OR_RETURN(gc::GcReport report, gc::CollectGarbage(*ctx.store, options));
  if (WantsProtobuf(req)) {
    GcReportView view;
    view.set_dry_run(report.dry_run);
    view.set_grace_seconds(absl::ToDoubleSeconds(report.grace));
    const auto* descriptor = view.GetDescriptor();
    for (const auto& [name, value] : gc::GcReportCounters(report)) {
      view.GetReflection()->SetUInt64(
          &view, descriptor->FindFieldByName(std::string(name)), *value);
    }
    WriteProto(res, view);
    return absl::OkStatus();
  }
  WriteJson(res, gc::GcReportJson(report));
  return absl::OkStatus();
}

// GET /v1/retention (scope read): every retention policy, as `strata retention show
// --json` prints them.
absl::Status ListRetention(const RouteContext& ctx, const httplib::Request& req,
                           httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kRead));
  RETURN_IF_ERROR(CheckParams(req, {}));
  ASSIGN_OR_RETURN(auto policies, gc::RetentionPolicies(*ctx.store));
  if (WantsProtobuf(req)) {
    RetentionPolicyList list;
    list.mutable_policies()->insert(policies.begin(), policies.end());
    WriteProto(res, list);
    return absl::OkStatus();
  }
  WriteJson(res, gc::RetentionPoliciesJson(policies));
  return absl::OkStatus();
}

// PUT /v1/retention/TARGET?keep_last=N&keep_within_seconds=S&log_keep_seconds=S
// (scope admin): gc::SetRetentionPolicy, recording Who. 204.
absl::Status SetRetention(const RouteContext& ctx, const httplib::Request& req,
                          httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(
      CheckParams(req, {"keep_last", "keep_within_seconds", "log_keep_seconds"}));
  int64_t values[3] = {0, 0, 0};
  const char* names[3] = {"keep_last", "keep_within_seconds", "log_keep_seconds"};
  for (int i = 0; i < 3; ++i) {
    if (!req.has_param(names[i])) continue;
    if (!absl::SimpleAtoi(req.get_param_value(names[i]), &values[i]) || values[i] < 0 ||
        values[i] > int64_t{UINT32_MAX}) {
      return absl::InvalidArgumentError(
          absl::StrCat(names[i], "= takes a whole number from 0 to ", UINT32_MAX));
    }
  }
  store::RetentionPolicy policy;
  policy.set_keep_last(static_cast<uint32_t>(values[0]));
  policy.set_keep_within_seconds(values[1]);
  policy.set_log_keep_seconds(values[2]);
  RETURN_IF_ERROR(
      gc::SetRetentionPolicy(*ctx.store, req.matches[1].str(), policy, Who(req)));
  res.status = 204;
  return absl::OkStatus();
}

// DELETE /v1/retention/TARGET (scope admin). 204; 404 when it has no policy.
absl::Status RemoveRetention(const RouteContext& ctx, const httplib::Request& req,
                             httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {}));
  RETURN_IF_ERROR(gc::RemoveRetentionPolicy(*ctx.store, req.matches[1].str()));
  res.status = 204;
  return absl::OkStatus();
}

// POST /v1/retention/apply[?dry_run=true] (scope admin): the policies applied
// (features::ApplyRetentionWithLogs), as `strata retention apply --json` prints it.
absl::Status ApplyRetention(const RouteContext& ctx, const httplib::Request& req,
                            httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {"dry_run"}));
  ASSIGN_OR_RETURN(const bool dry_run, FlagParam(req, "dry_run", false));
  ASSIGN_OR_RETURN(
      gc::RetentionReport report,
      features::ApplyRetentionWithLogs(*ctx.store, *ctx.features, dry_run, Who(req)));
  if (WantsProtobuf(req)) {
    RetentionReportView view;
    view.set_dry_run(report.dry_run);
    view.set_bytes_freed(report.bytes_freed);
    for (const auto& [from, to] :
         {std::make_pair(&report.deleted, view.mutable_deleted()),
          std::make_pair(&report.protected_, view.mutable_protected_())}) {
      for (const gc::ExpiredVersion& e : *from) {
        auto* out = to->Add();
        out->set_version(e.version);
        out->set_policy(e.policy);
        out->set_size(e.size);
        out->set_created_us(e.created_us);
        out->set_kept_by(e.kept_by);
      }
    }
    for (const gc::LogTrim& t : report.logs) {
      auto* out = view.add_logs();
      out->set_view(t.view);
      out->set_policy(t.policy);
      out->set_horizon_us(t.horizon_us);
      out->set_rows_before(t.rows_before);
      out->set_rows_dropped(t.rows_dropped);
      out->set_bytes_before(t.bytes_before);
      out->set_bytes_after(t.bytes_after);
      for (const std::string& set : t.held_back_by) out->add_held_back_by(set);
      if (t.trimmed_to_us.has_value()) out->set_trimmed_to_us(*t.trimmed_to_us);
    }
    WriteProto(res, view);
    return absl::OkStatus();
  }
  WriteJson(res, gc::RetentionReportJson(report));
  return absl::OkStatus();
}

// POST /v1/features/VIEW/trim?before=TIME|keep_seconds=N[&dry_run=true][&force=true]
// (scope admin): FeatureStore::TrimLog to TIME (RFC 3339 or epoch seconds) or the
// server's now minus N seconds, as `strata features trim --json` prints it. 409
// when it would make kept training sets unreproducible (naming them).
absl::Status TrimLog(const RouteContext& ctx, const httplib::Request& req,
                     httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {"before", "keep_seconds", "dry_run", "force"}));
  if (req.has_param("before") == req.has_param("keep_seconds")) {
    return absl::InvalidArgumentError("give one of before= and keep_seconds=");
  }
  features::Micros horizon;
  if (req.has_param("before")) {
    auto t = features::ParseTimestamp(req.get_param_value("before"),
                                      features::TimeUnit::kSeconds);
    if (!t.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("before=: ", t.status().message()));
    }
    horizon = *t;
  } else {
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(req.get_param_value("keep_seconds"), &seconds) ||
        seconds <= 0 || seconds > INT64_MAX / 2000000) {
      return absl::InvalidArgumentError(
          "keep_seconds= takes a positive whole number of seconds");
    }
    horizon = absl::ToUnixMicros(absl::Now()) - seconds * 1000000;
  }
  features::LogTrimOptions options;
  ASSIGN_OR_RETURN(options.dry_run, FlagParam(req, "dry_run", false));
  ASSIGN_OR_RETURN(options.force, FlagParam(req, "force", false));
  ASSIGN_OR_RETURN(features::LogTrimReport r,
                   ctx.features->TrimLog(req.matches[1].str(), horizon, options));
  if (WantsProtobuf(req)) {
    TrimResponse out;
    out.set_featureview(r.view);
    out.set_horizon(features::FormatTimestamp(r.horizon));
    out.set_dry_run(r.dry_run);
    out.set_ingest_position(r.at.position);
    out.set_entities(r.entities);
    out.set_rows_before(r.rows_before);
    out.set_rows_dropped(r.rows_dropped);
    out.set_rows_kept_at_horizon(r.rows_kept_at_horizon);
    out.set_chunks_dropped(r.chunks_dropped);
    out.set_chunks_rewritten(r.chunks_rewritten);
    out.set_bytes_before(r.bytes_before);
    out.set_bytes_after(r.bytes_after);
    for (const features::BrokenTrainingSet& b : r.breaks) {
      auto* broken = out.add_breaks();
      broken->set_dataset(b.dataset);
      broken->set_protected_by(b.protected_by);
    }
    if (r.safe_horizon.has_value()) {
      out.set_safe_horizon(features::FormatTimestamp(*r.safe_horizon));
    }
    WriteProto(res, out);
    return absl::OkStatus();
  }
  WriteJson(res, features::LogTrimReportJson(r));
  return absl::OkStatus();
}

// A backup's name: 1-100 of a-z, 0-9, '.', '_' and '-', starting with a letter or
// digit. It names a directory under --backup-dir and nothing else.
absl::Status ValidateBackupName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 100 && absl::ascii_isalnum(name[0]);
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || absl::ascii_isdigit(c) || c == '.' ||
                c == '_' || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backup name \"", name.substr(0, 100),
        "\": 1-100 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"));
  }
  return absl::OkStatus();
}

// POST /v1/backups?name=NAME: Store::Backup into --backup-dir/NAME. 201 with
// {"name","path"}; 409 when the name is taken or the server takes no backups.
absl::Status Backup(const RouteContext& ctx, const httplib::Request& req,
                    httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  RETURN_IF_ERROR(CheckParams(req, {"name"}));
  const std::string name = req.get_param_value("name");
  RETURN_IF_ERROR(ValidateBackupName(name));
  if (ctx.options->backup_dir.empty()) {
    return absl::FailedPreconditionError(
        "this server takes no backups: start it with --backup-dir DIR");
  }
  const std::string path = absl::StrCat(ctx.options->backup_dir, "/", name);
  if (absl::Status s = ctx.store->Backup(path); !s.ok()) {
    // A taken name is a conflict with the server's state, not a malformed request.
    if (absl::IsAlreadyExists(s)) return absl::FailedPreconditionError(s.message());
    return s;
  }
  res.status = 201;
  if (WantsProtobuf(req)) {
    BackupCreated out;
    out.set_name(name);
    out.set_path(path);
    WriteProto(res, out);
    return absl::OkStatus();
  }
  JsonWriter w;
  w.BeginObject().Key("name").String(name).Key("path").String(path).EndObject();
  WriteJson(res, w.Take());
  return absl::OkStatus();
}

}  // namespace

void AddMaintenanceRoutes(httplib::Server& http, const RouteContext& ctx) {
  http.Get("/v1/fsck", Bind(ctx, "/v1/fsck", Check));
  http.Post("/v1/backups", Bind(ctx, "/v1/backups", Backup));
  http.Post("/v1/gc", Bind(ctx, "/v1/gc", CollectGarbage));
  http.Get("/v1/retention", Bind(ctx, "/v1/retention", ListRetention));
  http.Post(R"(/v1/features/(.+)/trim)", Bind(ctx, "/v1/features/{view}/trim", TrimLog));
  http.Post("/v1/retention/apply", Bind(ctx, "/v1/retention/apply", ApplyRetention));
  http.Put(R"(/v1/retention/(.+))", Bind(ctx, "/v1/retention/{target}", SetRetention));
  http.Delete(R"(/v1/retention/(.+))",
              Bind(ctx, "/v1/retention/{target}", RemoveRetention));
}

}  // namespace strata::api::internal
