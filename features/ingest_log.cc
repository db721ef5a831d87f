// The ingest's "write log" stage (features/ingest_log.h).
#include "features/ingest_log.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/scratch.h"
#include "rocksdb/sst_file_writer.h"
#include "store/internal/keys.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"

namespace strata::features::ingest {
namespace {

using internal::Cf;

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
    } else {
      // Rows of an entity come newest first: one at the event time of the row
      // before it has an older created time, and that row hides it.
      if (s.event == event_) ++shadowed_;
      if (builder_.row_bytes() >= chunk_bytes_) RETURN_IF_ERROR(Flush());
    }
    event_ = s.event;
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
  uint64_t shadowed() const { return shadowed_; }
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
  Micros event_ = 0;  // of the last row
  uint64_t written_ = 0, shadowed_ = 0, chunks_ = 0;
  std::vector<std::pair<std::string, std::string>> online_;
};

using Runs = std::vector<std::pair<uint64_t, uint64_t>>;  // [begin, end) in the run file

// The runs cut in two at an entity boundary near the middle of the longest run
// (its middle sample's entity): each part's runs, [begin, end) in the run file.
absl::StatusOr<std::vector<Runs>> SplitAtEntity(const RunFile& run_file,
                                                const SortedRuns& sorted) {
  const auto& blocks = sorted.blocks;
  const auto& runs = sorted.runs;
  const ParsedBlock& longest = **std::max_element(
      blocks.begin(), blocks.end(),
      [](const auto& a, const auto& b) { return a->run.bytes < b->run.bytes; });
  const std::string& middle = longest.run.samples[longest.run.samples.size() / 2].second;
  const std::string split = middle.substr(0, middle.size() - codec::kRowOrderBytes);
  std::vector<Runs> parts(2);
  for (size_t r = 0; r < runs.size(); ++r) {
    // From the last sample before the split, record by record.
    const auto& ss = blocks[r]->run.samples;
    auto s = std::partition_point(ss.begin(), ss.end(),
                                  [&](const auto& x) { return x.second < split; });
    uint64_t cut = runs[r].second;
    if (s != ss.begin()) {
      RunReader reader(&run_file, (s - 1)->first, runs[r].second);
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
  return parts;
}

// Merges `runs` into the SST file `path`; `writer` is made to count what it wrote.
absl::Status WriteSstPart(const rocksdb::Options& rocks_options,
                          rocksdb::ColumnFamilyHandle* log_cf, const std::string& path,
                          uint64_t ingest, size_t chunk_bytes, const RunFile& run_file,
                          const Runs& runs, std::unique_ptr<EntryWriter>* writer) {
  rocksdb::SstFileWriter sst(rocksdb::EnvOptions(), rocks_options, log_cf);
  RETURN_IF_ERROR(internal::FromRocks(sst.Open(path), "opening SST file"));
  *writer = std::make_unique<EntryWriter>(
      ingest, chunk_bytes, [&](absl::string_view k, absl::string_view v) {
        return internal::FromRocks(sst.Put(internal::ToSlice(k), internal::ToSlice(v)),
                                   "writing SST file");
      });
  RETURN_IF_ERROR(RunMerger(&run_file, runs).Run(std::ref(**writer)));
  RETURN_IF_ERROR((*writer)->Flush());
  if ((*writer)->written() == 0) return absl::OkStatus();
  return internal::FromRocks(sst.Finish(), "finishing SST file");
}

// The bulk path: SST files, merged and written in parallel, then ingested.
absl::StatusOr<LogWrite> WriteLogFiles(const Store& store, internal::Db& db,
                                       uint64_t ingest, const IngestOptions& options,
                                       const RunFile& run_file, const SortedRuns& sorted) {
  std::vector<Runs> parts(1, sorted.runs);
  if (sorted.rows >= 2 * options.bulk_threshold_rows) {
    ASSIGN_OR_RETURN(parts, SplitAtEntity(run_file, sorted));
  }
  rocksdb::ColumnFamilyHandle* log_cf = db.cf(Cf::kFeatureLog);
  ScratchPath dir(store, absl::StrCat("ingest-", ingest));
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
      statuses[p] = WriteSstPart(rocks_options, log_cf, files[p], ingest,
                                 options.log_chunk_bytes, run_file, parts[p], &writers[p]);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : statuses) RETURN_IF_ERROR(s);
  LogWrite out;
  std::vector<std::string> written_files;
  for (size_t p = 0; p < parts.size(); ++p) {
    out.written += writers[p]->written();
    out.shadowed += writers[p]->shadowed();
    if (writers[p]->written() > 0) written_files.push_back(files[p]);
    auto& o = writers[p]->online();
    out.online.insert(out.online.end(), std::make_move_iterator(o.begin()),
                      std::make_move_iterator(o.end()));
  }
  rocksdb::IngestExternalFileOptions ingest_options;
  ingest_options.move_files = true;
  RETURN_IF_ERROR(internal::FromRocks(
      db.raw()->IngestExternalFile(log_cf, written_files, ingest_options),
      "ingesting SST files"));
  return out;
}

// The small path: one write batch through the write-ahead log.
absl::StatusOr<LogWrite> WriteLogBatch(internal::Db& db, uint64_t ingest,
                                       size_t chunk_bytes, const RunFile& run_file,
                                       const Runs& runs) {
  rocksdb::ColumnFamilyHandle* log_cf = db.cf(Cf::kFeatureLog);
  rocksdb::WriteBatch batch;
  EntryWriter writer(ingest, chunk_bytes, [&](absl::string_view k, absl::string_view v) {
    return internal::FromRocks(batch.Put(log_cf, internal::ToSlice(k), internal::ToSlice(v)),
                               "write");
  });
  RETURN_IF_ERROR(RunMerger(&run_file, runs).Run(std::ref(writer)));
  RETURN_IF_ERROR(writer.Flush());
  RETURN_IF_ERROR(db.WriteUnlocked(&batch, /*sync=*/false));
  LogWrite out;
  out.written = writer.written();
  out.shadowed = writer.shadowed();
  out.online = std::move(writer.online());
  return out;
}

}  // namespace

absl::StatusOr<LogWrite> WriteLog(const Store& store, internal::Db& db, uint64_t ingest,
                                  const IngestOptions& options, const RunFile& run_file,
                                  const SortedRuns& sorted, bool bulk) {
  if (bulk) return WriteLogFiles(store, db, ingest, options, run_file, sorted);
  return WriteLogBatch(db, ingest, options.log_chunk_bytes, run_file, sorted.runs);
}

}  // namespace strata::features::ingest
