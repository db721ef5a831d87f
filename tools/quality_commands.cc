// Data quality: stats, drift.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "quality/drift_render.h"
#include "quality/profile_store.h"
#include "quality/render.h"
#include "quality/table_source.h"
#include "store/status_macros.h"
#include "tools/commands.h"
#include "tools/progress.h"

namespace strata::cli {
namespace {

// --from, --to, --as-of: RFC 3339 or epoch seconds. Errors: InvalidArgument
// naming the flag.
absl::StatusOr<std::optional<features::Micros>> TimeFlag(const std::string& text,
                                                         const char* flag) {
  if (text.empty()) return std::nullopt;
  absl::StatusOr<features::Micros> t = quality::ParseTimeBound(text);
  if (!t.ok())
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", t.status().message()));
  return *t;
}

struct StatsArgs {
  std::string ref, view, from, to, as_of;
  bool json = false;
};

absl::Status RunStats(const Context& ctx, const StatsArgs& a) {
  quality::StatsRequest request;
  request.ref = a.ref;
  request.view = a.view;
  ASSIGN_OR_RETURN(request.from, TimeFlag(a.from, "--from"));
  ASSIGN_OR_RETURN(request.to, TimeFlag(a.to, "--to"));
  ASSIGN_OR_RETURN(request.as_of, TimeFlag(a.as_of, "--as-of"));
  request.creator = Context::Creator();
  std::optional<ProgressBar> bar;
  request.progress = [&bar](uint64_t done, uint64_t total) {
    if (!bar.has_value()) {
      bar.emplace("stats", total > 0 ? std::optional<uint64_t>(total) : std::nullopt);
    }
    bar->Update(done);
  };
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  auto r = client->Stats(request);
  if (bar.has_value()) bar->Finish();
  if (!r.ok()) return r.status();
  if (a.json) return Print(quality::StatsJson(*r) + "\n");
  std::string out = quality::StatsHeadline(*r) + "\n";
  if (!r->profile.columns().empty()) out += FormatTable(quality::StatsRows(*r));
  for (const std::string& line : quality::StatsTopLines(*r)) out += line + "\n";
  return Print(out);
}

struct DriftArgs {
  std::string baseline, current, features;
  bool json = false, fail_on_drift = false;
};

absl::Status RunDrift(const Context& ctx, const DriftArgs& a) {
  quality::DriftRequest request;
  request.baseline = a.baseline;
  request.current = a.current;
  request.features = absl::StrSplit(a.features, ',', absl::SkipEmpty());
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(quality::DriftResult r, client->Drift(request));
  int drifted = 0;
  for (const quality::FeatureDrift& f : r.features) drifted += f.drifted;
  if (a.json) {
    RETURN_IF_ERROR(Print(quality::DriftJson(r) + "\n"));
  } else {
    RETURN_IF_ERROR(Print(absl::StrFormat(
        "%s -> %s: %d of %d features drifted (psi >= %g, or ks p < %g with D >= %g)\n%s",
        r.baseline, r.current, drifted, r.features.size(), r.thresholds.psi,
        r.thresholds.ks_p_value, r.thresholds.ks_statistic,
        FormatTable(quality::DriftRows(r)))));
  }
  if (a.fail_on_drift && drifted > 0) {
    return absl::AbortedError(
        absl::StrCat(drifted, " feature", drifted == 1 ? "" : "s", " drifted"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddQualityCommands(CLI::App& app, Context& ctx) {
  auto stats = std::make_shared<StatsArgs>();
  auto* s = app.add_subcommand(
      "stats",
      "Statistics of a dataset version or a feature-view window: count, nulls, distinct, "
      "min, max, mean, stddev, quantiles, histogram, top values");
  s->add_option("ref", stats->ref,
                "dataset/NAME[@REF] (CSV or JSON lines), featureview/NAME[[FROM..TO]] "
                "(the offline log's rows in force), or served:featureview/NAME[FROM..TO] "
                "(what strata serve --log-served answered)")
      ->required();
  s->add_option(
      "--view", stats->view,
      "featureview/NAME whose declared types a dataset's columns take (default: "
      "inferred)");
  s->add_option("--from", stats->from,
                "A window's first event time, RFC 3339 or epoch seconds (inclusive)");
  s->add_option("--to", stats->to,
                "A window's end, RFC 3339 or epoch seconds (exclusive)");
  s->add_option("--as-of", stats->as_of,
                "Hide a window's rows created after this time (what was known then)");
  s->add_flag("--json", stats->json, "Print the statistics as JSON");
  s->callback(
      [&ctx, stats] { ctx.action = [&ctx, stats] { return RunStats(ctx, *stats); }; });

  auto drift = std::make_shared<DriftArgs>();
  auto* d = app.add_subcommand(
      "drift",
      "Drift per feature between a baseline and a current table: KS, PSI and "
      "Wasserstein-1 for numbers, PSI and Jensen-Shannon for categories, and a verdict");
  for (auto [name, field] :
       {std::pair{"baseline", &drift->baseline}, std::pair{"current", &drift->current}}) {
    d->add_option(name, *field,
                  "dataset/NAME[@REF] (a saved training set is one), "
                  "featureview/NAME[FROM..TO] or served:featureview/NAME[FROM..TO]")
        ->required();
  }
  d->add_option("--features", drift->features,
                "Columns to compare, comma-separated (default: every column both sides "
                "have but join keys and timestamps)");
  d->add_flag("--json", drift->json, "Print the measures as JSON");
  d->add_flag("--fail-on-drift", drift->fail_on_drift,
              "Exit 1 when any feature drifted (a CI gate)");
  d->callback(
      [&ctx, drift] { ctx.action = [&ctx, drift] { return RunDrift(ctx, *drift); }; });
}

}  // namespace strata::cli
