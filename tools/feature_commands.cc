// apply, ingest, historical, reproduce, online, features trim.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "features/csv.h"
#include "features/definitions.h"
#include "features/feast_json.h"
#include "features/feature_store.h"
#include "features/historical_query.h"
#include "features/registry.h"
#include "features/render.h"
#include "features/retention.h"
#include "store/render.h"
#include "store/status_macros.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/progress.h"

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
  const std::string source = a.file == "-" ? "<stdin>" : a.file;
  // Refuse a malformed file before contacting the store.
  RETURN_IF_ERROR(features::ParseDefinitions(text, source).status());
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto applied,
                   client->Apply(text, source, Context::Creator(), a.message));
  std::string out;
  for (const auto& view : applied) {
    absl::StrAppend(&out, KindName(view.kind), "/", view.name, "@", view.version,
                    view.changed ? " created\n" : " unchanged\n");
  }
  return Print(out);
}

absl::StatusOr<std::optional<features::TimeUnit>> UnitFlag(const std::string& text) {
  if (text.empty()) return std::optional<features::TimeUnit>();
  ASSIGN_OR_RETURN(auto unit, features::ParseTimeUnit(text));
  return std::optional<features::TimeUnit>(unit);
}

struct IngestArgs {
  std::string view, file, format, unit, dataset, message;
  std::vector<std::string> inputs;
  int64_t max_record_bytes = int64_t{16} << 20;
  bool json = false;
};

// Where an ingest's rows came from, for its summary line.
std::string IngestSourceText(const features::IngestResult& r) {
  switch (r.source) {
    case features::IngestSource::kRead:
      return absl::StrCat("read from ", r.dataset);
    case features::IngestSource::kSameContent:
      return absl::StrCat(
          "file is ", r.dataset, " (same content, not stored again",
          r.same_content > 1
              ? absl::StrCat("; the newest of ", r.same_content, " versions with it")
              : "",
          ")");
    case features::IngestSource::kStored:
      break;
  }
  return absl::StrCat("source stored as ", r.dataset);
}

absl::Status RunIngest(const Context& ctx, const IngestArgs& a) {
  features::IngestOptions options;
  if (a.format == "csv") {
    options.format = features::InputFormat::kCsv;
  } else if (a.format == "jsonl") {
    options.format = features::InputFormat::kJsonLines;
  } else if (!a.format.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--format ", a.format, " is not csv or jsonl"));
  }
  ASSIGN_OR_RETURN(options.timestamp_unit, UnitFlag(a.unit));
  options.max_record_bytes = static_cast<size_t>(a.max_record_bytes);
  options.dataset = a.dataset;
  options.inputs = a.inputs;
  options.creator = Context::Creator();
  options.message = a.message;
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  std::optional<uint64_t> size;
  if (a.file != "-") {
    std::error_code ec;
    size = std::filesystem::file_size(a.file, ec);
    if (ec) size.reset();
  }
  ProgressBar bar("ingest", size);
  options.progress = [&](uint64_t done) { bar.Update(done); };
  auto r = client->Ingest(a.view, a.file, options);
  bar.Finish();
  if (!r.ok()) return r.status();
  // What the validation rules found goes to stderr, whatever the output's form.
  std::cerr << features::RulesOutcomeText(r->rules);
  if (a.json) return Print(features::IngestResultJson(*r) + "\n");
  return Print(absl::StrCat(
      "ingested ", Count(r->rows, "row"),
      r->dropped > 0 ? absl::StrCat(" (", Count(r->dropped, "row"), " dropped)") : "",
      " into ", r->view_version, " (ingest ", r->ingest,
      r->written != r->rows ? absl::StrCat(", ", Count(r->rows - r->written, "duplicate"))
                            : std::string(),
      "); events ", features::FormatTimestamp(r->min_event), " .. ",
      features::FormatTimestamp(r->max_event), "; ", IngestSourceText(*r),
      r->inputs.empty() ? "" : "; inputs ", absl::StrJoin(r->inputs, ", "), "\n"));
}

