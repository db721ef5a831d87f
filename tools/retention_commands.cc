// strata rm, why-kept, gc, fsck, backup and restore: deleting versions, what
// protects them, freeing their content, checking that the store is whole, and
// copying it (issue 5, docs/operations.md).
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "features/definitions.h"
#include "features/online_check.h"
#include "features/online_store.h"
#include "gc/fsck.h"
#include "gc/gc.h"
#include "gc/render.h"
#include "gc/retention.h"
#include "store/render.h"
#include "store/status_macros.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/progress.h"

namespace strata::cli {
namespace {

struct RmArgs {
  std::string ref, reason;
  bool force = false, json = false;
};

// The version `text` names. A bare KIND/NAME (the latest) is refused: a deletion
// names its version.
absl::StatusOr<store::Version> NamedVersion(StoreClient& client, const std::string& text,
                                            const char* verb) {
  ASSIGN_OR_RETURN(Ref ref, ParseRef(text));
  if (ref.is_latest()) {
    return absl::InvalidArgumentError(absl::StrCat("name the version to ", verb, ": ",
                                                   ref.artifact.ToString(), "@N or ",
                                                   ref.artifact.ToString(), "@ALIAS"));
  }
  return client.Resolve(ref);
}

absl::Status RunRm(const Context& ctx, const RmArgs& a) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(store::Version v, NamedVersion(*client, a.ref, "delete"));
  DeleteRequest request;
  request.artifact = {*ParseKind(v.kind()), v.name()};
  request.version = v.number();
  request.who = Context::Creator();
  request.reason = a.reason;
  request.force = a.force;
  ASSIGN_OR_RETURN(store::Version deleted, client->Delete(request));
  if (a.json) {
    JsonWriter w;
    WriteVersionJson(w, deleted, {});
    return Print(w.Take() + "\n");
  }
  std::string out = absl::StrCat("deleted ", VersionRef(deleted), "\n");
  for (const std::string& o : deleted.deleted().overridden()) {
    absl::StrAppend(&out, "  --force overrode: kept by ", o, "\n");
  }
  return Print(out);
}

struct WhyKeptArgs {
  std::string ref;
  bool json = false;
};

absl::Status RunWhyKept(const Context& ctx, const WhyKeptArgs& a) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(store::Version v, NamedVersion(*client, a.ref, "explain"));
  ASSIGN_OR_RETURN(std::vector<KeptBy> kept,
                   client->WhyKept({*ParseKind(v.kind()), v.name()}, v.number()));
  if (a.json) {
    JsonWriter w;
    w.BeginObject().Key("version").String(VersionRef(v));
    WriteKeptByJson(w.Key("kept_by"), kept);
    w.EndObject();
    return Print(w.Take() + "\n");
  }
  if (v.has_deleted()) {
    return Print(absl::StrCat(VersionRef(v), " is deleted\n"));
  }
  if (kept.empty()) {
    return Print(absl::StrCat(VersionRef(v),
                              " is not protected: no version in use was made from it\n"));
  }
  std::string out = absl::StrCat(VersionRef(v), " is kept by:\n");
  for (const KeptBy& k : kept) absl::StrAppend(&out, "  ", DescribeKeptBy(k), "\n");
  return Print(out);
}

struct FsckArgs {
  bool deep = false, json = false;
  uint64_t seed = 0;
};

