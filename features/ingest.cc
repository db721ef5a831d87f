// FeatureStore::Ingest as its stages (docs/architecture.md, "Ingest: stages and
// observers"): resolve the references, read the input and, on worker threads,
// validate each block and sort/spill it as a run (ingest_pipeline.h); then write
// the log (ingest_log.h) while the file is stored, commit the ingest, which makes
// the rows visible, and update the online table. Observers (ingest_observer.h) see
// the blocks and may stop the ingest before anything is written.
#include <algorithm>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/csv.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/online_serving.h"
#include "features/ingest_log.h"
#include "features/ingest_observer.h"
#include "features/ingest_parse.h"
#include "features/ingest_pipeline.h"
#include "features/ingest_runs.h"
#include "features/rules.h"
#include "features/scratch.h"
#include "features/tables.h"
#include "features/view_catalog.h"
#include "store/database.h"
#include "store/excerpt.h"
#include "store/internal/keys.h"
#include "store/internal/records.h"
#include "store/json_writer.h"
#include "store/ref.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;
using ingest::kUtf8Bom;
using ingest::LooksLikeJsonLines;
using ingest::MapColumns;
using ingest::RunFile;

constexpr int kWorkers = 2;

// `refs` resolved to lineage nodes "KIND/NAME@N", sorted, each once.
// Errors: as ParseRef and ArtifactStore::Resolve.
absl::StatusOr<std::vector<std::string>> ResolveInputs(
    const ArtifactStore& artifacts, const std::vector<std::string>& refs) {
  std::vector<std::string> nodes;
  for (const std::string& text : refs) {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(text));
    ASSIGN_OR_RETURN(store::Version v, artifacts.Resolve(ref));
    nodes.push_back(VersionRef(v));
  }
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

// The live dataset versions holding `content_id` (of dataset `name` only, when
// non-empty), newest first. Reads every version record in that range: there is no
// index by content.
absl::StatusOr<std::vector<store::Version>> VersionsWithContent(
    const internal::Db& db, const Digest& content_id, const std::string& name) {
  const std::string prefix =
      name.empty() ? std::string("dataset/")
                   : internal::ArtifactPrefix(internal::ArtifactKey("dataset", name));
  const absl::string_view raw = content_id.Raw();
  std::vector<store::Version> found;
  auto cursor = db.Scan(Cf::kVersions, prefix);
  for (; cursor->Valid(); cursor->Next()) {
    ASSIGN_OR_RETURN(auto v,
                     internal::ParseRecord<store::Version>(cursor->value(), "version"));
    if (v.content_id() == raw && !v.has_deleted()) found.push_back(std::move(v));
  }
  RETURN_IF_ERROR(cursor->status());
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.created_us() > b.created_us();
  });
  return found;
}

}  // namespace

absl::string_view IngestSourceName(IngestSource source) {
  switch (source) {
    case IngestSource::kStored:
      return "stored";
    case IngestSource::kSameContent:
      return "same_content";
    case IngestSource::kRead:
      return "read";
  }
  return "stored";
}

absl::StatusOr<std::optional<Ref>> StoredIngestSource(absl::string_view source) {
  const size_t slash = source.find('/');
  if (slash == absl::string_view::npos) return std::optional<Ref>();
  auto kind = ParseKind(source.substr(0, slash));
  if (!kind.ok()) return std::optional<Ref>();  // a path: data/events.csv
  if (*kind != Kind::kDataset) {
    return absl::InvalidArgumentError(absl::StrCat(
        Excerpt(source), " is a ", KindName(*kind),
        ", not a dataset: ingest reads a file or dataset/NAME[@REF] (for a file in a "
        "folder named ",
        KindName(*kind), ", write ./", KindName(*kind), "/...)"));
  }
  ASSIGN_OR_RETURN(Ref ref, ParseRef(source));
  return std::optional<Ref>(std::move(ref));
}