struct HistoricalArgs {
  std::string spine, features, as_of, unit, output, save, message;
  features::SaveLineage lineage;
  int64_t max_record_bytes = int64_t{16} << 20;
  bool created_cutoff = false, full_names = false;
};

std::string HistoricalSummary(const features::HistoricalResult& r) {
  std::string views;
  for (const auto& [name, version] : r.view_versions) {
    absl::StrAppend(&views, views.empty() ? "" : ", ", "featureview/", name, "@",
                    version);
  }
  return absl::StrCat(Count(r.rows, "row"), ", ", Count(r.matched, "feature row"),
                      " found; ", views, "; ingest position ", r.at.position);
}

// The flags of `strata historical` as a query (features/historical_query.h).
features::HistoricalQuery QueryOf(const HistoricalArgs& a) {
  features::HistoricalQuery q;
  for (absl::string_view f : absl::StrSplit(a.features, ',', absl::SkipEmpty())) {
    q.add_features(std::string(f));
  }
  q.set_timestamp_unit(a.unit);
  q.set_as_of(a.as_of);
  q.set_created_cutoff(a.created_cutoff);
  q.set_full_names(a.full_names);
  q.set_save(a.save);
  q.set_message(a.message);
  for (const std::string& r : a.lineage.inputs) q.add_inputs(r);
  for (const std::string& r : a.lineage.spine_inputs) q.add_spine_inputs(r);
  if (absl::StartsWith(a.spine, "dataset/")) q.set_spine(a.spine);
  q.set_spine_name(a.spine);
  return q;
}

absl::Status RunHistorical(const Context& ctx, const HistoricalArgs& a) {
  ASSIGN_OR_RETURN(
      features::ParsedHistoricalQuery query,
      features::ParseHistoricalQuery(QueryOf(a), features::QueryDialect::kCommandLine));
  features::HistoricalRequest& request = query.request;
  request.max_record_bytes = static_cast<size_t>(a.max_record_bytes);
  ASSIGN_OR_RETURN(auto client, ctx.Client());

  if (query.save.has_value()) {
    const std::string& name = *query.save;
    absl::StatusOr<features::SavedResult> saved;
    if (a.output.empty()) {
      saved = client->SaveHistorical(request, a.spine, name, Context::Creator(),
                                     query.message, nullptr, query.lineage);
    } else {
      RETURN_IF_ERROR(WriteFileAtomically(a.output, [&](ByteSink& sink) {
        saved = client->SaveHistorical(request, a.spine, name, Context::Creator(),
                                       query.message, &sink, query.lineage);
        return saved.status();
      }));
    }
    if (!saved.ok()) return saved.status();
    return Print(absl::StrCat("saved ", saved->dataset, " (",
                              HistoricalSummary(saved->result), "; spine ", saved->spine,
                              ")\n"));
  }

  if (a.output.empty()) {
    auto out = FdSink(STDOUT_FILENO, "standard output");
    return client->Historical(request, a.spine, *out).status();
  }
  absl::StatusOr<features::HistoricalResult> result;
  RETURN_IF_ERROR(WriteFileAtomically(a.output, [&](ByteSink& sink) {
    result = client->Historical(request, a.spine, sink);
    return result.status();
  }));
  return Print(absl::StrCat("wrote ", a.output, " (", HistoricalSummary(*result), ")\n"));
}

struct ReproduceArgs {
  std::string ref, output;
};

