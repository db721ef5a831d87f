#include "features/served_log.h"

#include <chrono>
#include <random>
#include <utility>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/tables.h"
#include "features/view_catalog.h"
#include "store/database.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;

// Samples written per RocksDB write; a busy server's queue is written in batches
// of this many, an idle one's every kWriteInterval.
constexpr size_t kBatchSamples = 4096;
constexpr auto kWriteInterval = std::chrono::milliseconds(100);

// splitmix64: a fast generator per thread, seeded from the thread and the clock.
uint64_t NextRandom() {
  thread_local uint64_t state =
      std::random_device{}() ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void SetServedValue(const Value& v, ServedValue* out) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) {
    out->set_int64_value(*i);
  } else if (const double* d = std::get_if<double>(&v)) {
    out->set_double_value(*d);
  } else if (const bool* b = std::get_if<bool>(&v)) {
    out->set_bool_value(*b);
  } else if (const std::string* s = std::get_if<std::string>(&v)) {
    out->set_string_value(*s);
  }
}

}  // namespace

std::string ServedPrefix(absl::string_view view) {
  std::string key(view);
  key.push_back('\0');
  return key;
}

std::string ServedKey(absl::string_view view, Micros served_at, uint64_t sequence) {
  std::string key = ServedPrefix(view);
  codec::PutBE64(&key, codec::Ordered(served_at));
  codec::PutBE64(&key, sequence);
  return key;
}

ServedLog::ServedLog(internal::Db* db, const ServedLogOptions& options)
    : db_(db),
      options_(options),
      // Rows of one view served in the same microsecond by two server runs must
      // not share a key: each run numbers its rows from a random start.
      sequence_(NextRandom() >> 1),
      writer_([this] { Run(); }) {}

ServedLog::~ServedLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

bool ServedLog::Sample() const {
  if (options_.fraction >= 1) return true;
  // 53 random bits as a double in [0, 1).
  return static_cast<double>(NextRandom() >> 11) * 0x1.0p-53 < options_.fraction;
}

void ServedLog::Offer(ServedSample sample) {
  {
    std::lock_guard lock(mu_);
    ++offered_;
    if (queued_rows_ + sample.entities > options_.max_queued) {
      stats_.dropped += sample.entities;
      ++done_;
      return;
    }
    queued_rows_ += sample.entities;
    queue_.push_back(std::move(sample));
    if (queued_rows_ < kBatchSamples) return;
  }
  wake_.notify_one();
}

absl::Status ServedLog::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = offered_;
  ++flushing_;
  wake_.notify_one();
  written_.wait(lock, [&] { return done_ >= target; });
  --flushing_;
  return std::exchange(error_, absl::OkStatus());
}

ServedLogStats ServedLog::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void ServedLog::Run() {
  // Background work: on a busy machine the threads answering requests go first
  // (a full queue drops samples rather than slowing answers). Linux gives each
  // thread its own nice value; a failure leaves the default.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  std::vector<ServedSample> batch;
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait_for(lock, kWriteInterval, [&] {
      return stopping_ ||
             (!queue_.empty() && (flushing_ > 0 || queued_rows_ >= kBatchSamples));
    });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    batch.clear();
    uint64_t rows = 0;
    while (!queue_.empty() && rows < kBatchSamples) {
      rows += queue_.front().entities;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_rows_ -= rows;
    lock.unlock();
    absl::Status s = Write(batch);
    lock.lock();
    if (s.ok()) {
      stats_.logged += rows;
    } else {
      stats_.write_errors += rows;
      if (error_.ok()) error_ = s;
    }
    done_ += batch.size();
    written_.notify_all();
  }
}

absl::Status ServedLog::Write(std::vector<ServedSample>& batch) {
  rocksdb::WriteBatch write;
  absl::flat_hash_map<std::string, uint64_t> added;
  std::string value;
  ServedRow row;
  for (const ServedSample& s : batch) {
    const ResolvedView& view = *s.view;
    const size_t keys = view.join_key_names.size(), features = s.features.size();
    for (size_t e = 0; e < s.entities; ++e) {
      row.Clear();
      row.set_view_version(view.version);
      for (size_t k = 0; k < keys; ++k) {
        SetServedValue(s.keys[e * keys + k], row.add_join_keys());
      }
      for (size_t f = 0; f < features; ++f) {
        row.add_features(view.def.features(s.features[f]).name());
        SetServedValue(s.values[e * features + f], row.add_values());
        row.add_statuses(static_cast<uint32_t>(s.statuses[e * features + f]));
      }
      value.clear();
      row.SerializeToString(&value);
      const std::string key = ServedKey(view.def.name(), s.served_at, sequence_++);
      RETURN_IF_ERROR(internal::FromRocks(
          write.Put(db_->cf(Cf::kFeatureServed), key, value), "served log"));
    }
    added[view.def.name()] += s.entities;
  }
  rocksdb::WriteOptions options;  // the WAL, not synced: a sample is not an ack
  RETURN_IF_ERROR(
      internal::FromRocks(db_->raw()->Write(options, &write), "served log write"));
  for (const auto& [view, n] : added) RETURN_IF_ERROR(Trim(view, n));
  return absl::OkStatus();
}