namespace {

// What an ingest reads and how, resolved before anything is read or written.
struct IngestPlan {
  std::shared_ptr<ResolvedView> view;    // the latest version, registered
  std::optional<store::Version> stored;  // the source, when it is a stored version
  std::vector<std::string> inputs;       // options.inputs as lineage nodes
  TimeUnit unit = TimeUnit::kSeconds;
  absl::string_view reader_name;  // whose unit `unit` is, for errors
  std::string source_name;        // what errors call the input
  // Standard input is kept in a file: it is read again when stored as a dataset.
  // A stored version is read from a verified copy.
  std::optional<ScratchPath> spooled;
  std::string file;  // the path read
  // What the format is guessed from: the path, or the stored version's name.
  std::string format_name;
  InputFormat format = InputFormat::kAuto;
};

// Stage "resolve": checks the options and resolves every reference (view, stored
// source, inputs) before anything is read or written; registers the view's columns.
absl::Status ResolveIngest(Store& store, const ViewCatalog& views, FeatureTables& tables,
                           const std::string& view_name, const std::string& path,
                           const IngestOptions& options, IngestPlan* plan) {
  if (!options.dataset.empty()) RETURN_IF_ERROR(ValidateArtifactName(options.dataset));
  RETURN_IF_ERROR(CheckMaxRecordBytes(options.max_record_bytes, "max_record_bytes"));
  ASSIGN_OR_RETURN(std::optional<Ref> stored_ref, StoredIngestSource(path));
  if (stored_ref.has_value() && !options.dataset.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a dataset to store the file as was given, but ", Excerpt(path),
        " is stored already: it is read, not stored again"));
  }
  ASSIGN_OR_RETURN(auto latest, views.View(view_name, 0));
  // Every reference resolves before anything is written.
  if (stored_ref.has_value()) {
    ASSIGN_OR_RETURN(plan->stored, store.artifacts().Resolve(*stored_ref));
  }
  ASSIGN_OR_RETURN(plan->inputs, ResolveInputs(store.artifacts(), options.inputs));
  plan->view = std::make_shared<ResolvedView>(*latest);
  RETURN_IF_ERROR(tables.Register(plan->view.get()));
  views.Forget(view_name);
  const FeatureView& def = plan->view->def;
  if (options.timestamp_unit.has_value()) {
    plan->unit = *options.timestamp_unit;
  } else if (!def.timestamp_unit().empty()) {
    ASSIGN_OR_RETURN(plan->unit, ParseTimeUnit(def.timestamp_unit()));
  }
  plan->reader_name = options.timestamp_unit.has_value() ? "this ingest" : "this view";
  plan->source_name = !options.source_name.empty() ? options.source_name
                      : plan->stored.has_value()   ? VersionRef(*plan->stored)
                      : path == "-"                ? "<stdin>"
                                                   : path;
  plan->file = path;
  plan->format_name = path;
  plan->format = options.format;
  return absl::OkStatus();
}

// The plan's input as a file that can be read twice: standard input or a stored
// version copied to a scratch file. A stored version's format is its recorded one.
absl::Status SpoolSource(Store& store, const std::string& path, IngestPlan* plan) {
  if (plan->stored.has_value()) {
    const store::Version& stored = *plan->stored;
    plan->spooled.emplace(store, "source");
    plan->file = plan->spooled->path();
    RETURN_IF_ERROR(SpoolContent(store, stored, plan->file));
    plan->format_name = stored.name();
    if (plan->format == InputFormat::kAuto) {
      auto recorded = stored.metadata().find("format");
      if (recorded != stored.metadata().end() && recorded->second == "jsonl") {
        plan->format = InputFormat::kJsonLines;
      } else if (recorded != stored.metadata().end() && recorded->second == "csv") {
        plan->format = InputFormat::kCsv;
      }
    }
  } else if (path == "-") {
    plan->spooled.emplace(store, "stdin");
    plan->file = plan->spooled->path();
    ASSIGN_OR_RETURN(auto in, OpenFileSource("-"));
    RETURN_IF_ERROR(CopyToFile(*in, plan->file));
  }
  return absl::OkStatus();
}

