#include "store/content_store.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <functional>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/write_batch.h"
#include "store/internal/bounded_queue.h"
#include "store/internal/db.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"
#include "store/store.pb.h"

namespace strata {
namespace {

using internal::Cf;

// The first error of a pipeline; later ones are dropped.
class FirstError {
 public:
  void Set(absl::Status s) {
    std::lock_guard lock(mu_);
    if (status_.ok()) status_ = std::move(s);
    failed_.store(true, std::memory_order_release);
  }
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  absl::Status Get() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  absl::Status status_;
  std::atomic<bool> failed_{false};
};

// Chunk buffers recycled between the reader and the workers: fresh 64-256 KiB
// allocations per chunk cost page faults that showed up as ~20% of put's CPU.
class BufferPool {
 public:
  std::string Take() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return {};
    std::string b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void Give(std::string b) {
    if (b.capacity() == 0) return;
    std::lock_guard lock(mu_);
    free_.push_back(std::move(b));
  }

 private:
  std::mutex mu_;
  std::vector<std::string> free_;
};

struct ChunkTask {
  std::string bytes;
  Digest* id_out = nullptr;  // slot in the manifest, written by the worker
  // *id_out already holds the bytes' SHA-256, and the caller found the chunk not
  // stored: it is written without looking it up again.
  bool known_missing = false;
};

// Encodes chunk tasks and writes the new ones in batches. One per worker thread.
class ChunkEncoder {
 public:
  // Every chunk is referenced in `reservation` before it is looked up, so a
  // concurrent gc cannot collect a chunk this put found stored.
  ChunkEncoder(ChunkStore* store, const ContentStoreOptions& options,
               GcGate::Reservation* reservation, const std::atomic<bool>* bulk)
      : store_(store),
        options_(options),
        reservation_(reservation),
        bulk_(bulk),
        cctx_(ZSTD_createCCtx()) {
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, options.zstd_level);
    if (options.zstd_hash_log > 0) {
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_hashLog, options.zstd_hash_log);
    }
  }
  ~ChunkEncoder() { ZSTD_freeCCtx(cctx_); }

  absl::Status Encode(ChunkTask& task) {
    if (!task.known_missing) *task.id_out = Sha256::Of(task.bytes);
    const Digest id = *task.id_out;
    if (!reservation_->ReferenceChunk(id))
      return absl::OkStatus();  // earlier in this put
    if (!task.known_missing) {
      ASSIGN_OR_RETURN(bool present, store_->Contains(id));
      if (present) return absl::OkStatus();
    }

    EncodedChunk chunk;
    chunk.id = id;
    chunk.raw_size = static_cast<uint32_t>(task.bytes.size());
    // Compress into a reused buffer: a fresh compressBound-sized one per chunk costs
    // a memset and page faults.
    scratch_.resize(std::max(scratch_.size(), ZSTD_compressBound(task.bytes.size())));
    size_t n = ZSTD_compress2(cctx_, scratch_.data(), scratch_.size(), task.bytes.data(),
                              task.bytes.size());
    if (!ZSTD_isError(n) && n < task.bytes.size()) {
      chunk.codec = ChunkCodec::kZstd;
      chunk.payload.assign(scratch_.data(), n);
    } else {
      chunk.codec = ChunkCodec::kRaw;
      chunk.payload = std::move(task.bytes);
    }
    new_chunks_++;
    new_bytes_ += chunk.payload.size();
    batch_bytes_ += chunk.payload.size();
    batch_.push_back(std::move(chunk));
    if (batch_bytes_ >= options_.write_batch_bytes) return Flush();
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (batch_.empty()) return absl::OkStatus();
    absl::Status s = store_->PutMany(batch_, bulk_->load(std::memory_order_relaxed)
                                                 ? ChunkStore::Durability::kDeferred
                                                 : ChunkStore::Durability::kLogged);
    batch_.clear();
    batch_bytes_ = 0;
    return s;
  }

  uint64_t new_chunks() const { return new_chunks_; }
  uint64_t new_bytes() const { return new_bytes_; }

 private:
  ChunkStore* store_;
  const ContentStoreOptions& options_;
  GcGate::Reservation* reservation_;
  const std::atomic<bool>* bulk_;
  ZSTD_CCtx* cctx_;
  std::string scratch_;
  std::vector<EncodedChunk> batch_;
  size_t batch_bytes_ = 0;
  uint64_t new_chunks_ = 0;
  uint64_t new_bytes_ = 0;
};

