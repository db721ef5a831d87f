// FeatureStore::Ingest: parse and check a whole file on worker threads (each block
// sorted and spilled to a scratch file as a run), then store the file, merge the runs
// into the log (a write batch, or sorted SST files for large files) and commit the
// ingest, which makes the rows visible.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/csv.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/impl.h"
#include "features/ingest_parse.h"
#include "features/ingest_runs.h"
#include "features/scratch.h"
#include "rocksdb/sst_file_writer.h"
#include "simdjson.h"
#include "store/excerpt.h"
#include "store/internal/bounded_queue.h"
#include "store/internal/keys.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/json_writer.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;
using ingest::CompareKeys;
using ingest::Entry;
using ingest::kRunSampleEvery;
using ingest::kUtf8Bom;
using ingest::LooksLikeJsonLines;
using ingest::MapColumns;
using ingest::ParseCsvBlock;
using ingest::ParseJsonBlock;
using ingest::ParsedBlock;
using ingest::Record;
using ingest::Role;
using ingest::RunFile;
using ingest::RunHeader;
using ingest::RunMerger;
using ingest::RunReader;
using ingest::SortEntries;

constexpr int kWorkers = 2;
// Online rows written by one ingest above which the view's online range is compacted.
constexpr size_t kCompactOnlineRows = 10000;

// Receives merged rows, one entity's newest first: writes them as log chunks
// (to an SST file or a write batch) under the ingest's number, and keeps each
// entity's newest row for the online table.
class EntryWriter {
 public:
  EntryWriter(uint64_t ingest, size_t chunk_bytes,
              std::function<absl::Status(absl::string_view, absl::string_view)> put)
      : put_(std::move(put)), ingest_(ingest), chunk_bytes_(chunk_bytes) {}

  absl::Status operator()(const Record& e) {
    const absl::string_view entity =
        e.key.substr(0, e.key.size() - codec::kRowOrderBytes);
    const codec::RowStamp s = codec::DecodeRowOrder(e.key);
    if (entity != entity_) {
      RETURN_IF_ERROR(Flush());
      entity_.assign(entity.data(), entity.size());
      chunk_index_ = 0;
      // The first row of an entity in sort order is its newest.
      std::string value;
      value.reserve(codec::kOnlineHeaderBytes + e.value.size());
      codec::AppendOnlineHeader(&value, s.event, s.created, ingest_);
      value.append(e.value.data(), e.value.size());
      online_.emplace_back(entity_, std::move(value));
    } else if (builder_.row_bytes() >= chunk_bytes_) {
      RETURN_IF_ERROR(Flush());
    }
    builder_.Add(s.event, s.created, e.value);
    ++written_;
    return absl::OkStatus();
  }

  // Writes the last chunk; call once after the last entry.
  absl::Status Flush() {
    if (builder_.rows() == 0) return absl::OkStatus();
    key_ = entity_;
    codec::AppendLogChunkSuffix(&key_, ingest_, chunk_index_++);
    builder_.Finish(&chunk_);
    ++chunks_;
    return put_(key_, chunk_);
  }

  uint64_t written() const { return written_; }
  uint64_t chunks() const { return chunks_; }
  std::vector<std::pair<std::string, std::string>>& online() { return online_; }

 private:
  std::function<absl::Status(absl::string_view, absl::string_view)> put_;
  uint64_t ingest_;
  size_t chunk_bytes_;
  std::string entity_;
  uint32_t chunk_index_ = 0;
  codec::LogChunkBuilder builder_;
  std::string key_, chunk_;
  uint64_t written_ = 0, chunks_ = 0;
  std::vector<std::pair<std::string, std::string>> online_;
};

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