absl::Status RunReproduce(const Context& ctx, const ReproduceArgs& a) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  absl::StatusOr<features::ReproduceResult> r;
  if (a.output.empty()) {
    r = client->Reproduce(a.ref, nullptr);
  } else {
    RETURN_IF_ERROR(WriteFileAtomically(a.output, [&](ByteSink& sink) {
      r = client->Reproduce(a.ref, &sink);
      return r.status();
    }));
  }
  if (!r.ok()) return r.status();
  if (!r->identical) {
    return absl::DataLossError(
        absl::StrCat(a.ref, " does not reproduce: stored sha256:", r->recorded.Hex(),
                     ", reproduced sha256:", r->reproduced.Hex(), " (",
                     HistoricalSummary(r->result), ")"));
  }
  return Print(absl::StrCat("identical: ", a.ref,
                            " reproduced byte for byte (sha256:", r->recorded.Hex(), "; ",
                            HistoricalSummary(r->result), ")\n"));
}

struct OnlineArgs {
  std::string features;
  std::vector<std::string> entities;
  bool json = false, full_names = false;
};

// --entity JOIN_KEY=V1,V2,... flags as columns (values as text: the store parses
// int64 keys). Errors: InvalidArgument for an item without JOIN_KEY=.
absl::StatusOr<features::EntityColumns> EntityFlags(
    const std::vector<std::string>& items) {
  features::EntityColumns entities;
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--entity ", item, ": expected JOIN_KEY=V1,V2,..."));
    }
    std::vector<features::Value> values;
    for (absl::string_view v : absl::StrSplit(item.substr(eq + 1), ',')) {
      values.emplace_back(std::string(v));
    }
    entities.emplace_back(item.substr(0, eq), std::move(values));
  }
  return entities;
}

absl::Status RunOnline(const Context& ctx, const OnlineArgs& a) {
  // Required here rather than by CLI11: `online rebuild` and `online rm` take neither.
  for (const auto& [flag, given] : {std::pair{"--features", !a.features.empty()},
                                    std::pair{"--entity", !a.entities.empty()}}) {
    if (!given) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, " is required (or a subcommand: online rebuild, online rm)"));
    }
  }
  std::vector<std::string> features = absl::StrSplit(a.features, ',', absl::SkipEmpty());
  ASSIGN_OR_RETURN(features::EntityColumns entities, EntityFlags(a.entities));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto r, client->Online(features, entities));
  const size_t n = entities.front().second.size();
  if (a.json) {
    return Print(features::OnlineResponseJson(r, a.full_names) + "\n");
  }
  std::vector<std::vector<std::string>> rows = {
      {"ENTITY", "FEATURE", "VALUE", "STATUS", "EVENT_TIMESTAMP"}};
  for (size_t i = 0; i < n; ++i) {
    std::string entity;
    for (const auto& [key, values] : r.entities) {
      std::string text;
      features::AppendValueText(values[i], features::VALUE_TYPE_STRING, &text);
      absl::StrAppend(&entity, entity.empty() ? "" : ",", key, "=", text);
    }
    for (size_t f = 0; f < r.features.size(); ++f) {  // feature services expanded
      const features::OnlineValue& v = r.values[f][i];
      std::string text;
      features::AppendValueText(v.value, r.types[f], &text);
      rows.push_back({entity, r.features[f], text,
                      std::string(features::FeatureStatusName(v.status)),
                      v.event_time ? features::FormatTimestamp(*v.event_time) : "-"});
    }
  }
  return Print(FormatTable(rows));
}

struct OnlineRepairArgs {
  std::string view;
  std::vector<std::string> entities;
  bool json = false;
};

// strata online rebuild: the view's online rows recomputed from the offline log.
absl::Status RunOnlineRebuild(const Context& ctx, const OnlineRepairArgs& a) {
  features::OnlineRebuildOptions options;
  ASSIGN_OR_RETURN(options.entities, EntityFlags(a.entities));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  std::optional<ProgressBar> bar;
  options.progress = [&](uint64_t done, uint64_t total) {
    if (!bar.has_value()) bar.emplace("online rebuild", total);
    bar->Update(done);
  };
  auto r = client->RebuildOnline(a.view, options);
  if (bar.has_value()) bar->Finish();
  if (!r.ok()) return r.status();
  if (a.json) return Print(features::OnlineRebuildJson(*r) + "\n");
  std::string out =
      absl::StrCat("rebuilt the online rows of featureview/", r->view,
                   " from the log (ingest position ", r->at.position, "): ", r->rewritten,
                   " rewritten, ", r->removed, " removed, ", r->unchanged,
                   " unchanged of ", Count(r->entities, "entity", "entities"));
  if (r->skipped > 0) {
    absl::StrAppend(&out, "; ", Count(r->skipped, "log row"),
                    " outside the plausible time left out");
  }
  return Print(out + "\n");
}