// Put's pipeline: the calling thread reads the source and cuts it (Feed); worker
// threads hash, compress and write the new chunks (ChunkEncoder). Memory is bounded
// by the queue, whatever the content's size.
class PutPipeline {
 public:
  PutPipeline(ChunkStore* chunks, const ContentStoreOptions& options, int workers,
              GcGate::Reservation* reservation)
      : options_(options), queue_(size_t(workers) * options.queue_per_worker) {
    pool_.reserve(workers);
    for (int w = 0; w < workers; ++w) {
      pool_.emplace_back([this, chunks, reservation] { Work(chunks, reservation); });
    }
  }
  ~PutPipeline() { Join(); }

  // Reads `source` to its end (or the first error), cuts it into chunks, hashes the
  // whole stream and queues each chunk for the workers.
  void Feed(ByteSource& source, const FastCdc& chunker, const ProgressFn& progress);

  // Waits for the workers. Errors: the first of reading or writing.
  absl::Status Finish() {
    Join();
    if (error_.failed()) return error_.Get();
    content_id_ = whole_.Finish();
    return absl::OkStatus();
  }

  // After Finish: the chunks in order (ids written in place by the workers), the
  // content's SHA-256 and size, and what was new.
  const std::deque<Digest>& ids() const { return ids_; }
  const std::vector<uint32_t>& sizes() const { return sizes_; }
  const Digest& content_id() const { return content_id_; }
  uint64_t total() const { return total_; }
  uint64_t new_chunks() const { return new_chunks_; }
  uint64_t new_bytes() const { return new_bytes_; }

 private:
  void Work(ChunkStore* chunks, GcGate::Reservation* reservation) {
    ChunkEncoder encoder(chunks, options_, reservation, &bulk_);
    ChunkTask task;
    absl::Status s;
    while (s.ok() && queue_.Pop(&task)) {
      s = encoder.Encode(task);
      buffers_.Give(std::move(task.bytes));
    }
    if (s.ok()) s = encoder.Flush();
    if (!s.ok()) {
      error_.Set(s);
      queue_.Close(/*discard=*/true);
    }
    new_chunks_ += encoder.new_chunks();
    new_bytes_ += encoder.new_bytes();
  }

  void Join() {
    queue_.Close();
    for (auto& t : pool_) t.join();
    pool_.clear();
  }

  const ContentStoreOptions& options_;
  internal::BoundedQueue<ChunkTask> queue_;
  FirstError error_;
  BufferPool buffers_;
  std::atomic<bool> bulk_{false};
  std::atomic<uint64_t> new_chunks_{0}, new_bytes_{0};
  std::vector<std::thread> pool_;
  // std::deque keeps element addresses stable as it grows, so workers write ids in
  // place while the reader appends.
  std::deque<Digest> ids_;
  std::vector<uint32_t> sizes_;
  Sha256 whole_;
  Digest content_id_;
  uint64_t total_ = 0;
};

void PutPipeline::Feed(ByteSource& source, const FastCdc& chunker,
                       const ProgressFn& progress) {
  const size_t max_chunk = chunker.max_size();
  const size_t buf_size = std::max<size_t>(8 << 20, 4 * max_chunk);
  std::unique_ptr<char[]> buf(new char[buf_size]);  // uninitialized: no 8 MB memset
  size_t begin = 0, end = 0;
  bool eof = false;
  while (!error_.failed()) {
    if (!eof && end - begin < max_chunk) {
      std::memmove(buf.get(), buf.get() + begin, end - begin);
      end -= begin;
      begin = 0;
      while (!eof && end < buf_size) {
        auto n = source.Read(buf.get() + end, buf_size - end);
        if (!n.ok()) {
          error_.Set(n.status());
          break;
        }
        if (*n == 0) eof = true;
        end += *n;
      }
      if (error_.failed()) break;
    }
    if (begin == end) break;
    const size_t cut = chunker.NextCut(absl::string_view(buf.get() + begin, end - begin));
    absl::string_view piece(buf.get() + begin, cut);
    whole_.Update(piece);
    ChunkTask task{buffers_.Take(), &ids_.emplace_back()};
    task.bytes.reserve(max_chunk);
    task.bytes.assign(piece.data(), piece.size());
    sizes_.push_back(static_cast<uint32_t>(cut));
    begin += cut;
    total_ += cut;
    if (total_ > options_.bulk_threshold_bytes)
      bulk_.store(true, std::memory_order_relaxed);
    if (!queue_.Push(std::move(task))) break;
    if (progress) progress(total_);
  }
  queue_.Close();
}

