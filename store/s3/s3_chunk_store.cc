#include "store/s3/s3_chunk_store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "rocksdb/write_batch.h"
#include "store/internal/db.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"
#include "store/store.pb.h"

namespace strata {
namespace {

using internal::Cf;

constexpr size_t kPackIdBytes = 16;

// chunk_packs keys: "c" + chunk id, "p" + pack id.
std::string ChunkKey(const Digest& id) { return absl::StrCat("c", id.Raw()); }
std::string PackRecordKey(absl::string_view pack) { return absl::StrCat("p", pack); }

int64_t NowUs() { return absl::ToUnixMicros(absl::Now()); }

absl::Status MalformedRecord(const Digest& id) {
  return absl::DataLossError(
      absl::StrCat("the record of chunk ", id.Hex(), " (in the object store) is malformed"));
}

// Parses a chunk's index entry; false when it is malformed.
bool ParseEntry(absl::string_view value, store::PackedChunk* entry) {
  if (!entry->ParseFromArray(value.data(), static_cast<int>(value.size()))) return false;
  return entry->pack().size() == kPackIdBytes &&
         entry->offset() >= entry->segment_offset() &&
         entry->offset() + entry->stored_size() <=
             entry->segment_offset() + entry->segment_size();
}

ChunkStat StatOf(const Digest& id, const store::PackedChunk& entry) {
  return ChunkStat{id, entry.stored_size(),
                   std::max(entry.created_us(), entry.referenced_us())};
}

// A pack being built: chunks' payloads back to back, cut into segments (the unit of
// reads) at chunk boundaries once a segment holds `segment_bytes`.
struct Pack {
  std::string id;  // kPackIdBytes random bytes
  std::string bytes;
  std::vector<std::pair<Digest, store::PackedChunk>> chunks;
  uint64_t segment_start = 0;

  Pack() {
    id.resize(kPackIdBytes);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(id.data()), kPackIdBytes) != 1) {
      // The pack's name only needs to be unique: fall back to time and address.
      const int64_t now = NowUs();
      std::memcpy(id.data(), &now, sizeof(now));
      const auto self = reinterpret_cast<uintptr_t>(this);
      std::memcpy(id.data() + 8, &self, sizeof(self));
    }
  }

  // Appends a chunk; `entry` carries its times (and is completed here).
  void Add(const Digest& chunk, absl::string_view payload, store::PackedChunk entry,
           size_t segment_bytes) {
    if (bytes.size() - segment_start >= segment_bytes) segment_start = bytes.size();
    entry.set_pack(id);
    entry.set_offset(bytes.size());
    entry.set_stored_size(static_cast<uint32_t>(payload.size()));
    entry.set_segment_offset(segment_start);
    bytes.append(payload.data(), payload.size());
    chunks.emplace_back(chunk, std::move(entry));
  }

  // Sets each chunk's segment size, once every chunk is added.
  void Finish() {
    uint64_t end = bytes.size();
    for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) {
      store::PackedChunk& entry = it->second;
      entry.set_segment_size(static_cast<uint32_t>(end - entry.segment_offset()));
      const auto before = it + 1;
      if (before != chunks.rend() &&
          before->second.segment_offset() != entry.segment_offset()) {
        end = entry.segment_offset();
      }
    }
  }
};

// The segment cache's key of the `offset` segment of pack object `key`.
std::string SegmentKey(const std::string& key, uint64_t offset) {
  return absl::StrCat(key, "@", offset);
}

// The latest segments read, by key; a segment being fetched is fetched once, its
// other readers wait for it.
class SegmentCache {
 public:
  explicit SegmentCache(size_t capacity) : capacity_(capacity) {}
  using Fetch = std::function<absl::StatusOr<std::string>()>;

