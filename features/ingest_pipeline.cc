// The ingest's read, validate and sort/spill stages (features/ingest_pipeline.h).
#include "features/ingest_pipeline.h"

#include <algorithm>
#include <bit>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "store/internal/bounded_queue.h"
#include "store/status_macros.h"

namespace strata::features::ingest {
namespace {

// A block of the input on its way to a worker: its rows start at `start`.
struct Job {
  size_t index;
  ByteBuffer data;
  size_t start = 0;
};

// One run of the three stages over an input.
class BlockPipeline {
 public:
  BlockPipeline(Input& input, int workers, RunFile* run_file, Observers& observers)
      : input_(input),
        workers_(workers),
        run_file_(run_file),
        jobs_(workers + 1),
        observers_(observers),
        columns_(ObservedColumns(*input.format.view)),
        line_offset_(input.header_lines) {}

  // Reads every block (or up to the first bad one) while the workers parse, sort
  // and spill them; returns the read's error, if any. The blocks are then in file
  // order.
  absl::Status Run(const std::function<void(uint64_t)>& progress) {
    std::vector<std::thread> threads;
    for (int w = 0; w < workers_; ++w) threads.emplace_back([this] { Work(); });
    absl::Status read_status = ReadBlocks(progress);
    jobs_.Close();
    for (auto& t : threads) t.join();
    pool_.clear();
    arenas_.clear();
    entry_pools_.clear();
    spills_.clear();
    column_pools_.clear();
    line_pools_.clear();
    std::sort(blocks_.begin(), blocks_.end(),
              [](const auto& a, const auto& b) { return a->index < b->index; });
    return read_status;
  }

  std::vector<std::unique_ptr<ParsedBlock>>& blocks() { return blocks_; }
  // The run file's first write error.
  const absl::Status& spill_status() const { return spill_status_; }

 private:
  // "read": hands each block to the workers until the input ends, a block is bad
  // or a spill failed.
  absl::Status ReadBlocks(const std::function<void(uint64_t)>& progress) {
    size_t index = 0;
    ByteBuffer data = std::move(input_.first);
    size_t start = input_.first_start;
    while (true) {
      if (data.size() > start && !jobs_.Push({index++, std::move(data), start})) break;
      start = 0;
      if (first_error_.load() != SIZE_MAX || spill_failed_.load()) break;
      if (progress) progress(input_.reader->bytes_read());
      data = Take(&pool_);
      auto more = input_.reader->Next(&data);
      if (!more.ok()) return more.status();
      if (!*more) break;
    }
    return absl::OkStatus();
  }

  void Work() {
    Job job;
    std::vector<Entry> sort_scratch;
    while (jobs_.Pop(&job)) {
      auto block = std::make_unique<ParsedBlock>();
      block->index = job.index;
      const bool parse = job.index < first_error_.load() && !spill_failed_.load();
      if (parse) Validate(job, block.get());
      if (!observers_.empty()) Observe(block.get());
      if (parse && !block->error.has_value() && block->observer_error.ok()) {
        SortAndSpill(block.get(), &sort_scratch);
      }
      {
        std::lock_guard lock(pool_mu_);
        pool_.push_back(std::move(job.data));
        arenas_.push_back(std::move(block->arena));
        entry_pools_.push_back(std::move(block->entries));
        if (block->observed) {
          column_pools_.push_back(std::move(block->columns));
          line_pools_.push_back(std::move(block->row_lines));
        }
      }
      std::lock_guard lock(blocks_mu_);
      blocks_.push_back(std::move(block));
    }
  }

  // Reserves room for `n` in a pooled buffer, rounded up to a power of two: blocks
  // differ by a few bytes, and reserving each one's exact estimate would make
  // nearly every block reallocate its buffers (a fresh mapping whose pages the
  // kernel zeroes again) instead of reusing the last block's.
  template <typename Buffer>
  static void ReserveRounded(Buffer* buffer, size_t n) {
    if (buffer->capacity() < n) buffer->reserve(std::bit_ceil(n));
  }

