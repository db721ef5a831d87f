// strata rm, why-kept, gc, fsck, backup and restore: deleting versions, what
// protects them, freeing their content, checking that the store is whole, and
// copying it (issue 5, docs/operations.md).
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "features/definitions.h"
#include "features/online_check.h"
#include "gc/fsck.h"
#include "gc/gc.h"
#include "store/render.h"
#include "store/status_macros.h"
#include "tools/commands.h"
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
    ASSIGN_OR_RETURN(online, features::CheckOnlineAgainstLog(*store, online_options));
    for (const features::OnlineCheckProblem& p : online->problems) {
      report.problems.push_back(
          {p.kind, absl::StrCat(p.detail, " (sample seed ", online->seed, ")"),
           p.versions});
    }
  }
  std::string out;
  if (a.json) {
    out = gc::FsckReportJson(report, a.deep) + "\n";
  } else {
    for (const gc::FsckProblem& p : report.problems) {
      absl::StrAppend(&out, p.kind, ": ", p.detail, "\n");
    }
    absl::StrAppend(&out, "checked ", report.versions, " versions, ", report.contents,
                    " contents, ", report.chunks, " chunks, ", report.edges,
                    " lineage edges, ", report.aliases, " aliases");
    if (online.has_value() && online->views > 0) {
      absl::StrAppend(&out, ", ", online->entities, " online rows of ", online->views,
                      " feature views (sample seed ", online->seed, ")");
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
      "read ", r.versions, " versions (", r.deleted_versions, " deleted), ", r.manifests,
      " manifests, ", r.chunks, " chunks\n", "found ", r.chunks_found,
      " garbage chunks (", FormatBytes(r.bytes_found), ") and ", r.manifests_found,
      " manifests; within the ", a.grace, " grace period: ", r.manifests_young,
      " unnamed manifests (their chunks stay) and ", r.chunks_young, " unnamed chunks\n");
  if (r.dry_run) {
    absl::StrAppend(&out, "dry run: nothing deleted\n");
  } else {
    absl::StrAppend(&out, "freed ", r.chunks_freed, " chunks (",
                    FormatBytes(r.bytes_freed), ") and ", r.manifests_freed,
                    " manifests");
    if (r.chunks_kept > 0) {
      absl::StrAppend(&out, "; kept ", r.chunks_kept, " that writers took meanwhile");
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

}  // namespace

void AddRetentionCommands(CLI::App& app, Context& ctx) {
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

  auto fsck = std::make_shared<FsckArgs>();
  auto* f = app.add_subcommand(
      "fsck", "Check that every version's content, lineage edge and alias is whole");
  f->add_flag("--deep", fsck->deep,
              "Also read every chunk, check its hash and recompute each content id");
  f->add_flag("--json", fsck->json, "Print JSON");
  f->add_option(
      "--seed", fsck->seed,
      "Seed of the online table's sample check (default: a fresh one, printed)");
  f->callback(
      [&ctx, fsck] { ctx.action = [&ctx, fsck] { return RunFsck(ctx, *fsck); }; });

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

}  // namespace strata::cli