  // The segment at `key`, fetched by `fetch` unless cached or being fetched.
  absl::StatusOr<std::shared_ptr<const std::string>> Get(const std::string& key,
                                                         const Fetch& fetch) {
    std::unique_lock lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      std::shared_ptr<Entry> entry = it->second;
      cv_.wait(lock, [&] { return entry->done; });
      if (!entry->status.ok()) return entry->status;
      if (entry->cached) lru_.splice(lru_.begin(), lru_, entry->lru);
      return entry->bytes;
    }
    auto entry = std::make_shared<Entry>();
    entries_[key] = entry;
    lock.unlock();
    absl::StatusOr<std::string> got = fetch();
    lock.lock();
    entry->done = true;
    cv_.notify_all();
    if (!got.ok()) {
      entry->status = got.status();
      entries_.erase(key);
      return entry->status;
    }
    entry->bytes = std::make_shared<const std::string>(*std::move(got));
    lru_.push_front(key);
    entry->lru = lru_.begin();
    entry->cached = true;
    bytes_ += entry->bytes->size();
    while (bytes_ > capacity_ && lru_.size() > 1) {
      auto last = entries_.find(lru_.back());
      bytes_ -= last->second->bytes->size();
      entries_.erase(last);
      lru_.pop_back();
    }
    return entry->bytes;
  }

  // Whether `key` is cached or being fetched.
  bool Has(const std::string& key) {
    std::lock_guard lock(mu_);
    return entries_.contains(key);
  }

 private:
  struct Entry {
    bool done = false;
    bool cached = false;
    absl::Status status;
    std::shared_ptr<const std::string> bytes;
    std::list<std::string>::iterator lru;
  };
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
  std::list<std::string> lru_;  // cached keys, the most recently used first
  size_t bytes_ = 0;
};

class S3ChunkCursor : public ChunkCursor {
 public:
  explicit S3ChunkCursor(std::unique_ptr<internal::Db::Cursor> it) : it_(std::move(it)) {
    Settle();
  }
  bool Valid() const override { return valid_; }
  void Next() override {
    it_->Next();
    Settle();
  }
  const Digest& id() const override { return id_; }
  absl::StatusOr<ChunkStat> Stat() const override {
    store::PackedChunk entry;
    if (!ParseEntry(it_->value(), &entry)) return MalformedRecord(id_);
    return StatOf(id_, entry);
  }
  absl::Status status() const override { return status_.ok() ? it_->status() : status_; }
  // The entry of the chunk positioned on. REQUIRES: Valid().
  absl::string_view value() const { return it_->value(); }

 private:
  void Settle() {
    valid_ = it_->Valid();
    if (!valid_) return;
    if (it_->key().size() != 33) {
      status_ = absl::DataLossError("a chunk's index key is not \"c\" and a 32-byte id");
      valid_ = false;
      return;
    }
    std::memcpy(id_.bytes.data(), it_->key().data() + 1, 32);
  }
  std::unique_ptr<internal::Db::Cursor> it_;
  bool valid_ = false;
  Digest id_;
  absl::Status status_;
};

// Every chunk's entry is written only once its pack is in the object store, so the
// index never names bytes that are not there. A pack's record is written before its
// upload: a pack that no entry names and no PutMany is writing (in_flight_) is
// garbage, which Reclaim deletes.
class S3ChunkStore : public ChunkStore {
 public:
  // `s3`: the client, or why there is none (no keys: every chunk request fails with
  // it, while the index still answers).
  S3ChunkStore(S3ChunkStoreOptions options,
               absl::StatusOr<std::unique_ptr<S3Client>> s3, internal::Db* db)
      : options_(std::move(options)),
        s3_(std::move(s3)),
        db_(db),
        cache_(options_.cache_bytes) {}
  ~S3ChunkStore() override {
    {
      std::lock_guard lock(ahead_mu_);
      stopping_ = true;
    }
    ahead_cv_.notify_all();
    for (std::thread& t : ahead_threads_) t.join();
  }

  absl::StatusOr<bool> Contains(const Digest& id) override {
    ASSIGN_OR_RETURN(auto value, db_->Get(Cf::kChunkPacks, ChunkKey(id)));
    return value.has_value();
  }