  // The rows of a block of `n` bytes at `p`, estimated from the line ends in its
  // first 64 KiB (a row per line; a quoted line break only adds to the estimate),
  // with an eighth to spare, rounded up to an eighth of a power of two: blocks of
  // a file differ by a few rows, and each new estimate a pooled column's capacity
  // missed would reallocate it.
  static size_t EstimateRows(const char* p, size_t n) {
    constexpr size_t kSample = 64 << 10;
    const size_t sample = std::min(n, kSample);
    const size_t lines = static_cast<size_t>(std::count(p, p + sample, '\n')) + 1;
    const double per_byte = static_cast<double>(lines) / static_cast<double>(sample + 1);
    const auto rows = static_cast<size_t>(per_byte * static_cast<double>(n) * 1.125) + 64;
    const size_t step = std::max<size_t>(std::bit_floor(rows) / 8, 1);
    return (rows + step - 1) / step * step;
  }

  // "validate": parses the block's rows into its arena and entries; a bad one
  // stops the blocks after it.
  void Validate(Job& job, ParsedBlock* block) {
    const size_t bytes = job.data.size() - job.start;
    block->arena = Take(&arenas_);
    block->arena.clear();
    ReserveRounded(&block->arena, bytes + bytes / 2);
    block->entries = Take(&entry_pools_);
    block->entries.clear();
    ReserveRounded(&block->entries, bytes / 40 + 16);
    block->observed = !observers_.empty();
    if (block->observed) {
      // Reserved for the rows the block is likely to hold: growing by doubling
      // would copy the values and fault in fresh pages at every step, while room
      // for twice the rows (a power of two, as the entries get) costs pages that
      // are zeroed whole (transparent huge pages) and never used.
      const size_t rows = EstimateRows(job.data.data() + job.start, bytes);
      block->columns = Take(&column_pools_);
      block->columns.resize(columns_.size());
      for (size_t c = 0; c < columns_.size(); ++c) {
        block->columns[c].Clear(columns_[c].type, rows);
      }
      block->row_lines = Take(&line_pools_);
      block->row_lines.clear();
      block->row_lines.reserve(rows);
    }
    ParseBlock(input_.format, job.data, job.start, block);
    if (block->error.has_value()) {
      StopAfter(job.index);
      return;
    }
    for (Entry& e : block->entries) {
      e.rec = block->arena.data() + reinterpret_cast<uintptr_t>(e.rec);
      e.k0 = codec::KeyWord(e.rec, e.klen, 4);
      e.k1 = codec::KeyWord(e.rec, e.klen, 12);
    }
  }

  // Blocks after `index` are not parsed, nor read.
  void StopAfter(size_t index) {
    size_t cur = first_error_.load();
    while (index < cur && !first_error_.compare_exchange_weak(cur, index)) {
    }
  }

  // "validate", its end: when every block before this one was observed, the
  // observers see this one (if it was parsed without error), and the rows they drop
  // leave its entries. Every block takes its turn, so none waits for ever.
  void Observe(ParsedBlock* block) {
    std::unique_lock lock(turn_mu_);
    turn_cv_.wait(lock, [&] { return turn_ == block->index; });
    lock.unlock();
    // A bad block stops the blocks after it: only the lines of observed ones count.
    std::optional<IngestBlock> rows;
    if (block->observed && !block->error.has_value() &&
        block->index < first_error_.load()) {
      rows.emplace(block->index, block->columns, block->row_lines, line_offset_);
      block->observer_error = observers_.Block(*rows);
      if (!block->observer_error.ok()) {
        StopAfter(block->index);
        rows.reset();
      } else if (rows->dropped_count() > 0) {
        LeaveOut(*rows, block);
      }
      line_offset_ += block->lines;
    }
    lock.lock();
    ++turn_;
    lock.unlock();
    turn_cv_.notify_all();
    // Out of turn: the next block's observers need not wait for this.
    if (rows.has_value()) {
      block->observer_error = observers_.BlockConcurrent(*rows);
      if (!block->observer_error.ok()) StopAfter(block->index);
    }
  }