absl::StatusOr<store::Manifest> LoadManifest(internal::Db* db, const Digest& id) {
  ASSIGN_OR_RETURN(auto value, db->Get(Cf::kManifests, id.Raw()));
  if (!value.has_value()) {
    return absl::NotFoundError(absl::StrCat("no content sha256:", id.Hex()));
  }
  store::Manifest m;
  if (!m.ParseFromString(*value) ||
      m.chunk_ids().size() != 32 * size_t(m.chunk_sizes_size())) {
    return absl::DataLossError(
        absl::StrCat("manifest of sha256:", id.Hex(), " is malformed"));
  }
  return m;
}

Digest ChunkIdAt(const store::Manifest& m, int i) {
  Digest d;
  std::memcpy(d.bytes.data(), m.chunk_ids().data() + 32 * size_t(i), 32);
  return d;
}

// Tells `chunks` which chunks come next as a reader walks chunks 0..n) in order
// (ChunkStore::Prefetch): at every kStep, the next kAhead, by `id_at`.
class PrefetchHints {
 public:
  PrefetchHints(ChunkStore* chunks, int n, std::function<Digest(int)> id_at)
      : chunks_(chunks), n_(n), id_at_(std::move(id_at)) {}
  // Call before reading chunk i.
  void Before(int i) {
    if (i % kStep != 0) return;
    upcoming_.clear();
    for (int j = i; j < std::min(n_, i + kAhead); ++j) upcoming_.push_back(id_at_(j));
    chunks_->Prefetch(upcoming_);
  }

 private:
  static constexpr int kAhead = 1024, kStep = kAhead / 8;
  ChunkStore* const chunks_;
  const int n_;
  const std::function<Digest(int)> id_at_;
  std::vector<Digest> upcoming_;
};

}  // namespace

ContentStore::ContentStore(internal::Db* db, ChunkStore* chunks,
                           const ContentStoreOptions& options)
    : db_(db), chunks_(chunks), options_(options), chunker_(options.chunker) {}