absl::Status RunFsck(const Context& ctx, const FsckArgs& a) {
  // Locally the online table is also checked against the feature log, on a sample
  // (a server's GET /v1/fsck does the same on its side).
  std::unique_ptr<Store> store;
  std::unique_ptr<StoreClient> client;
  if (ctx.server.empty()) {
    ASSIGN_OR_RETURN(store, ctx.OpenStore());
    client = LocalClient(store.get());
  } else if (a.seed != 0) {
    return absl::InvalidArgumentError("--seed works on a local store only");
  } else {
    ASSIGN_OR_RETURN(client, ctx.Client());
  }
  gc::FsckOptions options;
  options.deep = a.deep;
  std::optional<ProgressBar> bar;
  options.progress = [&](uint64_t done, uint64_t total) {
    if (!bar.has_value()) bar.emplace(a.deep ? "fsck --deep" : "fsck", total);
    bar->Update(done);
  };
  ASSIGN_OR_RETURN(gc::FsckReport report, client->Fsck(options));
  if (bar.has_value()) bar->Finish();
  std::optional<features::OnlineCheckReport> online;
  if (store != nullptr) {
    features::OnlineCheckOptions online_options;
    online_options.seed = a.seed;
    const std::shared_ptr<features::OnlineTable> table =
        features::RecordedOnlineTable(*store);
    online_options.table = table.get();
    ASSIGN_OR_RETURN(online, features::CheckOnlineAgainstLog(*store, online_options));
    features::AddOnlineProblems(*online, &report);
  }
  std::string out;
  if (a.json) {
    out = gc::FsckReportJson(report, a.deep) + "\n";
  } else {
    for (const gc::FsckProblem& p : report.problems) {
      absl::StrAppend(&out, p.kind, ": ", p.detail, "\n");
    }
    absl::StrAppend(&out, "checked ", Count(report.versions, "version"), ", ",
                    Count(report.contents, "content"), ", ",
                    Count(report.chunks, "chunk"), ", ",
                    Count(report.edges, "lineage edge"), ", ",
                    Count(report.aliases, "alias", "aliases"));
    if (online.has_value() && online->views > 0) {
      absl::StrAppend(&out, ", ", Count(online->entities, "online row"), " of ",
                      Count(online->views, "feature view"), " (sample seed ",
                      online->seed, ")");
    }
    if (a.deep) absl::StrAppend(&out, "; read ", FormatBytes(report.bytes_read));
    absl::StrAppend(&out, ": ",
                    report.problems.empty()
                        ? std::string("no problems")
                        : absl::StrCat(report.problems.size(), " problem",
                                       report.problems.size() == 1 ? "" : "s"),
                    "\n");
  }
  RETURN_IF_ERROR(Print(out));
  if (!report.problems.empty()) {
    return absl::DataLossError(absl::StrCat("fsck found ", report.problems.size(),
                                            " problem",
                                            report.problems.size() == 1 ? "" : "s"));
  }
  return absl::OkStatus();
}

struct GcArgs {
  bool dry_run = false, json = false, no_reclaim = false;
  std::string grace = "1h";
};

absl::Status RunGc(const Context& ctx, const GcArgs& a) {
  auto seconds = features::ParseDuration(a.grace);
  if (!seconds.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grace: ", seconds.status().message()));
  }
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  gc::GcOptions options;
  options.dry_run = a.dry_run;
  options.grace = absl::Seconds(*seconds);
  options.reclaim = !a.no_reclaim;
  std::optional<ProgressBar> bar;
  std::string phase;
  options.progress = [&](absl::string_view now, uint64_t done, uint64_t total) {
    if (phase != now) {
      if (bar.has_value()) bar->Finish();
      phase = std::string(now);
      bar.emplace(absl::StrCat("gc: ", phase), total);
    }
    bar->Update(done);
  };
  ASSIGN_OR_RETURN(gc::GcReport r, client->Gc(options));
  if (bar.has_value()) bar->Finish();
  if (a.json) return Print(gc::GcReportJson(r) + "\n");
  std::string out = absl::StrCat(
      "read ", Count(r.versions, "version"), " (", r.deleted_versions, " deleted), ",
      Count(r.manifests, "manifest"), ", ", Count(r.chunks, "chunk"), "\n", "found ",
      Count(r.chunks_found, "garbage chunk"), " (", FormatBytes(r.bytes_found), ") and ",
      Count(r.manifests_found, "manifest"), "; within the ", a.grace,
      " grace period: ", Count(r.manifests_young, "unnamed manifest"),
      " (their chunks stay) and ", Count(r.chunks_young, "unnamed chunk"), "\n");
  if (r.dry_run) {
    absl::StrAppend(&out, "dry run: nothing deleted\n");
  } else {
    absl::StrAppend(&out, "freed ", Count(r.chunks_freed, "chunk"), " (",
                    FormatBytes(r.bytes_freed), ") and ",
                    Count(r.manifests_freed, "manifest"));
    if (r.chunks_kept > 0) {
      absl::StrAppend(&out, "; kept ", r.chunks_kept,
                      " that writers named or put in the last minute");
    }
    absl::StrAppend(&out, "\nstore files: ", FormatBytes(r.disk_bytes_before), " -> ",
                    FormatBytes(r.disk_bytes_after));
    if (r.bytes_rewritten > 0) {
      absl::StrAppend(&out, " (", FormatBytes(r.bytes_rewritten),
                      " of live chunks rewritten)");
    }
    absl::StrAppend(&out, "\n");
  }
  return Print(out);
}