  // Removes the rows `rows` dropped from the block's entries (in file order still)
  // and its event time range.
  void LeaveOut(const IngestBlock& rows, ParsedBlock* block) {
    const size_t event = input_.format.view->join_key_names.size();
    auto& es = block->entries;
    size_t kept = 0;
    block->min_event = INT64_MAX;
    block->max_event = INT64_MIN;
    for (size_t i = 0; i < es.size(); ++i) {
      if (rows.dropped(i)) continue;
      const Micros t = rows.column(event).ints[i];
      block->min_event = std::min(block->min_event, t);
      block->max_event = std::max(block->max_event, t);
      es[kept++] = es[i];
    }
    es.resize(kept);
    block->dropped = rows.dropped_count();
  }

  // "sort/spill": the block's entries sorted, of equal keys only the last in the
  // file kept, then appended to the run file.
  void SortAndSpill(ParsedBlock* block, std::vector<Entry>* sort_scratch) {
    auto& es = block->entries;
    block->rows = es.size();
    SortEntries(&es, sort_scratch);
    size_t bytes = 0, kept = 0;
    for (size_t i = 0; i < es.size(); ++i) {
      if (i + 1 < es.size() && CompareKeys(es[i], es[i + 1]) == 0) continue;
      es[kept++] = es[i];
      bytes += sizeof(RunHeader) + es[i].klen + es[i].vlen;
    }
    es.resize(kept);
    if (kept > 0) Spill(block, bytes);
  }

  // Writes the block's sorted entries (`bytes` in all) as its run.
  void Spill(ParsedBlock* block, size_t bytes) {
    const auto& es = block->entries;
    ByteBuffer spill = Take(&spills_);
    spill.Resize(bytes);
    char* p = spill.data();
    for (size_t i = 0; i < es.size(); ++i) {
      const Entry& e = es[i];
      if (i % kRunSampleEvery == 0) {
        block->run.samples.emplace_back(p - spill.data(), std::string(e.key()));
      }
      const RunHeader h{e.klen, e.vlen};
      std::memcpy(p, &h, sizeof h);
      std::memcpy(p + sizeof h, e.rec, e.klen + e.vlen);
      p += sizeof h + e.klen + e.vlen;
    }
    auto at = run_file_->Append(spill.view());
    if (at.ok()) {
      block->run.offset = *at;
      block->run.bytes = bytes;
      for (auto& sample : block->run.samples) sample.first += *at;
    } else {
      std::lock_guard lock(pool_mu_);
      if (spill_status_.ok()) spill_status_ = at.status();
      spill_failed_ = true;
    }
    std::lock_guard lock(pool_mu_);
    spills_.push_back(std::move(spill));
  }

  // A buffer from `from`, or a new one.
  template <typename T>
  T Take(std::vector<T>* from) {
    std::lock_guard lock(pool_mu_);
    T x;
    if (!from->empty()) {
      x = std::move(from->back());
      from->pop_back();
    }
    return x;
  }