int ContentStore::threads() const {
  if (options_.threads > 0) return options_.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

absl::StatusOr<PutStats> ContentStore::Put(ByteSource& source,
                                           const ProgressFn& progress) {
  const auto reservation = db_->gc_gate().Reserve();
  PutPipeline pipeline(chunks_, options_, threads(), reservation.get());
  pipeline.Feed(source, chunker_, progress);
  RETURN_IF_ERROR(pipeline.Finish());
  // Every chunk the manifest names, written here or found present, is durable
  // before the manifest is.
  RETURN_IF_ERROR(chunks_->Sync());

  PutStats stats;
  stats.content_id = pipeline.content_id();
  stats.size = pipeline.total();
  stats.chunks = pipeline.sizes().size();
  stats.new_chunks = pipeline.new_chunks();
  stats.new_stored_bytes = pipeline.new_bytes();

  store::Manifest manifest;
  std::string* id_bytes = manifest.mutable_chunk_ids();
  id_bytes->reserve(pipeline.ids().size() * 32);
  for (const Digest& d : pipeline.ids()) id_bytes->append(d.Raw().data(), 32);
  manifest.mutable_chunk_sizes()->Add(pipeline.sizes().begin(), pipeline.sizes().end());
  RETURN_IF_ERROR(WriteManifest(stats, manifest, reservation.get()));
  return stats;
}

absl::Status ContentStore::WriteManifest(const PutStats& stats, store::Manifest& manifest,
                                         GcGate::Reservation* reservation) {
  manifest.set_size(stats.size);
  manifest.set_created_us(internal::NowMicros());
  reservation->ReferenceContent(stats.content_id);
  rocksdb::WriteBatch batch;
  batch.Put(db_->cf(Cf::kManifests), internal::ToSlice(stats.content_id.Raw()),
            manifest.SerializeAsString());
  return db_->WriteUnlocked(&batch, options_.sync);
}

absl::StatusOr<std::vector<Digest>> ContentStore::MissingChunks(
    const std::vector<Digest>& ids) {
  std::vector<Digest> distinct;
  absl::flat_hash_set<Digest> seen;
  for (const Digest& id : ids) {
    if (seen.insert(id).second) distinct.push_back(id);
  }
  // The upload will name the chunks found here in a later request: each gets a
  // fresh reference time, so gc's grace period covers it until then. Under the
  // gate's shared side, a gc batch deletes a chunk before this reads it (and it is
  // reported missing) or after this touch (and keeps it).
  const auto hold = db_->gc_gate().Shared();
  ASSIGN_OR_RETURN(std::vector<bool> stored, chunks_->Touch(distinct));
  std::vector<Digest> missing;
  for (size_t i = 0; i < distinct.size(); ++i) {
    if (!stored[i]) missing.push_back(distinct[i]);
  }
  return missing;
}

absl::StatusOr<uint64_t> ContentStore::PutChunks(const std::vector<std::string>& chunks) {
  std::vector<Digest> ids(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].empty() || chunks[i].size() > chunker_.max_size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("chunk ", i + 1, " is ", chunks[i].size(),
                       " bytes; chunks are 1 to ", chunker_.max_size(), " bytes"));
    }
    ids[i] = Sha256::Of(chunks[i]);
  }
  // Chunks stored already (another upload sent them meanwhile) are touched as
  // MissingChunks touches them; the rest are new, and young for gc.
  ASSIGN_OR_RETURN(std::vector<Digest> missing, MissingChunks(ids));
  const absl::flat_hash_set<Digest> wanted(missing.begin(), missing.end());
  const auto reservation = db_->gc_gate().Reserve();
  const std::atomic<bool> logged{false};
  ChunkEncoder encoder(chunks_, options_, reservation.get(), &logged);
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (!wanted.contains(ids[i])) continue;
    ChunkTask task{chunks[i], &ids[i], /*known_missing=*/true};
    RETURN_IF_ERROR(encoder.Encode(task));
  }
  RETURN_IF_ERROR(encoder.Flush());
  RETURN_IF_ERROR(chunks_->Sync());
  return encoder.new_chunks();
}

absl::StatusOr<PutStats> ContentStore::Assemble(const std::vector<Digest>& ids,
                                                const std::optional<Digest>& expected) {
  if (ids.empty()) return absl::InvalidArgumentError("content needs at least one chunk");
  // Referenced before they are read, so gc keeps them until the manifest names them.
  const auto reservation = db_->gc_gate().Reserve();
  for (const Digest& id : ids) reservation->ReferenceChunk(id);
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  absl::Cleanup free_dctx = [dctx] { ZSTD_freeDCtx(dctx); };
  store::Manifest manifest;
  std::string* id_bytes = manifest.mutable_chunk_ids();
  id_bytes->reserve(ids.size() * 32);
  Sha256 whole;
  EncodedChunk chunk;
  std::string raw;
  uint64_t total = 0;
  PrefetchHints hints(chunks_, static_cast<int>(ids.size()), [&](int i) { return ids[i]; });
  for (size_t i = 0; i < ids.size(); ++i) {
    hints.Before(static_cast<int>(i));
    const Digest& id = ids[i];
    const auto where = [&] {
      return absl::StrCat("chunk ", i + 1, " of ", ids.size(), " (", id.Hex(), ")");
    };
    absl::Status s = chunks_->Read(id, &chunk);
    if (absl::IsNotFound(s)) {
      return absl::FailedPreconditionError(where() + " is not stored; send it first");
    }
    RETURN_IF_ERROR(s);
    absl::string_view bytes = chunk.payload;
    if (chunk.codec == ChunkCodec::kZstd) {
      raw.resize(chunk.raw_size);
      const size_t got = ZSTD_decompressDCtx(dctx, raw.data(), raw.size(),
                                             chunk.payload.data(), chunk.payload.size());
      if (ZSTD_isError(got) || got != chunk.raw_size) {
        return absl::DataLossError(where() + " does not decompress");
      }
      bytes = raw;
    }
    if (bytes.size() != chunk.raw_size || Sha256::Of(bytes) != id) {
      return absl::DataLossError(where() + " is corrupt (hash mismatch)");
    }
    whole.Update(bytes);
    total += bytes.size();
    id_bytes->append(id.Raw().data(), 32);
    manifest.add_chunk_sizes(chunk.raw_size);
  }
  PutStats stats;
  stats.content_id = whole.Finish();
  if (expected.has_value() && *expected != stats.content_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("the chunks make content sha256:", stats.content_id.Hex(),
                     ", not the expected sha256:", expected->Hex()));
  }
  stats.size = total;
  stats.chunks = ids.size();
  RETURN_IF_ERROR(WriteManifest(stats, manifest, reservation.get()));
  return stats;
}