// strata online sync: every view's online rows rebuilt from its log, into whatever
// online table the store records (a new or flushed Redis is filled).
absl::Status RunOnlineSync(const Context& ctx, bool json) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(std::vector<ArtifactSummary> views, client->List(Kind::kFeatureView));
  std::string out = json ? "[" : "";
  uint64_t written = 0;
  for (size_t i = 0; i < views.size(); ++i) {
    const std::string& view = views[i].artifact.name;
    features::OnlineRebuildOptions options;
    std::optional<ProgressBar> bar;
    options.progress = [&](uint64_t done, uint64_t total) {
      if (!bar.has_value()) bar.emplace(absl::StrCat("online sync ", view), total);
      bar->Update(done);
    };
    auto r = client->RebuildOnline(view, options);
    if (bar.has_value()) bar->Finish();
    if (!r.ok()) {
      return absl::Status(r.status().code(),
                          absl::StrCat("featureview/", view, ": ", r.status().message()));
    }
    written += r->rewritten;
    if (json) {
      absl::StrAppend(&out, i == 0 ? "" : ",", features::OnlineRebuildJson(*r));
    } else {
      absl::StrAppend(&out, "featureview/", view, ": ", r->rewritten, " written, ",
                      r->removed, " removed, ", r->unchanged, " already there, of ",
                      Count(r->entities, "entity", "entities"), "\n");
    }
  }
  if (json) return Print(out + "]\n");
  absl::StrAppend(&out, "synced ", Count(views.size(), "feature view"), ": ",
                  Count(written, "online row"), " written\n");
  return Print(out);
}

// strata online rm: one entity's online row removed.
absl::Status RunOnlineRm(const Context& ctx, const OnlineRepairArgs& a) {
  ASSIGN_OR_RETURN(features::EntityColumns entity, EntityFlags(a.entities));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  RETURN_IF_ERROR(client->RemoveOnline(a.view, entity));
  std::string who;
  for (const auto& item : a.entities) absl::StrAppend(&who, who.empty() ? "" : ",", item);
  return Print(absl::StrCat("removed the online row of ", who, " from featureview/",
                            a.view, "\n"));
}

struct TrimArgs {
  std::string view, before, keep;
  bool dry_run = false, json = false, force = false;
};

// The kept training sets a trim breaks (or would), with what protects each.
std::string BrokenSetsText(const features::LogTrimReport& r) {
  std::vector<std::string> sets;
  for (const features::BrokenTrainingSet& b : r.breaks) {
    sets.push_back(b.protected_by.empty()
                       ? b.dataset
                       : absl::StrCat(b.dataset, " (kept by ", b.protected_by, ")"));
  }
  return absl::StrCat(r.dry_run ? "would make " : "made ",
                      Count(r.breaks.size(), "kept training set"),
                      " unreproducible: ", absl::StrJoin(sets, ", "), "; ",
                      r.safe_horizon.has_value()
                          ? absl::StrCat("the latest horizon that breaks none is ",
                                         features::FormatTimestamp(*r.safe_horizon))
                          : "no horizon that drops rows breaks none",
                      "\n");
}