// The CSV header of the input's first block: the columns' roles.
absl::Status ReadHeader(const IngestPlan& plan, const IngestOptions& options,
                        ingest::Input* in) {
  auto header = ReadCsvHeader(*in->reader, &in->first, options.max_record_bytes);
  if (!header.ok()) {
    return absl::Status(header.status().code(),
                        absl::StrCat(plan.source_name, ":", header.status().message()));
  }
  auto mapped = MapColumns(*plan.view, header->names, true);
  if (!mapped.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(plan.source_name, ":", header->lines,
                                                   ": ", mapped.status().message()));
  }
  in->format.roles = std::move(*mapped);
  in->format.labels = std::move(header->labels);
  in->header_lines = header->lines;
  in->first_start = header->end;
  return absl::OkStatus();
}

// Stage "read", its start: opens the input, reads its first block, tells its format
// and reads a CSV header.
absl::Status OpenInput(const IngestPlan& plan, const IngestOptions& options, Micros now,
                       ingest::Input* in) {
  ASSIGN_OR_RETURN(in->source, OpenFileSource(plan.file));
  CsvBlockReader& reader = in->reader.emplace(
      in->source.get(), std::max<size_t>(options.parse_block_bytes, 1),
      options.max_record_bytes);
  // JSON lines end at every line break (a \" is no quote): the format is known from
  // the name, else once the file starts.
  if (plan.format == InputFormat::kJsonLines ||
      (plan.format == InputFormat::kAuto && LooksLikeJsonLines(plan.format_name, ""))) {
    reader.set_lines_only(true);
  }
  auto any = reader.Next(&in->first);
  if (!any.ok()) {
    return absl::Status(any.status().code(),
                        absl::StrCat(plan.source_name, ":1: ", any.status().message()));
  }
  if (!*any) {
    return absl::InvalidArgumentError(absl::StrCat(plan.source_name, " is empty"));
  }
  ingest::BlockFormat& format = in->format;
  format.view = plan.view.get();
  format.json = plan.format == InputFormat::kJsonLines ||
                (plan.format == InputFormat::kAuto &&
                 LooksLikeJsonLines(plan.format_name, in->first.view()));
  format.max_record_bytes = options.max_record_bytes;
  format.unit = plan.unit;
  format.reader = plan.reader_name;
  format.now = now;
  if (!format.json) return ReadHeader(plan, options, in);
  reader.set_lines_only(true);
  if (absl::StartsWith(in->first.view(), kUtf8Bom)) {
    // A byte-order mark, which RFC 8259 lets a reader skip (Windows tools write one).
    in->first_start = kUtf8Bom.size();
  }
  return absl::OkStatus();
}

// The dataset version an input stored by the ingest becomes.
NewVersion DatasetVersion(const std::string& view_name, const IngestPlan& plan,
                          const IngestOptions& options, bool json, uint64_t rows) {
  NewVersion nv;
  nv.artifact = {Kind::kDataset, options.dataset.empty()
                                     ? absl::StrCat(view_name, "-ingest")
                                     : options.dataset};
  nv.metadata = {{"featureview", absl::StrCat(view_name, "@", plan.view->version)},
                 {"format", json ? "jsonl" : "csv"},
                 {"rows", absl::StrCat(rows)}};
  nv.creator = options.creator;
  nv.message = options.message.empty()
                   ? absl::StrCat("ingested into featureview/", view_name)
                   : options.message;
  return nv;
}

// The input file stored as content on a thread of its own, while the rows are
// written: one is compute-bound, the other waits on memory.
class SourceStore {
 public:
  SourceStore(Store& store, const std::string& file)
      : thread_([this, &store, &file] {
          auto content_source = OpenFileSource(file);
          put_ = content_source.ok() ? store.content().Put(**content_source)
                                     : absl::StatusOr<PutStats>(content_source.status());
        }) {}
  ~SourceStore() { Join(); }

  // Waits for the put; its outcome.
  const absl::StatusOr<PutStats>& Join() {
    if (thread_.joinable()) thread_.join();
    return put_;
  }

 private:
  absl::StatusOr<PutStats> put_ = absl::UnknownError("not stored");
  std::thread thread_;
};