std::string IngestResultJson(const IngestResult& result) {
  JsonWriter w;
  w.BeginObject()
      .Key("ingest")
      .Uint(result.ingest)
      .Key("rows")
      .Uint(result.rows)
      .Key("written")
      .Uint(result.written)
      .Key("featureview")
      .String(result.view_version)
      .Key("dataset")
      .String(result.dataset)
      .Key("source")
      .String(IngestSourceName(result.source))
      .Key("same_content")
      .Uint(result.same_content)
      .Key("inputs")
      .BeginArray();
  for (const std::string& input : result.inputs) w.String(input);
  w.EndArray()
      .Key("min_event_timestamp")
      .String(FormatTimestamp(result.min_event))
      .Key("max_event_timestamp")
      .String(FormatTimestamp(result.max_event))
      .Key("bulk")
      .Bool(result.bulk)
      .EndObject();
  return w.Take();
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

absl::StatusOr<IngestResult> FeatureStore::Ingest(const std::string& view_name,
                                                  const std::string& path,
                                                  const IngestOptions& options) {
  const Micros now = internal::NowMicros();
  if (!options.dataset.empty()) RETURN_IF_ERROR(ValidateArtifactName(options.dataset));
  RETURN_IF_ERROR(CheckMaxRecordBytes(options.max_record_bytes, "max_record_bytes"));
  ASSIGN_OR_RETURN(std::optional<Ref> stored_ref, StoredIngestSource(path));
  if (stored_ref.has_value() && !options.dataset.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a dataset to store the file as was given, but ", Excerpt(path),
        " is stored already: it is read, not stored again"));
  }
  ASSIGN_OR_RETURN(auto latest, impl_->View(view_name, 0));
  // Every reference resolves before anything is written.
  std::optional<store::Version> stored;
  if (stored_ref.has_value()) {
    ASSIGN_OR_RETURN(stored, store_->artifacts().Resolve(*stored_ref));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> inputs,
                   ResolveInputs(store_->artifacts(), options.inputs));
  auto view = std::make_shared<ResolvedView>(*latest);
  RETURN_IF_ERROR(impl_->tables.Register(view.get()));
  impl_->Forget(view_name);
  TimeUnit unit = TimeUnit::kSeconds;
  if (options.timestamp_unit.has_value()) {
    unit = *options.timestamp_unit;
  } else if (!view->def.timestamp_unit().empty()) {
    ASSIGN_OR_RETURN(unit, ParseTimeUnit(view->def.timestamp_unit()));
  }
  const absl::string_view reader_name =
      options.timestamp_unit.has_value() ? "this ingest" : "this view";
  const std::string source_name = !options.source_name.empty() ? options.source_name
                                  : stored.has_value()         ? VersionRef(*stored)
                                  : path == "-"                ? "<stdin>"
                                                               : path;
  // Standard input is kept in a file: it is read again when stored as a dataset.
  // A stored version is read from a verified copy.
  std::optional<ScratchPath> spooled;
  std::string file = path;
  // What the format is guessed from: the path, or the stored version's name.
  std::string format_name = path;
  InputFormat format = options.format;
  if (stored.has_value()) {
    spooled.emplace(*store_, "source");
    file = spooled->path();
    RETURN_IF_ERROR(SpoolContent(*store_, *stored, file));
    format_name = stored->name();
    if (format == InputFormat::kAuto) {
      auto recorded = stored->metadata().find("format");
      if (recorded != stored->metadata().end() && recorded->second == "jsonl") {
        format = InputFormat::kJsonLines;
      } else if (recorded != stored->metadata().end() && recorded->second == "csv") {
        format = InputFormat::kCsv;
      }
    }
  } else if (path == "-") {
    spooled.emplace(*store_, "stdin");
    file = spooled->path();
    ASSIGN_OR_RETURN(auto in, OpenFileSource("-"));
    RETURN_IF_ERROR(CopyToFile(*in, file));
  }

  // Parse: a reader cuts blocks, two workers parse them.
  ASSIGN_OR_RETURN(auto source, OpenFileSource(file));
  CsvBlockReader reader(source.get(), std::max<size_t>(options.parse_block_bytes, 1),
                        options.max_record_bytes);
  // JSON lines end at every line break (a \" is no quote): the format is known from
  // the name, else once the file starts.
  if (format == InputFormat::kJsonLines ||
      (format == InputFormat::kAuto && LooksLikeJsonLines(format_name, ""))) {
    reader.set_lines_only(true);
  }
  ByteBuffer first;
  auto any = reader.Next(&first);
  if (!any.ok()) {
    return absl::Status(any.status().code(),
                        absl::StrCat(source_name, ":1: ", any.status().message()));
  }
  if (!*any) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, " is empty"));
  }
  const bool json =
      format == InputFormat::kJsonLines ||
      (format == InputFormat::kAuto && LooksLikeJsonLines(format_name, first.view()));
  if (json) reader.set_lines_only(true);
  std::vector<std::string> labels;  // column names as errors print them
  std::vector<Role> roles;
  uint64_t header_lines = 0;
  size_t first_start = 0;  // where the first block's rows start
  if (!json) {
    auto header = ReadCsvHeader(reader, &first, options.max_record_bytes);
    if (!header.ok()) {
      return absl::Status(header.status().code(),
                          absl::StrCat(source_name, ":", header.status().message()));
    }
    auto mapped = MapColumns(*view, header->names, true);
    if (!mapped.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source_name, ":", header->lines,
                                                     ": ", mapped.status().message()));
    }
    roles = std::move(*mapped);
    labels = std::move(header->labels);
    header_lines = header->lines;
    first_start = header->end;
  } else if (absl::StartsWith(first.view(), kUtf8Bom)) {
    // A byte-order mark, which RFC 8259 lets a reader skip (Windows tools write one).
    first_start = kUtf8Bom.size();
  }

  struct Job {
    size_t index;
    ByteBuffer data;
    size_t start = 0;
  };
  ASSIGN_OR_RETURN(auto run_file, RunFile::Create(absl::StrCat(store_->dir(), "/tmp")));
  // Buffers go back to pools once used: fresh memory costs page faults.
  std::mutex pool_mu;
  std::vector<ByteBuffer> pool;                 // read buffers
  std::vector<std::string> arenas;              // parse buffers
  std::vector<std::vector<Entry>> entry_pools;  // sort keys
  std::vector<ByteBuffer> spills;               // sorted runs on their way out
  internal::BoundedQueue<Job> jobs(kWorkers + 1);
  std::vector<std::unique_ptr<ParsedBlock>> blocks;
  std::mutex blocks_mu;
  std::atomic<size_t> first_error{SIZE_MAX};
  std::atomic<bool> spill_failed{false};
  absl::Status spill_status;
  std::vector<std::thread> workers;
  const auto take = [&](auto* from) {
    std::lock_guard lock(pool_mu);
    typename std::remove_pointer_t<decltype(from)>::value_type x;
    if (!from->empty()) {
      x = std::move(from->back());
      from->pop_back();
    }
    return x;
  };
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      Job job;
      std::vector<Entry> sort_scratch;
      while (jobs.Pop(&job)) {
        auto block = std::make_unique<ParsedBlock>();
        block->index = job.index;
        if (job.index < first_error.load() && !spill_failed.load()) {
          const absl::string_view data = job.data.view().substr(job.start);
          block->arena = take(&arenas);
          block->arena.clear();
          block->arena.reserve(data.size() + data.size() / 2);
          block->entries = take(&entry_pools);
          block->entries.clear();
          block->entries.reserve(data.size() / 40 + 16);
          if (json) {
            job.data.Reserve(job.data.size() + simdjson::SIMDJSON_PADDING);
            ParseJsonBlock(*view, unit, reader_name, now,
                           job.data.view().substr(job.start),
                           job.data.capacity() - job.start, block.get());
          } else {
            ParseCsvBlock(*view, roles, labels, options.max_record_bytes, unit,
                          reader_name, now, data, block.get());
          }
          if (block->error.has_value()) {
            size_t cur = first_error.load();
            while (job.index < cur &&
                   !first_error.compare_exchange_weak(cur, job.index)) {
            }
          }
          for (Entry& e : block->entries) {
            e.rec = block->arena.data() + reinterpret_cast<uintptr_t>(e.rec);
            e.k0 = codec::KeyWord(e.rec, e.klen, 4);
            e.k1 = codec::KeyWord(e.rec, e.klen, 12);
          }
          // Sorted, and of equal keys only the last in the file kept, then spilled.
          auto& es = block->entries;
          block->rows = es.size();
          SortEntries(&es, &sort_scratch);
          size_t bytes = 0, kept = 0;
          for (size_t i = 0; i < es.size(); ++i) {
            if (i + 1 < es.size() && CompareKeys(es[i], es[i + 1]) == 0) continue;
            es[kept++] = es[i];
            bytes += sizeof(RunHeader) + es[i].klen + es[i].vlen;
          }
          es.resize(kept);
          if (!block->error.has_value() && kept > 0) {
            ByteBuffer spill = take(&spills);
            spill.Resize(bytes);
            char* p = spill.data();
            for (size_t i = 0; i < kept; ++i) {
              const Entry& e = es[i];
              if (i % kRunSampleEvery == 0) {
                block->run.samples.emplace_back(p - spill.data(), std::string(e.key()));
              }
              const RunHeader h{e.klen, e.vlen};
              std::memcpy(p, &h, sizeof h);
              std::memcpy(p + sizeof h, e.rec, e.klen + e.vlen);
              p += sizeof h + e.klen + e.vlen;
            }
            auto at = run_file->Append(spill.view());
            if (at.ok()) {
              block->run.offset = *at;
              block->run.bytes = bytes;
              for (auto& sample : block->run.samples) sample.first += *at;
            } else {
              std::lock_guard lock(pool_mu);
              if (spill_status.ok()) spill_status = at.status();
              spill_failed = true;
            }
            std::lock_guard lock(pool_mu);
            spills.push_back(std::move(spill));
          }
        }
        {
          std::lock_guard lock(pool_mu);
          pool.push_back(std::move(job.data));
          arenas.push_back(std::move(block->arena));
          entry_pools.push_back(std::move(block->entries));
        }
        std::lock_guard lock(blocks_mu);
        blocks.push_back(std::move(block));
      }
    });
  }
  absl::Status read_status;
  {
    size_t index = 0;
    ByteBuffer data = std::move(first);
    size_t start = first_start;
    while (true) {
      if (data.size() > start && !jobs.Push({index++, std::move(data), start})) break;
      start = 0;
      if (first_error.load() != SIZE_MAX || spill_failed.load()) break;
      if (options.progress) options.progress(reader.bytes_read());
      data = take(&pool);
      auto more = reader.Next(&data);
      if (!more.ok()) {
        read_status = more.status();
        break;
      }
      if (!*more) break;
    }
  }
  jobs.Close();
  for (auto& t : workers) t.join();
  pool.clear();
  arenas.clear();
  entry_pools.clear();
  spills.clear();
  std::sort(blocks.begin(), blocks.end(),
            [](const auto& a, const auto& b) { return a->index < b->index; });
  uint64_t line = header_lines;
  for (const auto& b : blocks) {
    if (b->error.has_value()) {
      return absl::Status(b->error_code, absl::StrCat(source_name, ":", line + b->error->first,
                                                      ": ", b->error->second));
    }
    line += b->lines;
  }
  // A read error comes after every block read before it: a record too long starts
  // on the line after them.
  if (!read_status.ok()) {
    if (read_status.code() != absl::StatusCode::kResourceExhausted) return read_status;
    return absl::ResourceExhaustedError(
        absl::StrCat(source_name, ":", line + 1, ": ", read_status.message()));
  }
  RETURN_IF_ERROR(spill_status);

  // Each block's rows are a sorted run; they are merged while written.
  IngestResult result;
  Micros min_event = INT64_MAX, max_event = INT64_MIN;
  std::vector<std::pair<uint64_t, uint64_t>> runs;  // [begin, end) in the run file
  for (const auto& b : blocks) {
    result.rows += b->rows;
    runs.emplace_back(b->run.offset, b->run.offset + b->run.bytes);
    min_event = std::min(min_event, b->min_event);
    max_event = std::max(max_event, b->max_event);
  }
  if (result.rows == 0) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, " has no rows"));
  }
  result.min_event = min_event;
  result.max_event = max_event;

  // A file is stored as a dataset version, unless one holds its content already.
  const std::string dataset_name =
      options.dataset.empty() ? absl::StrCat(view_name, "-ingest") : options.dataset;
  NewVersion nv;
  nv.artifact = {Kind::kDataset, dataset_name};
  nv.metadata = {{"featureview", absl::StrCat(view_name, "@", view->version)},
                 {"format", json ? "jsonl" : "csv"},
                 {"rows", absl::StrCat(result.rows)}};
  nv.creator = options.creator;
  nv.message = options.message.empty()
                   ? absl::StrCat("ingested into featureview/", view_name)
                   : options.message;
  if (!stored.has_value()) RETURN_IF_ERROR(store_->artifacts().Check(nv));
  // The file is stored while the rows are written: one is compute-bound, the other
  // waits on memory.
  absl::StatusOr<PutStats> put = absl::UnknownError("not stored");
  std::thread putter;
  if (!stored.has_value()) {
    putter = std::thread([&] {
      auto content_source = OpenFileSource(file);
      put = content_source.ok() ? store_->content().Put(**content_source)
                                : absl::StatusOr<PutStats>(content_source.status());
    });
  }
  absl::Cleanup join_putter = [&] {
    if (putter.joinable()) putter.join();
  };

  // Write the rows under a new ingest number; they stay invisible until Commit.
  ASSIGN_OR_RETURN(uint64_t ingest, impl_->tables.Reserve(view_name));
  internal::Db& db = store_->internal_db();
  rocksdb::ColumnFamilyHandle* log_cf = db.cf(Cf::kFeatureLog);
  result.bulk = result.rows >= options.bulk_threshold_rows;
  std::vector<std::pair<std::string, std::string>> online;
  if (result.bulk) {
    // Two SST files, split at an entity boundary, merged and written in parallel.
    std::vector<std::vector<std::pair<uint64_t, uint64_t>>> parts(1, runs);
    if (result.rows >= 2 * options.bulk_threshold_rows) {
      const ParsedBlock& longest = **std::max_element(
          blocks.begin(), blocks.end(),
          [](const auto& a, const auto& b) { return a->run.bytes < b->run.bytes; });
      const std::string& middle =
          longest.run.samples[longest.run.samples.size() / 2].second;
      const std::string split = middle.substr(0, middle.size() - codec::kRowOrderBytes);
      parts.assign(2, {});
      for (size_t r = 0; r < runs.size(); ++r) {
        // From the last sample before the split, record by record.
        const auto& ss = blocks[r]->run.samples;
        auto s = std::partition_point(ss.begin(), ss.end(),
                                      [&](const auto& x) { return x.second < split; });
        uint64_t cut = runs[r].second;
        if (s != ss.begin()) {
          RunReader reader(run_file.get(), (s - 1)->first, runs[r].second);
          ASSIGN_OR_RETURN(bool more, reader.Start());
          while (more && reader.record().key < absl::string_view(split)) {
            ASSIGN_OR_RETURN(more, reader.Advance());
          }
          if (more) cut = reader.offset();
        } else {
          cut = runs[r].first;
        }
        parts[0].emplace_back(runs[r].first, cut);
        parts[1].emplace_back(cut, runs[r].second);
      }
    }
    ScratchPath dir(*store_, absl::StrCat("ingest-", ingest));
    std::filesystem::create_directories(dir.path());
    const rocksdb::Options rocks_options = db.raw()->GetOptions(log_cf);
    std::vector<std::string> files;
    std::vector<absl::Status> statuses(parts.size());
    std::vector<std::unique_ptr<EntryWriter>> writers(parts.size());
    std::vector<std::thread> threads;
    for (size_t p = 0; p < parts.size(); ++p) {
      files.push_back(absl::StrCat(dir.path(), "/part-", p, ".sst"));
    }
    for (size_t p = 0; p < parts.size(); ++p) {
      threads.emplace_back([&, p] {
        rocksdb::SstFileWriter sst(rocksdb::EnvOptions(), rocks_options, log_cf);
        statuses[p] = internal::FromRocks(sst.Open(files[p]), "opening SST file");
        if (!statuses[p].ok()) return;
        writers[p] = std::make_unique<EntryWriter>(
            ingest, options.log_chunk_bytes,
            [&](absl::string_view k, absl::string_view v) {
              return internal::FromRocks(
                  sst.Put(internal::ToSlice(k), internal::ToSlice(v)),
                  "writing SST file");
            });
        statuses[p] = RunMerger(run_file.get(), parts[p]).Run(std::ref(*writers[p]));
        if (statuses[p].ok()) statuses[p] = writers[p]->Flush();
        if (statuses[p].ok() && writers[p]->written() > 0) {
          statuses[p] = internal::FromRocks(sst.Finish(), "finishing SST file");
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& s : statuses) RETURN_IF_ERROR(s);
    std::vector<std::string> written_files;
    for (size_t p = 0; p < parts.size(); ++p) {
      result.written += writers[p]->written();
      if (writers[p]->written() > 0) written_files.push_back(files[p]);
      auto& o = writers[p]->online();
      online.insert(online.end(), std::make_move_iterator(o.begin()),
                    std::make_move_iterator(o.end()));
    }
    rocksdb::IngestExternalFileOptions ingest_options;
    ingest_options.move_files = true;
    RETURN_IF_ERROR(internal::FromRocks(
        db.raw()->IngestExternalFile(log_cf, written_files, ingest_options),
        "ingesting SST files"));
  } else {
    rocksdb::WriteBatch batch;
    EntryWriter writer(
        ingest, options.log_chunk_bytes, [&](absl::string_view k, absl::string_view v) {
          return internal::FromRocks(
              batch.Put(log_cf, internal::ToSlice(k), internal::ToSlice(v)), "write");
        });
    RETURN_IF_ERROR(RunMerger(run_file.get(), runs).Run(std::ref(writer)));
    RETURN_IF_ERROR(writer.Flush());
    RETURN_IF_ERROR(db.WriteUnlocked(&batch, /*sync=*/false));
    result.written = writer.written();
    online = std::move(writer.online());
  }
  if (putter.joinable()) putter.join();
  if (!options.update_online) online.clear();
  if (stored.has_value()) {
    result.source = IngestSource::kRead;
    result.dataset = VersionRef(*stored);
  } else {
    RETURN_IF_ERROR(put.status());
    // Content with a chunk the store lacked is held by no live version (a live
    // version's chunks are all stored): only content stored before needs the scan.
    std::vector<store::Version> same;
    if (put->new_chunks == 0) {
      ASSIGN_OR_RETURN(same, VersionsWithContent(db, put->content_id, options.dataset));
    }
    if (!same.empty()) {
      result.source = IngestSource::kSameContent;
      result.same_content = same.size();
      result.dataset = VersionRef(same.front());
    } else {
      nv.content_id = put->content_id;
      ASSIGN_OR_RETURN(CommitResult dataset, store_->artifacts().Commit(nv));
      result.dataset = VersionRef(dataset.version);
    }
  }
  result.inputs = inputs;

  IngestRecord record;
  record.set_ingest(ingest);
  record.set_view(view_name);
  record.set_view_version(view->version);
  record.set_dataset(result.dataset);
  for (const std::string& input : inputs) record.add_inputs(input);
  record.set_rows(result.written);
  record.set_received_us(internal::NowMicros());
  record.set_creator(options.creator.who);
  record.set_on_behalf_of(options.creator.on_behalf_of);
  record.set_min_event_us(min_event);
  record.set_max_event_us(max_event);
  record.set_bulk(result.bulk);
  record.set_update_online(options.update_online);
  RETURN_IF_ERROR(impl_->tables.Commit(
      record, internal::VersionNode("featureview", view_name, view->version), online));
  if (impl_->online_cache != nullptr) {
    for (const auto& [key, value] : online) {
      impl_->online_cache->Update(key, value, codec::kOnlineHeaderBytes);
    }
  }
  // The online table now holds a merge operand per entity; a lookup of an operand
  // searches every level for a base value and merges it. After a large ingest,
  // compacting the view's range leaves one plain value per entity.
  if (online.size() >= kCompactOnlineRows) {
    std::string begin, end;
    codec::PutBE32(&begin, view->id);
    codec::PutBE32(&end, view->id + 1);
    const rocksdb::Slice b(begin), e(end);
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForceOptimized;
    db.raw()
        ->CompactRange(compact, db.cf(Cf::kFeatureOnline), &b, &e)
        .PermitUncheckedError();
  }
  result.ingest = ingest;
  result.view_version = absl::StrCat("featureview/", view_name, "@", view->version);
  return result;
}

}  // namespace strata::features
