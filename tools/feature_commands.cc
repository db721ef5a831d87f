// apply.
#include "absl/strings/str_cat.h"
#include "features/definitions.h"
#include "features/registry.h"
#include "store/status_macros.h"
#include "tools/commands.h"

namespace strata::cli {
namespace {

// Definitions files are small; a larger input is a mistake (a dataset given by
// accident), refused before it is parsed.
constexpr size_t kMaxDefinitionsBytes = 16 << 20;

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  ASSIGN_OR_RETURN(auto source, OpenFileSource(path));
  std::string text;
  char buf[65536];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, source->Read(buf, sizeof(buf)));
    if (n == 0) break;
    text.append(buf, n);
    if (text.size() > kMaxDefinitionsBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, " is larger than 16 MiB; a definitions file is much smaller"));
    }
  }
  return text;
}

struct ApplyArgs {
  std::string file, message;
};

absl::Status RunApply(const Context& ctx, const ApplyArgs& a) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(a.file));
  ASSIGN_OR_RETURN(features::Definitions defs,
                   features::ParseDefinitions(text, a.file == "-" ? "<stdin>" : a.file));
  ASSIGN_OR_RETURN(auto store, ctx.OpenStore());
  features::FeatureRegistry registry(store.get());
  ASSIGN_OR_RETURN(auto applied, registry.Apply(defs, Context::Creator(), a.message));
  std::string out;
  for (const auto& view : applied) {
    absl::StrAppend(&out, "featureview/", view.name, "@", view.version,
                    view.changed ? " created\n" : " unchanged\n");
  }
  return Print(out);
}

}  // namespace

void AddFeatureCommands(CLI::App& app, Context& ctx) {
  auto apply = std::make_shared<ApplyArgs>();
  auto* a = app.add_subcommand(
      "apply",
      "Store entity and feature view definitions (YAML or JSON); see docs/features.md");
  a->add_option("file", apply->file, "Definitions file, or - for standard input")
      ->required();
  a->add_option("-m,--message", apply->message, "What changed");
  a->callback(
      [&ctx, apply] { ctx.action = [&ctx, apply] { return RunApply(ctx, *apply); }; });
}

}  // namespace strata::cli