// strata features trim: offline log retention of one view (FeatureStore::TrimLog).
absl::Status RunTrim(const Context& ctx, const TrimArgs& a) {
  if (a.before.empty() == a.keep.empty()) {
    return absl::InvalidArgumentError("give one of --before TIME and --keep DURATION");
  }
  TrimHorizon horizon;
  if (!a.before.empty()) {
    auto t = features::ParseTimestamp(a.before, features::TimeUnit::kSeconds);
    if (!t.ok())
      return absl::InvalidArgumentError(absl::StrCat("--before: ", t.status().message()));
    horizon.before = *t;
  } else {
    auto keep = features::ParseDuration(a.keep);
    if (!keep.ok() || *keep <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--keep ", a.keep, ": expected a positive duration such as 90d"));
    }
    horizon.keep_seconds = *keep;
  }
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  features::LogTrimOptions options;
  options.dry_run = a.dry_run;
  options.force = a.force;
  std::optional<ProgressBar> bar;
  options.progress = [&](uint64_t done, uint64_t total) {
    if (!bar.has_value()) bar.emplace(a.dry_run ? "trim --dry-run" : "trim", total);
    bar->Update(done);
  };
  auto r = client->TrimLog(a.view, horizon, options);
  if (bar.has_value()) bar->Finish();
  if (!r.ok()) return r.status();
  if (a.json) return Print(features::LogTrimReportJson(*r) + "\n");
  return Print(absl::StrCat(
      r->dry_run ? "would drop " : "dropped ", r->rows_dropped, " of ",
      Count(r->rows_before, "row"), " of featureview/", r->view, " before ",
      features::FormatTimestamp(r->horizon), " (",
      Count(r->entities, "entity", "entities"), ", ",
      Count(r->rows_kept_at_horizon, "row"), " kept in force at the horizon); log ",
      FormatBytes(r->bytes_before), " -> ", FormatBytes(r->bytes_after), "\n",
      r->breaks.empty() ? "" : BrokenSetsText(*r)));
}

// strata apply.
void AddApplyCommand(CLI::App& app, Context& ctx) {
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

// strata ingest.
void AddIngestCommand(CLI::App& app, Context& ctx) {
  auto ingest = std::make_shared<IngestArgs>();
  auto* i = app.add_subcommand(
      "ingest", "Ingest a CSV or JSON lines file into a feature view's offline log");
  i->add_option("featureview", ingest->view, "Feature view name")->required();
  i->add_option("source", ingest->file,
                "CSV (with a header row) or JSON lines file, - for stdin, or a stored "
                "dataset/NAME[@REF] (read in the store, not stored again)")
      ->required();
  i->add_option("--format", ingest->format,
                "csv or jsonl (default: from the name or content)");
  i->add_option(
      "--timestamp-unit", ingest->unit,
      "Unit of integer timestamps: s, ms, us or ns (default: the view's, else s)");
  i->add_option("--dataset", ingest->dataset,
                "Dataset to store the file as (default: FEATUREVIEW-ingest)");
  i->add_option("-m,--message", ingest->message, "Message of the dataset version");
  i->add_option("--input", ingest->inputs,
                "A version the rows were also made from (repeatable): a fed lineage edge "
                "to the feature view version");
  i->add_option("--max-record-bytes", ingest->max_record_bytes,
                "Longest CSV record or JSON line, 1..1073741824 (default 16 MiB; with "
                "--server, the server's)")
      ->transform(IntegerIn(1, features::kMaxMaxRecordBytes, "bytes, at most 1 GiB"));
  i->add_flag("--json", ingest->json, "Print the result as JSON");
  i->callback([&ctx, ingest] {
    ctx.action = [&ctx, ingest] { return RunIngest(ctx, *ingest); };
  });
}

// strata validate.
struct ValidateArgs {
  std::string dataset, view, rules;
  bool json = false;
};

absl::Status RunValidate(const Context& ctx, const ValidateArgs& a) {
  if (a.view.empty() == a.rules.empty()) {
    return absl::InvalidArgumentError("validate needs --view or --rules (one of them)");
  }
  std::string rules_text;
  if (!a.rules.empty()) {
    ASSIGN_OR_RETURN(rules_text, ReadSmallFile(a.rules));
    if (rules_text.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(a.rules, ": the file is empty"));
    }
  }
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(features::ValidationReport report,
                   client->Validate(a.dataset, a.view, rules_text, a.rules));
  RETURN_IF_ERROR(Print(a.json ? features::ValidationReportJson(report) + "\n"
                               : features::ValidationReportText(report)));
  if (report.clean()) return absl::OkStatus();
  // Exit 1: a CI gate.
  return absl::FailedPreconditionError(absl::StrCat(
      report.dataset, " breaks validation rules: ", report.outcome.violations,
      " violation(s) in ", report.outcome.invalid_rows, " row(s)",
      report.outcome.batch.empty()
          ? std::string()
          : absl::StrCat(", ", report.outcome.batch.size(), " batch rule(s)")));
}

void AddValidateCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ValidateArgs>();
  auto* v = app.add_subcommand(
      "validate",
      "Check a dataset version against validation rules without ingesting it (exit 1 "
      "when a rule is broken)");
  v->add_option("dataset", args->dataset, "dataset/NAME[@REF]")->required();
  v->add_option(
      "--view", args->view,
      "featureview/NAME[@REF] whose rules are checked (its schema reads the rows)");
  v->add_option("--rules", args->rules,
                "A definitions file of one feature view whose rules are checked instead");
  v->add_flag("--json", args->json, "Print the report as JSON");
  v->callback(
      [&ctx, args] { ctx.action = [&ctx, args] { return RunValidate(ctx, *args); }; });
}

// strata historical.
void AddHistoricalCommand(CLI::App& app, Context& ctx) {
  auto hist = std::make_shared<HistoricalArgs>();
  auto* h = app.add_subcommand(
      "historical", "Point-in-time join of features onto a spine (a training set)");
  h->add_option("--spine", hist->spine,
                "CSV with join keys and event_timestamp, or dataset/NAME[@REF]")
      ->required();
  h->add_option("--features", hist->features,
                "VIEW:FEATURE or featureservice/NAME[@REF], comma-separated")
      ->required();
  h->add_option("--as-of", hist->as_of,
                "Ignore rows created after this time (what the store knew then)");
  h->add_flag("--created-cutoff", hist->created_cutoff,
              "Ignore rows created after each spine row's timestamp");
  h->add_flag("--full-names", hist->full_names, "Name columns VIEW__FEATURE");
  h->add_option("--timestamp-unit", hist->unit,
                "Unit of integer timestamps in the spine and --as-of (default s)");
  h->add_option("-o,--output", hist->output, "Write the result here (default: stdout)");
  h->add_option("--save", hist->save,
                "Store the result as a new version of dataset/NAME, with lineage");
  h->add_option("-m,--message", hist->message, "Message of the saved version");
  h->add_option("--input", hist->lineage.inputs,
                "With --save: a version the training set was also made from, such as "
                "its labels (repeatable)");
  h->add_option("--spine-input", hist->lineage.spine_inputs,
                "With --save and a spine file: a version the spine was made from "
                "(repeatable), an input of dataset/NAME-spine");
  h->add_option("--max-record-bytes", hist->max_record_bytes,
                "Longest spine record, 1..1073741824 (default 16 MiB; with --server, "
                "the server's)")
      ->transform(IntegerIn(1, features::kMaxMaxRecordBytes, "bytes, at most 1 GiB"));
  h->callback(
      [&ctx, hist] { ctx.action = [&ctx, hist] { return RunHistorical(ctx, *hist); }; });
}

// strata reproduce.
void AddReproduceCommand(CLI::App& app, Context& ctx) {
  auto repro = std::make_shared<ReproduceArgs>();
  auto* r = app.add_subcommand(
      "reproduce", "Re-run a saved training set's request and compare byte for byte");
  r->add_option("ref", repro->ref, "dataset/NAME[@REF] saved by historical --save")
      ->required();
  r->add_option("-o,--output", repro->output, "Also write the reproduced result here");
  r->callback([&ctx, repro] {
    ctx.action = [&ctx, repro] { return RunReproduce(ctx, *repro); };
  });
}

