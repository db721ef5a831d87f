// ServedLog: a sample of the online answers a server gives (`strata serve
// --log-served FRACTION`), kept in the store so that what a model was served can be
// compared with what it was trained on (`strata drift dataset/TRAIN@N
// served:featureview/NAME[FROM..TO]`; docs/quality.md, "Training/serving skew").
// Internal to features/: FeatureStore owns one when FeatureStoreOptions::served_log
// asks for it, offers it every answer of Online, and reads it back in ScanServed.
//
// Each entity of an answer is sampled with probability `fraction`; a sampled entity
// is logged once per view the answer read, with the view's requested features, their
// values and statuses, and the time of the answer. The request thread only copies
// the sampled values into a bounded queue; a writer thread writes the queue to the
// `feature_served` column family in batches (RocksDB's write-ahead log on, not
// synced: a sample survives the server's crash once its batch is written, within
// about 100 ms, and every queued sample is written when the log is closed). A full
// queue drops new samples and counts them. Each view keeps `max_rows_per_view`
// rows (up to a sixteenth more between trims): the oldest are deleted first.
#ifndef STRATA_FEATURES_SERVED_LOG_H_
#define STRATA_FEATURES_SERVED_LOG_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "features/feature_store.h"
#include "features/served_log.pb.h"
#include "features/tables.h"
#include "store/internal/db.h"

namespace strata::features {

// The sampled entities of one answer, for one view: copied by the request thread
// (no encoding there), written by the log's writer as one ServedRow per entity.
struct ServedSample {
  std::shared_ptr<const ResolvedView> view;  // the definition the answer read
  Micros served_at = 0;        // the time the answer was computed for ("now")
  std::vector<int> features;   // indexes in view->def of the features answered
  size_t entities = 0;
  std::vector<Value> keys;     // entities x the view's join keys
  std::vector<Value> values;   // entities x features: null unless PRESENT
  std::vector<FeatureStatus> statuses;  // entities x features
};

// The served log's key of `view`'s row served at `served_at`, number `sequence`:
// NAME 0x00 BE64(served_at with its sign bit flipped) BE64(sequence).
std::string ServedKey(absl::string_view view, Micros served_at, uint64_t sequence);
// NAME 0x00: the prefix of every row of `view`.
std::string ServedPrefix(absl::string_view view);

// Thread-safe. Does not own `db`, which must outlive it.
class ServedLog {
 public:
  // REQUIRES: 0 < options.fraction <= 1, options.max_rows_per_view > 0.
  ServedLog(internal::Db* db, const ServedLogOptions& options);
  // Writes every queued sample, then stops the writer.
  ~ServedLog();
  ServedLog(const ServedLog&) = delete;
  ServedLog& operator=(const ServedLog&) = delete;

  // True with probability `fraction` (a per-thread generator: no lock).
  bool Sample() const;

  // Queues `sample` for the writer; drops it (and counts its entities) when the
  // queue is full.
  void Offer(ServedSample sample);

  // Returns once every sample offered before the call is written (or dropped), with
  // the first write error since the last Flush.
  absl::Status Flush();

  ServedLogStats stats() const;

 private:
  void Run();
  // Writes `batch` and trims the views it wrote to. Called by the writer only.
  absl::Status Write(std::vector<ServedSample>& batch);
  absl::Status Trim(const std::string& view, uint64_t added);

  struct ViewRows {
    uint64_t rows = 0;       // rows kept
    std::string first_kept;  // where the last trim stopped (deleted keys sort before)
  };

  internal::Db* const db_;
  const ServedLogOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;     // the writer: samples queued, or stopping
  std::condition_variable written_;  // Flush: a batch was written
  std::deque<ServedSample> queue_;
  size_t queued_rows_ = 0;
  bool stopping_ = false;
  int flushing_ = 0;      // Flush calls waiting
  uint64_t offered_ = 0;  // samples accepted or dropped, in Offer order
  uint64_t done_ = 0;     // of those, written or dropped
  absl::Status error_;    // the first write error since the last Flush
  ServedLogStats stats_;

  // The writer's own state.
  uint64_t sequence_;                                // the next row's number
  absl::flat_hash_map<std::string, ViewRows> rows_;  // per view written to
  std::thread writer_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_SERVED_LOG_H_