  absl::Status PutMany(const std::vector<EncodedChunk>& chunks,
                       Durability durability) override {
    // Both durabilities are the same here: the bytes are in the object store before
    // PutMany returns, and the index entries go through the write-ahead log.
    (void)durability;
    if (chunks.empty()) return absl::OkStatus();
    std::vector<std::string> keys;
    keys.reserve(chunks.size());
    for (const EncodedChunk& c : chunks) keys.push_back(ChunkKey(c.id));
    ASSIGN_OR_RETURN(auto stored, db_->MultiGet(Cf::kChunkPacks, keys));
    std::vector<Pack> packs;
    std::set<Digest> seen;
    const int64_t now = NowUs();
    for (size_t i = 0; i < chunks.size(); ++i) {
      const EncodedChunk& c = chunks[i];
      if (stored[i].has_value() || !seen.insert(c.id).second) continue;
      if (packs.empty() || (!packs.back().bytes.empty() &&
                            packs.back().bytes.size() + c.payload.size() >
                                options_.pack_bytes)) {
        if (!packs.empty()) packs.back().Finish();
        packs.emplace_back();
      }
      store::PackedChunk entry;
      entry.set_raw_size(c.raw_size);
      entry.set_codec(static_cast<store::ChunkCodec>(c.codec));
      entry.set_created_us(now);
      packs.back().Add(c.id, c.payload, std::move(entry), options_.segment_bytes);
    }
    if (packs.empty()) return absl::OkStatus();
    packs.back().Finish();
    return StorePacks(packs, [&](rocksdb::WriteBatch& batch) {
      for (const Pack& pack : packs) {
        for (const auto& [id, entry] : pack.chunks) {
          batch.Put(db_->cf(Cf::kChunkPacks), ChunkKey(id), entry.SerializeAsString());
        }
      }
      return absl::OkStatus();
    });
  }

  absl::Status Sync() override {
    if (!dirty_.exchange(false)) return absl::OkStatus();
    absl::Status s = internal::FromRocks(db_->raw()->SyncWAL(), "syncing the chunk index");
    if (!s.ok()) dirty_ = true;
    return s;
  }

  absl::Status Read(const Digest& id, EncodedChunk* out) override {
    // Reclaim may move a chunk to a new pack and delete the old one between the
    // index read and the fetch: then the index, read again, names the new one.
    for (int attempt = 0;; ++attempt) {
      ASSIGN_OR_RETURN(auto value, db_->Get(Cf::kChunkPacks, ChunkKey(id)));
      if (!value.has_value()) {
        return absl::NotFoundError(absl::StrCat("chunk ", id.Hex(), " is not stored"));
      }
      store::PackedChunk entry;
      if (!ParseEntry(*value, &entry)) return MalformedRecord(id);
      const std::string key = PackKey(entry.pack());
      absl::StatusOr<std::shared_ptr<const std::string>> segment =
          FetchSegment(key, entry.segment_offset(), entry.segment_size());
      if (segment.ok()) {
        out->id = id;
        out->raw_size = entry.raw_size();
        out->codec = static_cast<ChunkCodec>(entry.codec());
        out->payload.assign(
            (*segment)->data() + (entry.offset() - entry.segment_offset()),
            entry.stored_size());
        return absl::OkStatus();
      }
      if (absl::IsNotFound(segment.status())) {
        ASSIGN_OR_RETURN(auto again, db_->Get(Cf::kChunkPacks, ChunkKey(id)));
        if (!again.has_value()) {
          return absl::NotFoundError(absl::StrCat("chunk ", id.Hex(), " is not stored"));
        }
        if (*again != *value && attempt < 3) continue;
        return absl::DataLossError(absl::StrCat("chunk ", id.Hex(), " is missing: its pack ",
                                                Where(key), " is not in the object store"));
      }
      if (absl::IsDataLoss(segment.status())) {
        return absl::DataLossError(absl::StrCat("chunk ", id.Hex(), " is damaged: its pack ",
                                                Where(key), " is shorter than recorded"));
      }
      return absl::Status(segment.status().code(),
                          absl::StrCat("reading chunk ", id.Hex(), " from ", Where(key),
                                       ": ", segment.status().message()));
    }
  }

