#include "features/feature_log.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "store/internal/db.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;

// Keys stepped over with Next before a cursor seeks instead.
constexpr int kMaxSteps = 16;

}  // namespace

FeatureLog::FeatureLog(const internal::Db& db, const rocksdb::Snapshot* snapshot,
                       uint32_t view_id, std::string name)
    : db_(db), snapshot_(snapshot), name_(std::move(name)) {
  codec::PutBE32(&prefix_, view_id);
  codec::PutBE32(&prefix_end_, view_id + 1);
  upper_ = rocksdb::Slice(prefix_end_);
}

std::unique_ptr<rocksdb::Iterator> FeatureLog::NewIterator(ReadMode mode) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_;
  ro.iterate_upper_bound = &upper_;
  if (mode.sweep) {
    ro.readahead_size = 4 << 20;
    ro.fill_cache = false;
  }
  return std::unique_ptr<rocksdb::Iterator>(
      db_.raw()->NewIterator(ro, db_.cf(Cf::kFeatureLog)));
}

absl::Status FeatureLog::Malformed(absl::string_view what) const {
  return absl::DataLossError(absl::StrCat("malformed feature log ", what, " of view ", name_));
}

FeatureLog::EntityChunks FeatureLog::Entities(const IngestPosition& at,
                                              ReadMode mode) const {
  return EntityChunks(this, &at, mode);
}

FeatureLog::EntityChunks::EntityChunks(const FeatureLog* log, const IngestPosition* at,
                                       ReadMode mode)
    : log_(log), at_(at), it_(log->NewIterator(mode)) {}

void FeatureLog::EntityChunks::Seek(absl::string_view entity) {
  entity_.assign(entity.data(), entity.size());
  fresh_ = true;
  const rocksdb::Slice prefix(entity.data(), entity.size());
  for (int step = 0; step < kMaxSteps && it_->Valid(); ++step) {
    if (it_->key().compare(prefix) >= 0) return;
    it_->Next();
  }
  it_->Seek(prefix);
}

bool FeatureLog::EntityChunks::Next() {
  for (;;) {
    if (!fresh_) it_->Next();
    fresh_ = false;
    if (!it_->Valid()) {
      status_ = internal::FromRocks(it_->status(), "reading the feature log");
      return false;
    }
    const rocksdb::Slice key = it_->key();
    if (key.size() != entity_.size() + codec::kLogChunkSuffixBytes ||
        !key.starts_with(entity_)) {
      // Left on the key: the next entity's Seek may start from it.
      fresh_ = true;
      return false;
    }
    ingest_ = codec::LogChunkIngest({key.data(), key.size()});
    if (!at_->Includes(ingest_)) continue;
    const rocksdb::Slice value = it_->value();
    if (!chunk_.Parse({value.data(), value.size()})) {
      status_ = log_->Malformed("chunk");
      return false;
    }
    return true;
  }
}

FeatureLog::ChunkScan FeatureLog::Chunks(const IngestPosition& at) const {
  return ChunkScan(this, &at);
}

FeatureLog::ChunkScan::ChunkScan(const FeatureLog* log, const IngestPosition* at)
    : log_(log), at_(at), it_(log->NewIterator({.sweep = true})) {}

bool FeatureLog::ChunkScan::Next() {
  if (!status_.ok()) return false;
  if (started_) {
    it_->Next();
  } else {
    it_->Seek(log_->prefix_);
    started_ = true;
  }
  if (!it_->Valid()) {
    status_ = internal::FromRocks(it_->status(), "reading the feature log");
    return false;
  }
  if (it_->key().size() < log_->prefix_.size() + codec::kLogChunkSuffixBytes) {
    status_ = log_->Malformed("key");
    return false;
  }
  ingest_ = codec::LogChunkIngest(key());
  visible_ = at_->Includes(ingest_);
  if (visible_ && !chunk_.Parse(value())) {
    status_ = log_->Malformed("chunk");
    return false;
  }
  return true;
}

uint64_t FeatureLog::ApproximateBytes() const {
  uint64_t total = 0;
  rocksdb::Range range(prefix_, prefix_end_);
  rocksdb::SizeApproximationOptions sizes;
  sizes.include_memtables = true;
  sizes.include_files = true;
  db_.raw()
      ->GetApproximateSizes(sizes, db_.cf(Cf::kFeatureLog), &range, 1, &total)
      .PermitUncheckedError();
  return total;
}