// strata online, online rebuild, online rm.
void AddOnlineCommands(CLI::App& app, Context& ctx) {
  auto online = std::make_shared<OnlineArgs>();
  auto* o = app.add_subcommand(
      "online", "Latest feature values of entities; online rebuild, online rm: repairs");
  o->require_subcommand(0, 1);
  o->add_option("--features", online->features,
                "VIEW:FEATURE or featureservice/NAME[@REF], comma-separated");
  o->add_option("--entity", online->entities, "JOIN_KEY=V1,V2,... (once per join key)");
  o->add_flag("--json", online->json, "Print Feast's get-online-features response shape");
  o->add_flag("--full-names", online->full_names,
              "With --json, name features VIEW__FEATURE");
  o->callback([&ctx, online, o] {
    if (o->get_subcommands().empty()) {
      ctx.action = [&ctx, online] { return RunOnline(ctx, *online); };
    }
  });
  auto rebuild = std::make_shared<OnlineRepairArgs>();
  auto* ob = o->add_subcommand(
      "rebuild", "Recompute a feature view's online rows from its offline log");
  ob->add_option("featureview", rebuild->view, "Feature view name")->required();
  ob->add_option("--entity", rebuild->entities,
                 "JOIN_KEY=V1,V2,... (once per join key; default: every entity)");
  ob->add_flag("--json", rebuild->json, "Print the report as JSON");
  ob->callback([&ctx, rebuild] {
    ctx.action = [&ctx, rebuild] { return RunOnlineRebuild(ctx, *rebuild); };
  });
  auto sync_json = std::make_shared<bool>(false);
  auto* os = o->add_subcommand(
      "sync",
      "Fill the online table (a new or flushed Redis) from every view's offline log");
  os->add_flag("--json", *sync_json, "Print one rebuild report per view as a JSON array");
  os->callback([&ctx, sync_json] {
    ctx.action = [&ctx, sync_json] { return RunOnlineSync(ctx, *sync_json); };
  });
  auto rm = std::make_shared<OnlineRepairArgs>();
  auto* orm = o->add_subcommand("rm", "Remove one entity's online row");
  orm->add_option("featureview", rm->view, "Feature view name")->required();
  orm->add_option("--entity", rm->entities, "JOIN_KEY=VALUE (once per join key)")
      ->required();
  orm->callback(
      [&ctx, rm] { ctx.action = [&ctx, rm] { return RunOnlineRm(ctx, *rm); }; });
}

// strata features trim.
void AddFeatureLogCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("features", "Feature log maintenance");
  group->require_subcommand(1);
  auto trim = std::make_shared<TrimArgs>();
  auto* t = group->add_subcommand(
      "trim",
      "Drop a feature view's offline log rows before a horizon that no answer at or "
      "after it can use");
  t->add_option("featureview", trim->view, "Feature view name")->required();
  t->add_option("--before", trim->before, "The horizon: RFC 3339 or epoch seconds");
  t->add_option("--keep", trim->keep, "The horizon as now minus this (90d, 12h)");
  t->add_flag("--dry-run", trim->dry_run, "Report what would go; change nothing");
  t->add_flag("--json", trim->json, "Print the report as JSON");
  t->add_flag("--force", trim->force,
              "Trim even if kept training sets become unreproducible (not those an "
              "alias protects)");
  t->callback(
      [&ctx, trim] { ctx.action = [&ctx, trim] { return RunTrim(ctx, *trim); }; });
}

}  // namespace

void AddFeatureCommands(CLI::App& app, Context& ctx) {
  AddApplyCommand(app, ctx);
  AddIngestCommand(app, ctx);
  AddValidateCommand(app, ctx);
  AddHistoricalCommand(app, ctx);
  AddReproduceCommand(app, ctx);
  AddOnlineCommands(app, ctx);
  AddFeatureLogCommands(app, ctx);
}

}  // namespace strata::cli