  void Prefetch(const std::vector<Digest>& ids) override {
    absl::StatusOr<std::vector<std::optional<std::string>>> values =
        db_->MultiGet(Cf::kChunkPacks, Keys(ids));
    if (!values.ok()) return;  // the reads will say why
    std::vector<Ahead> segments;
    std::set<std::pair<std::string, uint64_t>> seen;
    for (const std::optional<std::string>& value : *values) {
      store::PackedChunk entry;
      if (!value.has_value() || !ParseEntry(*value, &entry)) continue;
      if (!seen.emplace(entry.pack(), entry.segment_offset()).second) continue;
      segments.push_back({PackKey(entry.pack()), entry.segment_offset(), entry.segment_size()});
    }
    ReadAhead(segments);
  }

  std::unique_ptr<ChunkCursor> Scan() override {
    return std::make_unique<S3ChunkCursor>(db_->Scan(Cf::kChunkPacks, "c"));
  }

  absl::StatusOr<std::vector<std::optional<ChunkStat>>> StatMany(
      const std::vector<Digest>& ids) override {
    ASSIGN_OR_RETURN(auto values, db_->MultiGet(Cf::kChunkPacks, Keys(ids)));
    std::vector<std::optional<ChunkStat>> out(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      store::PackedChunk entry;
      if (values[i].has_value() && ParseEntry(*values[i], &entry)) {
        out[i] = StatOf(ids[i], entry);
      }
    }
    return out;
  }