// Stage "commit", its first step: the dataset version that holds the input: the
// stored one read, else an existing version with the same content, else `nv`
// committed with the stored content. Sets result->source, dataset, same_content.
absl::Status RecordDataset(Store& store, const IngestPlan& plan,
                           const IngestOptions& options, SourceStore* put_source,
                           NewVersion& nv, IngestResult* result) {
  if (plan.stored.has_value()) {
    result->source = IngestSource::kRead;
    result->dataset = VersionRef(*plan.stored);
    return absl::OkStatus();
  }
  const absl::StatusOr<PutStats>& put = put_source->Join();
  RETURN_IF_ERROR(put.status());
  // Content with a chunk the store lacked is held by no live version (a live
  // version's chunks are all stored): only content stored before needs the scan.
  std::vector<store::Version> same;
  if (put->new_chunks == 0) {
    ASSIGN_OR_RETURN(same, VersionsWithContent(DatabaseOf(store), put->content_id,
                                               options.dataset));
  }
  if (!same.empty()) {
    result->source = IngestSource::kSameContent;
    result->same_content = same.size();
    result->dataset = VersionRef(same.front());
    return absl::OkStatus();
  }
  nv.content_id = put->content_id;
  ASSIGN_OR_RETURN(CommitResult dataset, store.artifacts().Commit(nv));
  result->dataset = VersionRef(dataset.version);
  return absl::OkStatus();
}

// Stage "commit": the ingest record, its lineage edges and the online rows in one
// transaction, which makes the ingest's rows visible.
absl::Status CommitIngest(FeatureTables& tables, const std::string& view_name,
                          const ResolvedView& view, const IngestOptions& options,
                          const IngestResult& result, const ingest::OnlineRows& online) {
  IngestRecord record;
  record.set_ingest(result.ingest);
  record.set_view(view_name);
  record.set_view_version(view.version);
  record.set_dataset(result.dataset);
  for (const std::string& input : result.inputs) record.add_inputs(input);
  record.set_rows(result.written);
  record.set_received_us(internal::NowMicros());
  record.set_creator(options.creator.who);
  record.set_on_behalf_of(options.creator.on_behalf_of);
  record.set_min_event_us(result.min_event);
  record.set_max_event_us(result.max_event);
  record.set_bulk(result.bulk);
  record.set_update_online(options.update_online);
  return tables.Commit(
      record, internal::VersionNode("featureview", view_name, view.version), online);
}

// The observers' start: what the ingest reads.
absl::Status StartObservers(const std::string& view_name, const IngestPlan& plan,
                            const ingest::Input& input, ingest::Observers& observers) {
  if (observers.empty()) return absl::OkStatus();
  IngestStart start;
  start.view = &plan.view->def;
  start.view_version = absl::StrCat("featureview/", view_name, "@", plan.view->version);
  start.source_name = plan.source_name;
  start.json_lines = input.format.json;
  start.columns = ingest::ObservedColumns(*plan.view);
  start.created_default = input.format.now;
  return observers.Start(start);
}

// Every row read and checked: the observers' last word before anything is written.
absl::Status CheckParsed(const IngestPlan& plan, const ingest::SortedRuns& sorted,
                         ingest::Observers& observers) {
  if (sorted.rows == 0 && sorted.dropped > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(plan.source_name, " has no rows to write: its observers dropped ",
                     Count(sorted.dropped, "row")));
  }
  if (sorted.rows == 0) {
    return absl::InvalidArgumentError(absl::StrCat(plan.source_name, " has no rows"));
  }
  if (observers.empty()) return absl::OkStatus();
  IngestSummary summary;
  summary.rows = sorted.rows;
  summary.dropped = sorted.dropped;
  summary.blocks = sorted.blocks.size();
  summary.min_event = sorted.min_event;
  summary.max_event = sorted.max_event;
  return observers.BeforeCommit(summary);
}