  Input& input_;
  const int workers_;
  RunFile* const run_file_;
  internal::BoundedQueue<Job> jobs_;
  std::mutex pool_mu_;
  std::vector<ByteBuffer> pool_;                 // read buffers
  std::vector<std::string> arenas_;              // parse buffers
  std::vector<std::vector<Entry>> entry_pools_;  // sort keys
  std::vector<ByteBuffer> spills_;               // sorted runs on their way out
  std::vector<std::vector<IngestColumnValues>> column_pools_;  // observed values
  std::vector<std::vector<uint64_t>> line_pools_;  // observed rows' lines
  std::mutex blocks_mu_;
  std::vector<std::unique_ptr<ParsedBlock>> blocks_;
  std::atomic<size_t> first_error_{SIZE_MAX};
  std::atomic<bool> spill_failed_{false};
  absl::Status spill_status_;
  // Observation, one block at a time in file order: `turn_` is the next block's
  // index; the line offset (lines before that block) belongs to its holder.
  Observers& observers_;
  const std::vector<IngestColumn> columns_;
  std::mutex turn_mu_;
  std::condition_variable turn_cv_;
  size_t turn_ = 0;
  uint64_t line_offset_;
};

// The first error in file order: a bad record or value (at its line, counted over
// the blocks before it), else the read's error (on the line after every block read).
absl::Status FirstError(const std::vector<std::unique_ptr<ParsedBlock>>& blocks,
                        uint64_t header_lines, const absl::Status& read_status,
                        const std::string& source_name) {
  uint64_t line = header_lines;
  for (const auto& b : blocks) {
    if (!b->observer_error.ok()) return b->observer_error;
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
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SortedRuns> ParseAndSort(Input& input, int workers,
                                        const std::string& source_name,
                                        const std::function<void(uint64_t)>& progress,
                                        RunFile* run_file, Observers& observers) {
  BlockPipeline pipeline(input, workers, run_file, observers);
  const absl::Status read_status = pipeline.Run(progress);
  SortedRuns sorted;
  sorted.blocks = std::move(pipeline.blocks());
  RETURN_IF_ERROR(FirstError(sorted.blocks, input.header_lines, read_status, source_name));
  RETURN_IF_ERROR(pipeline.spill_status());
  // Each block's rows are a sorted run; they are merged while written.
  for (const auto& b : sorted.blocks) {
    sorted.rows += b->rows;
    sorted.dropped += b->dropped;
    sorted.runs.emplace_back(b->run.offset, b->run.offset + b->run.bytes);
    sorted.min_event = std::min(sorted.min_event, b->min_event);
    sorted.max_event = std::max(sorted.max_event, b->max_event);
  }
  return sorted;
}

absl::Status Observers::Start(const IngestStart& start) {
  for (IngestObserver* o : observers_) {
    ++started_;
    RETURN_IF_ERROR(o->OnStart(start));
  }
  return absl::OkStatus();
}

absl::Status Observers::Block(IngestBlock& block) {
  for (IngestObserver* o : observers_) RETURN_IF_ERROR(o->OnBlock(block));
  return absl::OkStatus();
}

absl::Status Observers::BlockConcurrent(const IngestBlock& block) {
  for (IngestObserver* o : observers_) RETURN_IF_ERROR(o->OnBlockConcurrent(block));
  return absl::OkStatus();
}

absl::Status Observers::AfterCommit(IngestResult& result) {
  absl::Status status;
  for (IngestObserver* o : observers_) status.Update(o->AfterCommit(result));
  return status;
}

absl::Status Observers::BeforeCommit(const IngestSummary& summary) {
  for (IngestObserver* o : observers_) RETURN_IF_ERROR(o->BeforeCommit(summary));
  return absl::OkStatus();
}

void Observers::End(const absl::StatusOr<IngestResult>& outcome) {
  for (size_t i = 0; i < started_; ++i) observers_[i]->OnEnd(outcome);
}

std::vector<IngestColumn> ObservedColumns(const ResolvedView& view) {
  std::vector<IngestColumn> columns;
  for (size_t k = 0; k < view.join_key_names.size(); ++k) {
    columns.push_back(
        {view.join_key_names[k], view.join_key_types[k], IngestColumn::Role::kJoinKey});
  }
  columns.push_back(
      {"event_timestamp", VALUE_TYPE_TIMESTAMP, IngestColumn::Role::kEventTime});
  columns.push_back(
      {"created_timestamp", VALUE_TYPE_TIMESTAMP, IngestColumn::Role::kCreatedTime});
  for (const Feature& f : view.def.features()) {
    columns.push_back({f.name(), f.type(), IngestColumn::Role::kFeature});
  }
  return columns;
}

}  // namespace strata::features::ingest
