// Maintenance routes, scope admin: fsck and backups of the store being served.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/api.pb.h"
#include "api/internal/routes.h"
#include "features/online_check.h"
#include "gc/fsck.h"
#include "gc/gc.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::api::internal {
namespace {

// GET /v1/fsck[?deep=true]: gc::Fsck of the store and the online table's sample
// check against the feature log, as `strata fsck --json` prints them. 200 whatever
// it finds: the report says.
absl::Status Check(const RouteContext& ctx, const httplib::Request& req,
                   httplib::Response& res) {
  RETURN_IF_ERROR(ctx.authorize(req, Scope::kAdmin));
  const std::string deep = req.get_param_value("deep");
  if (!deep.empty() && deep != "true" && deep != "false") {
    return absl::InvalidArgumentError("deep= takes true or false");
  }
  gc::FsckOptions options;
  options.deep = deep == "true";
  ASSIGN_OR_RETURN(gc::FsckReport report, gc::Fsck(*ctx.store, options));
  ASSIGN_OR_RETURN(features::OnlineCheckReport online,
                   features::CheckOnlineAgainstLog(*ctx.store, {}));
  for (const features::OnlineCheckProblem& p : online.problems) {
    report.problems.push_back(
        {p.kind, absl::StrCat(p.detail, " (sample seed ", online.seed, ")"), p.versions});
  }
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
  for (const auto& [name, flag] :
       {std::pair<const char*, bool*>{"dry_run", &options.dry_run},
        {"reclaim", &options.reclaim}}) {
    const std::string value = req.get_param_value(name);
    if (value.empty()) continue;
    if (value != "true" && value != "false") {
      return absl::InvalidArgumentError(absl::StrCat(name, "= takes true or false"));
    }
    *flag = value == "true";
  }
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
}

}  // namespace strata::api::internal