// Ingest's stages in order: resolve, read with validate and sort/spill, write log,
// commit, update online table.
absl::StatusOr<IngestResult> RunIngest(Store& store, const ViewCatalog& views,
                                       FeatureTables& tables, OnlineServing& online,
                                       const std::string& view_name,
                                       const std::string& path,
                                       const IngestOptions& options,
                                       ingest::Observers& observers) {
  const Micros now = internal::NowMicros();
  IngestPlan plan;
  RETURN_IF_ERROR(ResolveIngest(store, views, tables, view_name, path, options, &plan));
  RETURN_IF_ERROR(SpoolSource(store, path, &plan));
  ingest::Input input;
  RETURN_IF_ERROR(OpenInput(plan, options, now, &input));
  RETURN_IF_ERROR(StartObservers(view_name, plan, input, observers));
  ASSIGN_OR_RETURN(auto run_file, RunFile::Create(absl::StrCat(store.dir(), "/tmp")));
  ASSIGN_OR_RETURN(ingest::SortedRuns sorted,
                   ingest::ParseAndSort(input, kWorkers, plan.source_name,
                                        options.progress, run_file.get(), observers));
  RETURN_IF_ERROR(CheckParsed(plan, sorted, observers));
  IngestResult result;
  result.rows = sorted.rows;
  result.dropped = sorted.dropped;
  result.min_event = sorted.min_event;
  result.max_event = sorted.max_event;
  result.inputs = plan.inputs;
  result.view_version = absl::StrCat("featureview/", view_name, "@", plan.view->version);
  result.bulk = result.rows >= options.bulk_threshold_rows;

  // A file is stored as a dataset version, unless one holds its content already.
  NewVersion nv = DatasetVersion(view_name, plan, options, input.format.json,
                                 result.rows + result.dropped);
  std::optional<SourceStore> put_source;
  if (!plan.stored.has_value()) {
    RETURN_IF_ERROR(store.artifacts().Check(nv));
    put_source.emplace(store, plan.file);
  }
  // The rows go under a new ingest number; they stay invisible until the commit.
  ASSIGN_OR_RETURN(result.ingest, tables.Reserve(view_name));
  internal::Db& db = DatabaseOf(store);
  ASSIGN_OR_RETURN(ingest::LogWrite log,
                   ingest::WriteLog(store, db, result.ingest, options, *run_file, sorted,
                                    result.bulk));
  result.written = log.written;
  result.shadowed = log.shadowed;
  if (put_source.has_value()) put_source->Join();
  if (!options.update_online) log.online.clear();
  RETURN_IF_ERROR(RecordDataset(store, plan, options,
                                put_source.has_value() ? &*put_source : nullptr, nv,
                                &result));
  RETURN_IF_ERROR(CommitIngest(tables, view_name, *plan.view, options, result, log.online));
  // Stage "update online table": the commit merged the rows into the table.
  online.Committed(*plan.view, log.online);
  return result;
}

}  // namespace

absl::StatusOr<IngestResult> FeatureStore::Ingest(const std::string& view_name,
                                                  const std::string& path,
                                                  const IngestOptions& options) {
  // The view's validation rules see every ingest, first (later observers see the
  // rows they drop).
  // Only when the view has rules: without observers an ingest keeps no typed copy
  // of its rows. (An unknown view is the ingest's own error, below.)
  RulesObserver rules;
  std::vector<IngestObserver*> all;
  if (auto view = views_->View(view_name, 0); view.ok() && HasRules((*view)->def)) {
    all.push_back(&rules);
  }
  std::vector<std::unique_ptr<IngestObserver>> made;
  for (const IngestObserverFactory& make : ingest_observers_) {
    if (!options.store_observers) break;
    made.push_back(make());
    if (made.back() != nullptr) all.push_back(made.back().get());
  }
  all.insert(all.end(), options.observers.begin(), options.observers.end());
  ingest::Observers observers(all);
  absl::StatusOr<IngestResult> result =
      RunIngest(*store_, *views_, *tables_, *online_, view_name, path, options, observers);
  if (result.ok()) {
    // The rows are committed: a failure to write what goes beside them (the
    // dropped rows' quarantine, a profile) is reported.
    result->rules = rules.outcome();
    absl::Status after = rules.WriteQuarantine(*store_, *result, options.creator);
    if (after.ok()) {
      result->rules.quarantine = rules.outcome().quarantine;
    } else {
      after = absl::Status(after.code(), absl::StrCat("its dropped rows were not "
                                                      "quarantined: ",
                                                      after.message()));
    }
    after.Update(observers.AfterCommit(*result));
    if (!after.ok()) {
      result = absl::Status(after.code(), absl::StrCat("ingest ", result->ingest,
                                                       " committed, but ", after.message()));
    }
  }
  observers.End(result);
  return result;
}

}  // namespace strata::features