struct RetentionSetArgs {
  std::string target, keep_within, log_keep;
  uint32_t keep_last = 0;
};

absl::StatusOr<int64_t> DurationFlag(const char* flag, const std::string& text) {
  if (text.empty()) return 0;
  auto seconds = features::ParseDuration(text);
  if (!seconds.ok() || *seconds <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", text, ": expected a positive duration such as 90d"));
  }
  return *seconds;
}

absl::Status RunRetentionSet(const Context& ctx, const RetentionSetArgs& a) {
  store::RetentionPolicy policy;
  policy.set_keep_last(a.keep_last);
  ASSIGN_OR_RETURN(int64_t within, DurationFlag("--keep-within", a.keep_within));
  ASSIGN_OR_RETURN(int64_t log, DurationFlag("--log-keep", a.log_keep));
  policy.set_keep_within_seconds(within);
  policy.set_log_keep_seconds(log);
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  RETURN_IF_ERROR(client->SetRetention(a.target, policy, Context::Creator()));
  return Print(
      absl::StrCat("retention of ", a.target, ": ", gc::DescribePolicy(policy), "\n"));
}

absl::Status RunRetentionUnset(const Context& ctx, const std::string& target) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  RETURN_IF_ERROR(client->RemoveRetention(target));
  return Print(absl::StrCat("removed the retention policy of ", target, "\n"));
}

absl::Status RunRetentionShow(const Context& ctx, bool json) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto policies, client->RetentionPolicies());
  if (json) return Print(gc::RetentionPoliciesJson(policies) + "\n");
  if (policies.empty()) {
    return Print("no retention policies: every version is kept until deleted\n");
  }
  std::vector<std::vector<std::string>> rows = {{"TARGET", "POLICY", "SET BY", "AT"}};
  for (const auto& [target, p] : policies) {
    rows.push_back({target, gc::DescribePolicy(p),
                    DescribeActor(p.updated_by(), p.on_behalf_of()),
                    FormatTimeShort(p.updated_us())});
  }
  return Print(FormatTable(rows));
}

struct RetentionApplyArgs {
  bool dry_run = false, json = false;
};

// Deletes what the policies no longer keep and trims the feature views' logs.
absl::Status RunRetentionApply(const Context& ctx, const RetentionApplyArgs& a) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(gc::RetentionReport r,
                   client->ApplyRetention(a.dry_run, Context::Creator()));
  if (a.json) return Print(gc::RetentionReportJson(r) + "\n");
  const char* del = a.dry_run ? "would delete " : "deleted ";
  std::string out;
  for (const gc::ExpiredVersion& e : r.deleted) {
    absl::StrAppend(&out, del, e.version, " (", FormatBytes(e.size), ", created ",
                    FormatTimeShort(e.created_us), "; policy of ", e.policy, ")\n");
  }
  for (const gc::ExpiredVersion& e : r.protected_) {
    absl::StrAppend(&out, "kept ", e.version, " (expired by the policy of ", e.policy,
                    "): ", e.kept_by, "\n");
  }
  for (const gc::LogTrim& t : r.logs) {
    // Held back: kept training sets need rows the policy's horizon would drop.
    const std::string held =
        t.held_back_by.empty()
            ? ""
            : absl::StrCat(
                  "; held back from ", FormatTime(t.horizon_us),
                  " by kept training sets: ", absl::StrJoin(t.held_back_by, ", "));
    if (!t.held_back_by.empty() && !t.trimmed_to_us.has_value()) {
      absl::StrAppend(&out, a.dry_run ? "would keep " : "kept ",
                      "the log of featureview/", t.view, " whole (policy of ", t.policy,
                      held, ")\n");
      continue;
    }
    absl::StrAppend(&out, a.dry_run ? "would drop " : "dropped ", t.rows_dropped, " of ",
                    Count(t.rows_before, "log row"), " of featureview/", t.view,
                    " before ", FormatTime(t.trimmed_to_us.value_or(t.horizon_us)),
                    " (log ", FormatBytes(t.bytes_before), " -> ",
                    FormatBytes(t.bytes_after), "; policy of ", t.policy, held, ")\n");
  }
  absl::StrAppend(&out, del, r.deleted.size(), " version",
                  r.deleted.size() == 1 ? "" : "s", " (", r.protected_.size(),
                  " expired but protected); ", FormatBytes(r.bytes_freed),
                  " of chunks only they name ", a.dry_run ? "would be" : "is",
                  " freed by the next strata gc\n");
  return Print(out);
}