absl::StatusOr<store::Manifest> ContentStore::ReadManifest(const Digest& content_id) {
  return LoadManifest(db_, content_id);
}

absl::Status ContentStore::ScanManifests(const ManifestVisitor& visit) const {
  auto it = db_->Scan(Cf::kManifests, "");
  for (; it->Valid(); it->Next()) {
    if (it->key().size() != 32) {
      return absl::DataLossError("a manifest key is not a 32-byte content id");
    }
    Digest id;
    std::memcpy(id.bytes.data(), it->key().data(), 32);
    store::Manifest m;
    if (!m.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) ||
        m.chunk_ids().size() % 32 != 0) {
      return absl::DataLossError(
          absl::StrCat("manifest of sha256:", id.Hex(), " is malformed"));
    }
    RETURN_IF_ERROR(visit(id, m));
  }
  return it->status();
}

absl::Status ContentStore::DeleteManifests(const std::vector<Digest>& ids, bool sync) {
  rocksdb::WriteBatch batch;
  for (const Digest& id : ids) {
    batch.Delete(db_->cf(Cf::kManifests), internal::ToSlice(id.Raw()));
  }
  return db_->WriteUnlocked(&batch, sync);
}

uint64_t ContentStore::ApproximateManifestCount() const {
  uint64_t n = 0;
  db_->raw()->GetIntProperty(db_->cf(Cf::kManifests), "rocksdb.estimate-num-keys", &n);
  return n;
}

absl::StatusOr<ContentInfo> ContentStore::Stat(const Digest& content_id) {
  ASSIGN_OR_RETURN(store::Manifest m, LoadManifest(db_, content_id));
  return ContentInfo{content_id, m.size(), static_cast<uint64_t>(m.chunk_sizes_size())};
}