  absl::StatusOr<std::vector<bool>> Touch(const std::vector<Digest>& ids) override {
    std::lock_guard lock(index_mu_);
    ASSIGN_OR_RETURN(auto values, db_->MultiGet(Cf::kChunkPacks, Keys(ids)));
    std::vector<bool> out(ids.size());
    rocksdb::WriteBatch batch;
    const int64_t now = NowUs();
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!values[i].has_value()) continue;
      store::PackedChunk entry;
      if (!ParseEntry(*values[i], &entry)) return MalformedRecord(ids[i]);
      entry.set_referenced_us(now);
      batch.Put(db_->cf(Cf::kChunkPacks), ChunkKey(ids[i]), entry.SerializeAsString());
      out[i] = true;
    }
    if (batch.Count() > 0) RETURN_IF_ERROR(db_->WriteUnlocked(&batch, /*sync=*/false));
    return out;
  }

  absl::Status Delete(const std::vector<Digest>& ids) override {
    if (ids.empty()) return absl::OkStatus();
    rocksdb::WriteBatch batch;
    for (const Digest& id : ids) batch.Delete(db_->cf(Cf::kChunkPacks), ChunkKey(id));
    std::lock_guard lock(index_mu_);
    RETURN_IF_ERROR(db_->WriteUnlocked(&batch, /*sync=*/false));
    dirty_ = true;
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Reclaim(const ReclaimProgress& progress) override {
    std::lock_guard reclaiming(reclaim_mu_);
    // Live bytes per pack, from the chunks' entries.
    std::map<std::string, uint64_t> live;
    RETURN_IF_ERROR(ForEachEntry([&](const Digest&, const store::PackedChunk& entry) {
      live[entry.pack()] += entry.stored_size();
    }));
    // Packs nothing lives in are deleted; packs at least half deleted are rewritten.
    std::vector<std::string> empty;
    std::set<std::string> sparse;
    {
      auto it = db_->Scan(Cf::kChunkPacks, "p");
      for (; it->Valid(); it->Next()) {
        const std::string pack(it->key().substr(1));
        if (Writing(pack)) continue;
        store::PackRecord record;
        if (!record.ParseFromArray(it->value().data(),
                                   static_cast<int>(it->value().size()))) {
          return absl::DataLossError(absl::StrCat("the record of pack ", Where(PackKey(pack)),
                                                  " is malformed"));
        }
        const auto found = live.find(pack);
        const uint64_t bytes = found == live.end() ? 0 : found->second;
        if (bytes == 0) {
          empty.push_back(pack);
        } else if (2 * bytes <= record.bytes()) {
          sparse.insert(pack);
        }
      }
      RETURN_IF_ERROR(it->status());
    }
    const uint64_t total = empty.size() + sparse.size();
    uint64_t done = 0;
    const auto report = [&] {
      if (progress) progress(done, total);
    };
    report();
    for (const std::string& pack : empty) {
      RETURN_IF_ERROR(DropPacks({pack}));
      ++done;
      report();
    }
    uint64_t rewritten = 0;
    if (!sparse.empty()) {
      ASSIGN_OR_RETURN(rewritten, Repack(sparse, [&](uint64_t packs) {
                         done += packs;
                         report();
                       }));
    }
    done = total;
    report();
    return rewritten;
  }

  uint64_t ApproximateCount() override {
    uint64_t n = 0;
    db_->raw()->GetIntProperty(db_->cf(Cf::kChunkPacks), "rocksdb.estimate-num-keys", &n);
    return n;
  }

 private:
  std::string PackKey(absl::string_view pack) const {
    const std::string hex = absl::BytesToHexString(pack);
    return absl::StrCat(options_.prefix, options_.prefix.empty() ? "" : "/", "packs/",
                        hex.substr(0, 2), "/", hex);
  }
  std::string Where(const std::string& key) const {
    return absl::StrCat("s3://", options_.s3.bucket, "/", key);
  }
  static std::vector<std::string> Keys(const std::vector<Digest>& ids) {
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (const Digest& id : ids) keys.push_back(ChunkKey(id));
    return keys;
  }

  // The `size` bytes of pack object `key` from `offset`: a segment, through the cache.
  absl::StatusOr<std::shared_ptr<const std::string>> FetchSegment(const std::string& key,
                                                                  uint64_t offset,
                                                                  uint64_t size) {
    return cache_.Get(SegmentKey(key, offset), [&]() -> absl::StatusOr<std::string> {
      ASSIGN_OR_RETURN(S3Client * s3, Client());
      return s3->Get(key, offset, size);
    });
  }

  // Fetches `segments` into the cache, in order, on kAheadThreads threads (started on
  // first use), keeping at most half of the cache queued and skipping those
  // cached or queued. Errors are left for a reader to meet.
  struct Ahead {
    std::string key;
    uint64_t offset, size;
  };
  void ReadAhead(const std::vector<Ahead>& segments) {
    static constexpr int kAheadThreads = 3;
    std::lock_guard lock(ahead_mu_);
    if (stopping_) return;
    for (const Ahead& segment : segments) {
      if (ahead_bytes_ + segment.size > options_.cache_bytes / 2) break;
      const std::string key = SegmentKey(segment.key, segment.offset);
      if (cache_.Has(key) || !ahead_keys_.insert(key).second) continue;
      ahead_.push_back(segment);
      ahead_bytes_ += segment.size;
    }
    while (ahead_threads_.size() < kAheadThreads && !ahead_.empty()) {
      ahead_threads_.emplace_back([this] {
        std::unique_lock lock(ahead_mu_);
        while (true) {
          ahead_cv_.wait(lock, [&] { return stopping_ || !ahead_.empty(); });
          if (stopping_) return;
          const Ahead next = ahead_.front();
          ahead_.pop_front();
          lock.unlock();
          (void)FetchSegment(next.key, next.offset, next.size);
          lock.lock();
          ahead_bytes_ -= next.size;
          ahead_keys_.erase(SegmentKey(next.key, next.offset));
        }
      });
    }
    ahead_cv_.notify_all();
  }

  absl::StatusOr<S3Client*> Client() {
    if (!s3_.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot reach the chunks in s3://", options_.s3.bucket, ": ", s3_.status().message()));
    }
    return s3_->get();
  }

  bool Writing(const std::string& pack) {
    std::lock_guard lock(flight_mu_);
    return in_flight_.contains(pack);
  }

  // Calls `visit` with every chunk's entry. Errors: DataLoss for a malformed one.
  absl::Status ForEachEntry(
      const std::function<void(const Digest&, const store::PackedChunk&)>& visit) {
    S3ChunkCursor cursor(db_->Scan(Cf::kChunkPacks, "c"));
    for (; cursor.Valid(); cursor.Next()) {
      store::PackedChunk entry;
      if (!ParseEntry(cursor.value(), &entry)) return MalformedRecord(cursor.id());
      visit(cursor.id(), entry);
    }
    return cursor.status();
  }

  // Records `packs` (finished), uploads them, then writes their chunks' entries, which
  // `index` puts in the batch it is given (under index_mu_).
  absl::Status StorePacks(std::vector<Pack>& packs,
                          const std::function<absl::Status(rocksdb::WriteBatch&)>& index) {
    {
      std::lock_guard lock(flight_mu_);
      for (const Pack& pack : packs) in_flight_.insert(pack.id);
    }
    absl::Cleanup landed = [&] {
      std::lock_guard lock(flight_mu_);
      for (const Pack& pack : packs) in_flight_.erase(pack.id);
    };
    rocksdb::WriteBatch records;
    const int64_t now = NowUs();
    for (const Pack& pack : packs) {
      store::PackRecord record;
      record.set_bytes(pack.bytes.size());
      record.set_chunks(static_cast<uint32_t>(pack.chunks.size()));
      record.set_created_us(now);
      records.Put(db_->cf(Cf::kChunkPacks), PackRecordKey(pack.id),
                  record.SerializeAsString());
    }
    RETURN_IF_ERROR(db_->WriteUnlocked(&records, /*sync=*/false));
    std::vector<std::pair<std::string, std::string>> objects;
    objects.reserve(packs.size());
    for (Pack& pack : packs) objects.emplace_back(PackKey(pack.id), std::move(pack.bytes));
    ASSIGN_OR_RETURN(S3Client * s3, Client());
    RETURN_IF_ERROR(s3->PutMany(objects, options_.parallel));
    rocksdb::WriteBatch batch;
    std::lock_guard lock(index_mu_);
    RETURN_IF_ERROR(index(batch));
    if (batch.Count() > 0) RETURN_IF_ERROR(db_->WriteUnlocked(&batch, /*sync=*/false));
    dirty_ = true;
    return absl::OkStatus();
  }

  // Deletes the objects of `packs`, which no entry names, then their records.
  absl::Status DropPacks(const std::vector<std::string>& packs) {
    ASSIGN_OR_RETURN(S3Client * s3, Client());
    rocksdb::WriteBatch batch;
    for (const std::string& pack : packs) {
      RETURN_IF_ERROR(s3->Delete(PackKey(pack)));
      batch.Delete(db_->cf(Cf::kChunkPacks), PackRecordKey(pack));
    }
    return db_->WriteUnlocked(&batch, /*sync=*/true);
  }

  // Moves the live chunks of `sparse` packs into new packs, then deletes the old
  // ones; `advanced(n)` after n old packs are done. Returns the bytes moved.
  absl::StatusOr<uint64_t> Repack(const std::set<std::string>& sparse,
                                  const std::function<void(uint64_t)>& advanced) {
    std::map<std::string, std::vector<std::pair<Digest, store::PackedChunk>>> members;
    RETURN_IF_ERROR(ForEachEntry([&](const Digest& id, const store::PackedChunk& entry) {
      if (sparse.contains(entry.pack())) members[entry.pack()].emplace_back(id, entry);
    }));
    uint64_t moved = 0;
    std::vector<Pack> building(1);
    std::vector<std::string> old;
    const auto flush = [&]() -> absl::Status {
      if (building.back().chunks.empty()) return absl::OkStatus();
      building.back().Finish();
      RETURN_IF_ERROR(StorePacks(building, [&](rocksdb::WriteBatch& batch) -> absl::Status {
        // Only entries still in their old pack move (a chunk deleted meanwhile stays
        // deleted).
        for (const auto& [id, entry] : building.back().chunks) {
          ASSIGN_OR_RETURN(auto now, db_->Get(Cf::kChunkPacks, ChunkKey(id)));
          store::PackedChunk current;
          if (!now.has_value() || !ParseEntry(*now, &current) ||
              std::find(old.begin(), old.end(), current.pack()) == old.end()) {
            continue;
          }
          store::PackedChunk moved_entry = entry;
          moved_entry.set_created_us(current.created_us());
          moved_entry.set_referenced_us(current.referenced_us());
          batch.Put(db_->cf(Cf::kChunkPacks), ChunkKey(id), moved_entry.SerializeAsString());
        }
        return absl::OkStatus();
      }));
      RETURN_IF_ERROR(Sync());
      RETURN_IF_ERROR(DropPacks(old));
      advanced(old.size());
      old.clear();
      building.assign(1, Pack());
      return absl::OkStatus();
    };
    for (const auto& [pack, chunks] : members) {
      const std::string key = PackKey(pack);
      ASSIGN_OR_RETURN(S3Client * s3, Client());
      absl::StatusOr<std::string> bytes = s3->Get(key);
      if (!bytes.ok()) {
        if (absl::IsNotFound(bytes.status())) {
          return absl::DataLossError(absl::StrCat(
              "chunk ", chunks.front().first.Hex(), " is missing: its pack ", Where(key),
              " is not in the object store"));
        }
        return bytes.status();
      }
      for (const auto& [id, entry] : chunks) {
        if (entry.offset() + entry.stored_size() > bytes->size()) {
          return absl::DataLossError(absl::StrCat("chunk ", id.Hex(), " is damaged: its pack ",
                                                  Where(key), " is shorter than recorded"));
        }
        building.back().Add(id,
                            absl::string_view(*bytes).substr(entry.offset(),
                                                              entry.stored_size()),
                            entry, options_.segment_bytes);
        moved += entry.stored_size();
      }
      old.push_back(pack);
      if (building.back().bytes.size() >= options_.pack_bytes) RETURN_IF_ERROR(flush());
    }
    RETURN_IF_ERROR(flush());
    // Sparse packs whose chunks were all deleted since the first scan.
    std::vector<std::string> left;
    for (const std::string& pack : sparse) {
      if (!members.contains(pack)) left.push_back(pack);
    }
    if (!left.empty()) {
      RETURN_IF_ERROR(DropPacks(left));
      advanced(left.size());
    }
    return moved;
  }

  const S3ChunkStoreOptions options_;
  absl::StatusOr<std::unique_ptr<S3Client>> s3_;
  internal::Db* db_;
  SegmentCache cache_;
  std::mutex index_mu_;    // read-modify-writes of entries (Touch, Repack's switch)
  std::mutex reclaim_mu_;  // one Reclaim at a time
  std::mutex flight_mu_;
  std::set<std::string> in_flight_;  // packs recorded whose entries are not written yet
  std::atomic<bool> dirty_{false};   // index writes since the last Sync
  std::mutex ahead_mu_;
  std::condition_variable ahead_cv_;
  std::deque<Ahead> ahead_;           // segments to read ahead, in order
  std::set<std::string> ahead_keys_;  // their cache keys, and those being fetched
  uint64_t ahead_bytes_ = 0;          // their bytes
  bool stopping_ = false;
  std::vector<std::thread> ahead_threads_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ChunkStore>> NewS3ChunkStore(S3ChunkStoreOptions options,
                                                            internal::Db* db) {
  if (options.pack_bytes == 0 || options.segment_bytes == 0 || options.parallel < 1) {
    return absl::InvalidArgumentError(
        "pack and segment sizes and uploads in flight must be positive");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<S3Client> s3, S3Client::Open(options.s3));
  return std::make_unique<S3ChunkStore>(std::move(options), std::move(s3), db);
}

namespace {

// Reads aws_access_key_id and aws_secret_access_key from an AWS credentials file
// ([default] profile, or no profile) or KEY=VALUE lines.
absl::Status ReadCredentials(const std::string& path, S3Options* s3) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read S3 credentials file ", path));
  }
  std::string line, section;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::string_view text = line;
    if (number == 1) absl::ConsumePrefix(&text, "\xEF\xBB\xBF");  // a UTF-8 BOM (Notepad)
    text = absl::StripAsciiWhitespace(text);  // and a CRLF's '\r'

    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[') {
      if (text.back() != ']') {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", number, ": a section header without ']'"));
      }
      section = std::string(absl::StripAsciiWhitespace(text.substr(1, text.size() - 2)));
      continue;
    }
    if (!section.empty() && section != "default") continue;
    const size_t eq = text.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": expected NAME = VALUE"));
    }
    const std::string name =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(text.substr(0, eq)));
    const std::string value(absl::StripAsciiWhitespace(text.substr(eq + 1)));
    if (name == "aws_access_key_id") s3->access_key = value;
    if (name == "aws_secret_access_key") s3->secret_key = value;
  }
  if (s3->access_key.empty() || s3->secret_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("S3 credentials file ", path,
                     " has no aws_access_key_id and aws_secret_access_key (in [default])"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<S3ChunkStoreOptions> S3ChunkStoreOptionsOf(const ChunkBackend& backend) {
  absl::string_view rest = backend.url;
  if (!absl::ConsumePrefix(&rest, "s3://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an s3:// chunk location: ", backend.url));
  }
  S3ChunkStoreOptions options;
  const size_t slash = rest.find('/');
  options.s3.bucket = std::string(rest.substr(0, slash));
  if (slash != absl::string_view::npos) {
    absl::string_view prefix = rest.substr(slash + 1);
    while (absl::ConsumeSuffix(&prefix, "/")) {
    }
    options.prefix = std::string(prefix);
  }
  if (options.s3.bucket.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk location ", backend.url, " names no bucket (s3://BUCKET/PREFIX)"));
  }
  if (backend.endpoint.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunks in ", backend.url,
                     " need the object store's endpoint (--s3-endpoint http(s)://HOST:PORT)"));
  }
  options.s3.endpoint = backend.endpoint;
  if (!backend.region.empty()) options.s3.region = backend.region;
  if (!backend.credentials_file.empty()) {
    RETURN_IF_ERROR(ReadCredentials(backend.credentials_file, &options.s3));
  }
  return options;
}

void RegisterS3ChunkBackend() {
  RegisterChunkBackend(
      "s3",
      [](const ChunkBackend& backend, internal::Db* db,
         BackendUse use) -> absl::StatusOr<std::unique_ptr<ChunkStore>> {
        ASSIGN_OR_RETURN(S3ChunkStoreOptions options, S3ChunkStoreOptionsOf(backend));
        if (use == BackendUse::kPrepare) {
          ASSIGN_OR_RETURN(std::unique_ptr<S3Client> s3, S3Client::Open(options.s3));
          RETURN_IF_ERROR(s3->CreateBucket());
        }
        if (use == BackendUse::kOpen) {
          // Keys missing here fail only the commands that need chunks: metadata
          // (ls, lineage, log) stays readable.
          absl::StatusOr<std::unique_ptr<S3Client>> s3 = S3Client::Open(options.s3);
          return std::make_unique<S3ChunkStore>(std::move(options), std::move(s3), db);
        }
        return NewS3ChunkStore(std::move(options), db);
      });
}

}  // namespace strata
