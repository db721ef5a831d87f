// strata rm and why-kept: deleting versions, and what protects them (issue 5).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/render.h"
#include "store/status_macros.h"
#include "tools/commands.h"

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
}

}  // namespace strata::cli
