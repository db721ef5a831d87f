// run (start, log-metric, finish, show, ls) and lineage.
#include <cmath>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "store/render.h"
#include "store/status_macros.h"
#include "tools/commands.h"
#include "tools/flags.h"

namespace strata::cli {
namespace {

struct RunArgs {
  std::string name, id, status = "ok";
  std::vector<std::string> params, inputs, metrics;
  bool json = false;
};

std::string RunText(const store::Run& r) {
  std::string out = absl::StrCat("run/", r.id(), "  ", r.name(), "\n");
  auto line = [&](absl::string_view k, absl::string_view v) {
    absl::StrAppend(&out, absl::StrFormat("  %-8s %s\n", k, v));
  };
  line("status", RunStatusName(r.status()));
  line("creator", DescribeActor(r.creator(), r.on_behalf_of()));
  line("start", FormatTimeShort(r.start_us()));
  if (r.end_us() != 0) line("end", FormatTimeShort(r.end_us()));
  std::map<std::string, std::string> params(r.params().begin(), r.params().end());
  bool first = true;
  for (const auto& [k, v] : params) {
    line(first ? "params" : "", absl::StrCat(k, "=", v));
    first = false;
  }
  std::map<std::string, double> metrics(r.metrics().begin(), r.metrics().end());
  first = true;
  for (const auto& [k, v] : metrics) {
    line(first ? "metrics" : "", absl::StrCat(k, "=", v));
    first = false;
  }
  if (r.inputs_size() > 0) line("inputs", absl::StrJoin(r.inputs(), ", "));
  if (r.outputs_size() > 0) line("outputs", absl::StrJoin(r.outputs(), ", "));
  return out;
}

absl::Status RunStart(const Context& ctx, const RunArgs& a) {
  NewRun request;
  request.name = a.name;
  ASSIGN_OR_RETURN(request.params, ParsePairs(a.params, "--param"));
  request.inputs = a.inputs;
  request.creator = Context::Creator();
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(store::Run run, client->StartRun(request));
  return Print(run.id() + "\n");
}

absl::Status RunLogMetric(const Context& ctx, const RunArgs& a) {
  ASSIGN_OR_RETURN(auto pairs, ParsePairs(a.metrics, "log-metric"));
  std::map<std::string, double> metrics;
  for (const auto& [k, v] : pairs) {
    double d = 0;
    if (!absl::SimpleAtod(v, &d) || !std::isfinite(d)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", k, " must be a finite number, got '", v, "'"));
    }
    metrics[k] = d;
  }
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  return client->LogMetrics(a.id, metrics).status();
}

absl::Status RunFinish(const Context& ctx, const RunArgs& a) {
  store::RunStatus status;
  if (a.status == "ok") {
    status = store::RUN_STATUS_OK;
  } else if (a.status == "failed") {
    status = store::RUN_STATUS_FAILED;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--status is ok or failed, got '", a.status, "'"));
  }
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  return client->FinishRun(a.id, status).status();
}

absl::Status RunShow(const Context& ctx, const RunArgs& a) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(store::Run run, client->GetRun(a.id));
  if (!a.json) return Print(RunText(run));
  JsonWriter w;
  WriteRunJson(w, run);
  return Print(w.Take() + "\n");
}

absl::Status RunLs(const Context& ctx, const RunArgs& a) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto runs, client->ListRuns());
  if (a.json) return PrintJsonArray(runs, WriteRunJson);
  std::string out;
  for (const auto& r : runs) {
    absl::StrAppend(
        &out, absl::StrFormat("%s  %-8s %s  %s\n", r.id(), RunStatusName(r.status()),
                              FormatTimeShort(r.start_us()), r.name()));
  }
  return Print(out);
}

struct LineageArgs {
  std::string ref, format = "tree";
  bool up = false, down = false, both = false;
  int depth = -1;
};

absl::Status RunLineage(const Context& ctx, const LineageArgs& a) {
  LineageOptions options;
  if (a.up + a.down + a.both > 1) {
    return absl::InvalidArgumentError("give at most one of --up, --down, --both");
  }
  options.direction = a.down   ? LineageDirection::kDown
                      : a.both ? LineageDirection::kBoth
                               : LineageDirection::kUp;
  if (a.depth > 0) options.max_depth = a.depth;
  ASSIGN_OR_RETURN(LineageFormat format, ParseLineageFormat(a.format));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(LineageGraph graph, client->Lineage(a.ref, options));
  return Print(RenderLineage(graph, format, options.direction));
}

}  // namespace

void AddRunCommands(CLI::App& app, Context& ctx) {
  auto* run = app.add_subcommand(
      "run", "Record executions: parameters, metrics, inputs, outputs");
  run->require_subcommand(1);

  auto start = std::make_shared<RunArgs>();
  auto* s = run->add_subcommand("start", "Start a run; prints its id");
  s->add_option("name", start->name, "What the run does, e.g. train-churn")->required();
  s->add_option("--param", start->params, "Parameter KEY=VALUE (repeatable)");
  s->add_option("--input", start->inputs, "A version the run reads (repeatable)");
  s->callback(
      [&ctx, start] { ctx.action = [&ctx, start] { return RunStart(ctx, *start); }; });

  auto metric = std::make_shared<RunArgs>();
  auto* m = run->add_subcommand("log-metric", "Record metric values KEY=NUMBER");
  m->add_option("run_id", metric->id, "Run id")->required();
  m->add_option("metrics", metric->metrics, "KEY=NUMBER ...")->required();
  m->callback([&ctx, metric] {
    ctx.action = [&ctx, metric] { return RunLogMetric(ctx, *metric); };
  });

  auto finish = std::make_shared<RunArgs>();
  auto* f = run->add_subcommand("finish", "Mark a run finished");
  f->add_option("run_id", finish->id, "Run id")->required();
  f->add_option("--status", finish->status, "ok (default) or failed");
  f->callback([&ctx, finish] {
    ctx.action = [&ctx, finish] { return RunFinish(ctx, *finish); };
  });

  auto show = std::make_shared<RunArgs>();
  auto* sh = run->add_subcommand("show", "Describe a run");
  sh->add_option("run_id", show->id, "Run id")->required();
  sh->add_flag("--json", show->json, "Print JSON");
  sh->callback(
      [&ctx, show] { ctx.action = [&ctx, show] { return RunShow(ctx, *show); }; });

  auto ls = std::make_shared<RunArgs>();
  auto* l = run->add_subcommand("ls", "List runs, oldest first");
  l->add_flag("--json", ls->json, "Print JSON");
  l->callback([&ctx, ls] { ctx.action = [&ctx, ls] { return RunLs(ctx, *ls); }; });

  auto lineage = std::make_shared<LineageArgs>();
  auto* li =
      app.add_subcommand("lineage", "Trace what a version came from, or what came of it");
  li->add_option("ref", lineage->ref, "KIND/NAME[@N|@ALIAS] or run/ID")->required();
  li->add_flag("--up", lineage->up, "Upstream: what it was made from (default)");
  li->add_flag("--down", lineage->down, "Downstream: what was made from it");
  li->add_flag("--both", lineage->both, "Both directions");
  li->add_option("--depth", lineage->depth, "Follow at most N edges (default: all)")
      ->transform(IntegerIn(1, std::numeric_limits<int>::max()));
  li->add_option("--format", lineage->format, "tree (default), json, dot or mermaid");
  li->callback([&ctx, lineage] {
    ctx.action = [&ctx, lineage] { return RunLineage(ctx, *lineage); };
  });
}

}  // namespace strata::cli