absl::Status ServedLog::Trim(const std::string& view, uint64_t added) {
  const std::string prefix = ServedPrefix(view);
  auto it = rows_.find(view);
  if (it == rows_.end()) {
    // First write to the view by this process: count what earlier runs kept
    // (this batch's rows included).
    uint64_t n = 0;
    auto c = db_->Scan(Cf::kFeatureServed, prefix);
    for (; c->Valid(); c->Next()) ++n;
    RETURN_IF_ERROR(c->status());
    it = rows_.emplace(view, ViewRows{n, prefix}).first;
  } else {
    it->second.rows += added;
  }
  ViewRows& kept = it->second;
  // Trims in steps of a sixteenth of the bound: fewer, larger deletes.
  const uint64_t bound = options_.max_rows_per_view;
  if (kept.rows <= bound + bound / 16) return absl::OkStatus();
  // Delete the oldest rows, in batches (a lowered bound may drop millions), from
  // where the last trim stopped: the keys before it are deleted, and seeking past
  // them skips their tombstones.
  const uint64_t excess = kept.rows - bound;
  std::unique_ptr<rocksdb::Iterator> c(
      db_->raw()->NewIterator(rocksdb::ReadOptions(), db_->cf(Cf::kFeatureServed)));
  const auto valid = [&] { return c->Valid() && c->key().starts_with(prefix); };
  c->Seek(kept.first_kept);
  rocksdb::WriteBatch deletes;
  uint64_t n = 0;
  for (; n < excess && valid(); c->Next()) {
    deletes.Delete(db_->cf(Cf::kFeatureServed), c->key());
    if (++n % 10000 == 0) {
      RETURN_IF_ERROR(internal::FromRocks(
          db_->raw()->Write(rocksdb::WriteOptions(), &deletes), "served log trim"));
      deletes.Clear();
    }
  }
  RETURN_IF_ERROR(internal::FromRocks(c->status(), "served log trim"));
  if (deletes.Count() > 0) {
    RETURN_IF_ERROR(internal::FromRocks(
        db_->raw()->Write(rocksdb::WriteOptions(), &deletes), "served log trim"));
  }
  kept.first_kept = valid() ? c->key().ToString() : prefix;
  kept.rows -= n;
  std::lock_guard lock(mu_);
  stats_.trimmed += n;
  return absl::OkStatus();
}

namespace {

// `v` as a value of a column of `type`; null when it is of another type (the
// feature's type changed since it was served).
Value ServedToValue(const ServedValue& v, ValueType type) {
  switch (v.value_case()) {
    case ServedValue::kInt64Value:
      if (type == VALUE_TYPE_INT64 || type == VALUE_TYPE_TIMESTAMP) return v.int64_value();
      if (type == VALUE_TYPE_DOUBLE) return static_cast<double>(v.int64_value());
      break;
    case ServedValue::kDoubleValue:
      if (type == VALUE_TYPE_DOUBLE) return v.double_value();
      break;
    case ServedValue::kBoolValue:
      if (type == VALUE_TYPE_BOOL) return v.bool_value();
      break;
    case ServedValue::kStringValue:
      if (type == VALUE_TYPE_STRING || type == VALUE_TYPE_BYTES) return v.string_value();
      break;
    case ServedValue::VALUE_NOT_SET:
      break;
  }
  return std::monostate();
}

}  // namespace

absl::Status FeatureStore::ScanServed(
    const WindowScanRequest& request,
    const std::function<absl::Status(const std::vector<WindowColumn>&)>& columns,
    const std::function<absl::Status(const std::vector<Value>&)>& row) const {
  if (request.as_of.has_value()) {
    return absl::InvalidArgumentError(
        "the served log has no knowledge time: as_of does not apply to it");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const ResolvedView> view,
                   views_->View(request.view, 0));
  // What this process served so far is read too.
  if (served_ != nullptr) RETURN_IF_ERROR(served_->Flush());
  std::vector<WindowColumn> cols;
  for (size_t k = 0; k < view->join_key_names.size(); ++k) {
    cols.push_back({view->join_key_names[k], view->join_key_types[k]});
  }
  const size_t keys = cols.size();
  cols.push_back({"served_timestamp", VALUE_TYPE_TIMESTAMP});
  for (const Feature& f : view->def.features()) cols.push_back({f.name(), f.type()});
  RETURN_IF_ERROR(columns(cols));

  const internal::Db& db = DatabaseOf(*store_);
  const std::string prefix = ServedPrefix(request.view);
  const std::string start = ServedKey(request.view, request.from, 0);
  const std::string end = ServedKey(request.view, request.to, 0);
  rocksdb::ReadOptions options;
  const rocksdb::Slice upper(end);
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db.raw()->NewIterator(options, db.cf(internal::Cf::kFeatureServed)));
  std::vector<Value> values(cols.size());
  ServedRow served;
  for (it->Seek(start); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != prefix.size() + 16 || !key.starts_with(prefix) ||
        !served.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) ||
        served.values_size() != served.features_size()) {
      return absl::DataLossError(absl::StrCat("malformed served log row of feature view ",
                                              request.view));
    }
    std::fill(values.begin(), values.end(), Value());
    for (size_t k = 0; k < keys && k < static_cast<size_t>(served.join_keys_size()); ++k) {
      values[k] = ServedToValue(served.join_keys(static_cast<int>(k)), cols[k].type);
    }
    values[keys] = codec::Unordered(codec::GetBE64(key.data() + prefix.size()));
    for (int f = 0; f < served.features_size(); ++f) {
      const int index = view->FeatureIndex(served.features(f));
      if (index < 0) continue;  // no longer a feature of the view
      const size_t c = keys + 1 + static_cast<size_t>(index);
      values[c] = ServedToValue(served.values(f), cols[c].type);
    }
    RETURN_IF_ERROR(row(values));
  }
  return internal::FromRocks(it->status(), "served log read");
}

}  // namespace strata::features