absl::Status RunBackup(const Context& ctx, const std::string& dir) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(std::string path, client->Backup(dir));
  return Print(absl::StrCat("backed up ", client->Where(), " to ", path,
                            ctx.server.empty() ? "" : " (on the server)", "\n"));
}

absl::Status RunRestore(const Context& ctx, const std::string& backup) {
  RETURN_IF_ERROR(ctx.RequireLocal());
  RETURN_IF_ERROR(RestoreStore(backup, ctx.store_dir));
  return Print(absl::StrCat("restored ", backup, " into ", ctx.store_dir, "\n"));
}

// rm and why-kept: deleting a version, and what keeps one from deletion.
void AddDeletionCommands(CLI::App& app, Context& ctx) {
  auto rm = std::make_shared<RmArgs>();
  auto* r = app.add_subcommand(
      "rm", "Delete a version: its record stays, marked; gc reclaims its content");
  r->add_option("ref", rm->ref, "KIND/NAME@N or KIND/NAME@ALIAS")->required();
  r->add_option("-m,--message", rm->reason, "Why (kept with the deletion)");
  r->add_flag("--force", rm->force,
              "Delete even a protected version (its aliases are removed; logged)");
  r->add_flag("--json", rm->json, "Print the deleted version as JSON");
  r->callback([&ctx, rm] { ctx.action = [&ctx, rm] { return RunRm(ctx, *rm); }; });

  auto why = std::make_shared<WhyKeptArgs>();
  auto* w = app.add_subcommand(
      "why-kept", "Say what protects a version from deletion, and through which lineage");
  w->add_option("ref", why->ref, "KIND/NAME@N or KIND/NAME@ALIAS")->required();
  w->add_flag("--json", why->json, "Print JSON");
  w->callback(
      [&ctx, why] { ctx.action = [&ctx, why] { return RunWhyKept(ctx, *why); }; });
}

// fsck: is every version's content, lineage edge and alias whole.
void AddFsckCommand(CLI::App& app, Context& ctx) {
  auto fsck = std::make_shared<FsckArgs>();
  auto* f = app.add_subcommand(
      "fsck", "Check that every version's content, lineage edge and alias is whole");
  f->add_flag("--deep", fsck->deep,
              "Also read every chunk, check its hash and recompute each content id");
  f->add_flag("--json", fsck->json, "Print JSON");
  f->add_option("--seed", fsck->seed,
                "Seed of the online table's sample check (default: a fresh one, printed)")
      ->transform(IntegerIn(0, std::numeric_limits<uint64_t>::max()));
  f->callback(
      [&ctx, fsck] { ctx.action = [&ctx, fsck] { return RunFsck(ctx, *fsck); }; });
}