absl::StatusOr<std::vector<std::string>> FeatureLog::SampleEntities(
    size_t n, std::mt19937_64* rng) const {
  std::unique_ptr<rocksdb::Iterator> it = NewIterator({});
  const std::string& prefix = prefix_;
  std::set<std::string> entities;
  const auto entity_of = [](const rocksdb::Slice& key) {
    return std::string(key.data(), key.size() - codec::kLogChunkSuffixBytes);
  };
  const auto usable = [&](const rocksdb::Slice& key) {
    return key.size() >= prefix.size() + codec::kLogChunkSuffixBytes;
  };
  bool whole = true;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    if (!usable(it->key())) continue;
    std::string e = entity_of(it->key());
    if (entities.count(e) == 0 && entities.size() == n) {
      whole = false;
      break;
    }
    entities.insert(std::move(e));
  }
  RETURN_IF_ERROR(internal::FromRocks(it->status(), "reading the feature log"));
  if (!whole) {
    entities.clear();
    it->SeekToLast();
    const std::string last = it->Valid() ? it->key().ToString() : prefix;
    it->Seek(prefix);
    const std::string first = it->Valid() ? it->key().ToString() : prefix;
    size_t common = 0;
    while (common < first.size() && common < last.size() &&
           first[common] == last[common]) {
      ++common;
    }
    const uint64_t lo = codec::KeyWord(first.data(), first.size(), common);
    const uint64_t hi = codec::KeyWord(last.data(), last.size(), common);
    std::uniform_int_distribution<uint64_t> draw(lo, std::max(lo, hi));
    for (size_t attempt = 0; entities.size() < n && attempt < 4 * n; ++attempt) {
      std::string target = first.substr(0, common);
      codec::PutBE64(&target, draw(*rng));
      it->Seek(target);
      if (!it->Valid()) it->Seek(prefix);
      if (it->Valid() && usable(it->key())) entities.insert(entity_of(it->key()));
    }
    RETURN_IF_ERROR(internal::FromRocks(it->status(), "reading the feature log"));
  }
  return std::vector<std::string>(entities.begin(), entities.end());
}

namespace {

// A row of one entity in the window, copied out of its chunk.
struct HeldRow {
  codec::RowStamp stamp;
  std::string row;
};

// Calls `fn` for the row in force at each event time of `rows` (one entity's),
// newest event first; empties `rows`.
absl::Status EmitWindowRows(
    absl::string_view entity, std::vector<HeldRow>* rows,
    const std::function<absl::Status(const FeatureLog::WindowRow&)>& fn) {
  std::sort(rows->begin(), rows->end(),
            [](const HeldRow& a, const HeldRow& b) { return a.stamp > b.stamp; });
  for (size_t i = 0; i < rows->size(); ++i) {
    const HeldRow& r = (*rows)[i];
    if (i > 0 && (*rows)[i - 1].stamp.event == r.stamp.event) continue;
    RETURN_IF_ERROR(fn({entity, r.stamp, r.row}));
  }
  rows->clear();
  return absl::OkStatus();
}

}  // namespace

absl::Status FeatureLog::ScanWindow(
    Micros from, Micros to, const LogVisibility& rules,
    const std::function<absl::Status(const WindowRow&)>& fn) const {
  ChunkScan scan = Chunks(rules.at);
  std::string entity;
  std::vector<HeldRow> rows;
  while (scan.Next()) {
    if (scan.entity() != entity) {
      RETURN_IF_ERROR(EmitWindowRows(entity, &rows, fn));
      entity.assign(scan.entity().data(), scan.entity().size());
    }
    if (!scan.visible()) continue;
    const codec::LogChunk& chunk = scan.chunk();
    // Rows descend by event time: from the first before `to` down to `from`.
    for (size_t r = to == INT64_MIN ? chunk.size() : chunk.FirstAtOrBefore(to - 1);
         r < chunk.size() && chunk.event(r) >= from; ++r) {
      const Micros created = chunk.created(r);
      if (rules.as_of.has_value() && created > *rules.as_of) continue;
      if (rules.created_cutoff && created > chunk.event(r)) continue;
      rows.push_back({{chunk.event(r), created, scan.ingest()}, std::string(chunk.row(r))});
    }
  }
  RETURN_IF_ERROR(scan.status());
  return EmitWindowRows(entity, &rows, fn);
}

}  // namespace strata::features