absl::Status ContentStore::Get(const Digest& content_id, ByteSink& sink,
                               const ProgressFn& progress, uint64_t offset,
                               uint64_t length) {
  ASSIGN_OR_RETURN(store::Manifest m, LoadManifest(db_, content_id));
  if (offset > m.size() || (offset == m.size() && m.size() > 0 && length > 0)) {
    return absl::OutOfRangeError(absl::StrCat("offset ", offset, " is past the end of a ",
                                              m.size(), "-byte content"));
  }
  const uint64_t stop = length > m.size() - offset ? m.size() : offset + length;
  // Chunks [first, last) overlap [offset, stop).
  int first = 0;
  uint64_t first_start = 0;
  while (first < m.chunk_sizes_size() && first_start + m.chunk_sizes(first) <= offset) {
    first_start += m.chunk_sizes(first);
    ++first;
  }
  int last = first;
  for (uint64_t pos = first_start; last < m.chunk_sizes_size() && pos < stop; ++last) {
    pos += m.chunk_sizes(last);
  }
  const int n = last - first;
  if (n == 0) return absl::OkStatus();

  // Workers fetch, decode and verify chunks into a ring of `window` slots; this
  // thread writes them out in order.
  // Workers fetch, decode and verify chunks straight into a ring of `window` slots
  // whose buffers live for the whole read; this thread writes them out in order.
  // A slot belongs to the worker that claimed its chunk until `ready`, then to this
  // thread until it is written: chunk i is claimed only once chunk i - window is.
  uint32_t largest = 0;
  for (int i = first; i < last; ++i) largest = std::max(largest, m.chunk_sizes(i));
  struct Slot {
    bool ready = false;
    absl::Status status;
    std::unique_ptr<char[]> buf;
    size_t length = 0;
  };
  // Workers claim runs of `kRun` consecutive chunks and publish each run with one
  // notification: per-chunk hand-offs cost ~8% of a get in futex calls.
  constexpr int kRun = 4;
  const int workers = std::min(threads(), n);
  const int window = workers * kRun * 2;
  std::vector<Slot> slots(window);
  for (Slot& slot : slots) slot.buf.reset(new char[std::max<uint32_t>(largest, 1)]);
  std::mutex mu;
  std::condition_variable cv;
  int next = 0, consumed = 0;
  bool cancelled = false;

  auto fetch = [&](int i, ZSTD_DCtx* dctx, EncodedChunk* chunk,
                   Slot* slot) -> absl::Status {
    const int index = first + i;
    const Digest id = ChunkIdAt(m, index);
    auto where = [&] {
      return absl::StrCat("chunk ", id.Hex(), " (", index + 1, " of ",
                          m.chunk_sizes_size(), ") of content sha256:", content_id.Hex());
    };
    absl::Status s = chunks_->Read(id, chunk);
    if (absl::IsNotFound(s)) return absl::DataLossError(where() + " is missing");
    RETURN_IF_ERROR(s);
    if (chunk->raw_size != m.chunk_sizes(index)) {
      return absl::DataLossError(where() + " has the wrong size");
    }
    if (chunk->codec == ChunkCodec::kRaw) {
      if (chunk->payload.size() != chunk->raw_size) {
        return absl::DataLossError(where() + " has the wrong size");
      }
      std::memcpy(slot->buf.get(), chunk->payload.data(), chunk->raw_size);
    } else {
      size_t got = ZSTD_decompressDCtx(dctx, slot->buf.get(), chunk->raw_size,
                                       chunk->payload.data(), chunk->payload.size());
      if (ZSTD_isError(got) || got != chunk->raw_size) {
        return absl::DataLossError(where() + " does not decompress");
      }
    }
    slot->length = chunk->raw_size;
    if (Sha256::Of(absl::string_view(slot->buf.get(), slot->length)) != id) {
      return absl::DataLossError(where() + " is corrupt (hash mismatch)");
    }
    return absl::OkStatus();
  };

  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      ZSTD_DCtx* dctx = ZSTD_createDCtx();
      EncodedChunk chunk;  // its payload buffer is reused across chunks
      while (true) {
        int begin, end;
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] {
            return cancelled || next >= n || next + kRun <= consumed + window ||
                   (next < consumed + window && n - next <= kRun);
          });
          if (cancelled || next >= n) break;
          begin = next;
          end = std::min({n, begin + kRun, consumed + window});
          next = end;
        }
        std::array<absl::Status, kRun> results;
        for (int i = begin; i < end; ++i) {
          results[i - begin] = fetch(i, dctx, &chunk, &slots[i % window]);
        }
        std::lock_guard lock(mu);
        for (int i = begin; i < end; ++i) {
          slots[i % window].status = std::move(results[i - begin]);
          slots[i % window].ready = true;
        }
        cv.notify_all();
      }
      ZSTD_freeDCtx(dctx);
    });
  }

  absl::Status status;
  uint64_t pos = first_start, done = 0;
  PrefetchHints hints(chunks_, n, [&](int i) { return ChunkIdAt(m, first + i); });
  for (int i = 0; i < n && status.ok(); ++i) {
    hints.Before(i);
    Slot& slot = slots[i % window];
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return slot.ready; });
      status = slot.status;
    }
    if (status.ok()) {
      absl::string_view view(slot.buf.get(), slot.length);
      const uint64_t chunk_end = pos + view.size();
      if (pos < offset) view.remove_prefix(offset - pos);
      if (chunk_end > stop) view.remove_suffix(chunk_end - stop);
      status = sink.Write(view);
      pos = chunk_end;
      done += view.size();
      if (progress) progress(done);
    }
    std::lock_guard lock(mu);
    slot.ready = false;
    slot.status = absl::OkStatus();
    consumed = i + 1;
    // Workers wait for room for a whole run: wake them once per run freed.
    if (consumed % kRun == 0 || consumed == n || !status.ok()) cv.notify_all();
  }
  {
    std::lock_guard lock(mu);
    cancelled = true;
    cv.notify_all();
  }
  for (auto& t : pool) t.join();
  return status;
}

}  // namespace strata