// gc: frees the chunks and manifests no live version names.
void AddGcCommand(CLI::App& app, Context& ctx) {
  auto gc_args = std::make_shared<GcArgs>();
  auto* g = app.add_subcommand(
      "gc", "Free the chunks and manifests that no live version names");
  g->add_flag("--dry-run", gc_args->dry_run, "Only report what would be freed");
  g->add_option("--grace", gc_args->grace,
                "Keep unnamed chunks and manifests younger than this (s, m, h, d)")
      ->default_str("1h");
  g->add_flag("--no-reclaim", gc_args->no_reclaim,
              "Skip the compaction that returns the freed space to the disk now");
  g->add_flag("--json", gc_args->json, "Print JSON");
  g->callback(
      [&ctx, gc_args] { ctx.action = [&ctx, gc_args] { return RunGc(ctx, *gc_args); }; });
}

// retention set, unset, show and apply.
void AddRetentionPolicyCommands(CLI::App& app, Context& ctx) {
  auto* ret = app.add_subcommand(
      "retention", "Policies that say which versions `retention apply` deletes");
  ret->require_subcommand(1);
  auto set = std::make_shared<RetentionSetArgs>();
  auto* rset = ret->add_subcommand(
      "set", "Set the policy of a kind (dataset) or an artifact (dataset/clicks)");
  rset->add_option("target", set->target, "KIND or KIND/NAME")->required();
  rset->add_option("--keep-last", set->keep_last,
                   "Keep the newest N versions (0: no limit by count)")
      ->transform(IntegerIn(0, std::numeric_limits<uint32_t>::max(), "0: no limit"));
  rset->add_option("--keep-within", set->keep_within,
                   "Keep versions younger than this (s, m, h, d)");
  rset->add_option("--log-keep", set->log_keep,
                   "Feature views: trim offline log rows older than this");
  rset->callback(
      [&ctx, set] { ctx.action = [&ctx, set] { return RunRetentionSet(ctx, *set); }; });
  auto unset = std::make_shared<std::string>();
  auto* ru = ret->add_subcommand("unset", "Remove a policy");
  ru->add_option("target", *unset, "KIND or KIND/NAME")->required();
  ru->callback([&ctx, unset] {
    ctx.action = [&ctx, unset] { return RunRetentionUnset(ctx, *unset); };
  });
  auto show_json = std::make_shared<bool>(false);
  auto* rsh = ret->add_subcommand("show", "List the policies");
  rsh->add_flag("--json", *show_json, "Print JSON");
  rsh->callback([&ctx, show_json] {
    ctx.action = [&ctx, show_json] { return RunRetentionShow(ctx, *show_json); };
  });
  auto apply = std::make_shared<RetentionApplyArgs>();
  auto* ra = ret->add_subcommand(
      "apply", "Delete the unprotected versions the policies no longer keep");
  ra->add_flag("--dry-run", apply->dry_run, "List what would be deleted and freed");
  ra->add_flag("--json", apply->json, "Print JSON");
  ra->callback([&ctx, apply] {
    ctx.action = [&ctx, apply] { return RunRetentionApply(ctx, *apply); };
  });
}

// backup and restore.
void AddBackupCommands(CLI::App& app, Context& ctx) {
  auto backup_dir = std::make_shared<std::string>();
  auto* b = app.add_subcommand(
      "backup", "Copy the store, consistent as of one moment, into a new directory");
  b->add_option("dir", *backup_dir, "The backup's directory (must not exist)")
      ->required();
  b->callback([&ctx, backup_dir] {
    ctx.action = [&ctx, backup_dir] { return RunBackup(ctx, *backup_dir); };
  });
  auto restore_dir = std::make_shared<std::string>();
  auto* rs = app.add_subcommand(
      "restore", "Make a new store (--store, must not exist) from a backup");
  rs->add_option("dir", *restore_dir, "The backup's directory")->required();
  rs->callback([&ctx, restore_dir] {
    ctx.action = [&ctx, restore_dir] { return RunRestore(ctx, *restore_dir); };
  });
}

}  // namespace

void AddRetentionCommands(CLI::App& app, Context& ctx) {
  AddDeletionCommands(app, ctx);
  AddFsckCommand(app, ctx);
  AddGcCommand(app, ctx);
  AddRetentionPolicyCommands(app, ctx);
  AddBackupCommands(app, ctx);
}

}  // namespace strata::cli
