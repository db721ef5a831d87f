// A test fixture: a fresh store with feature definitions applied and a FeatureStore
// over it, and the helpers the feature tests share. Test-only.
#ifndef STRATA_FEATURES_FEATURE_STORE_TESTING_H_
#define STRATA_FEATURES_FEATURE_STORE_TESTING_H_

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "features/codec.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "store/database.h"
#include "store/internal/db.h"
#include "tests/testing.h"

namespace strata::features {

// One entity (customer, an int64 join key) and one view, clicks, of one int64
// feature x: the smallest definitions a feature test applies. Tests that need more
// append to it (a view's further keys and features go at its end).
inline constexpr absl::string_view kClicksDefinitions = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: clicks
    entities: [customer]
    features:
      - {name: x, type: int64}
)";

// The event time of a millisecond epoch of 2026-12-03 read as seconds, which pushes
// took before they were checked against the plausible time: 58891-03-01T00:00:00Z.
inline constexpr Micros kYear58891 = 1'796'258'419'200LL * 1'000'000;

// The damage such a push did, made below the API (which now refuses it): the online
// row of entity `id` (one int64 join key) of the view with id `view_id` gets a merge
// operand holding its values with event time `event`, which beats every later row.
// Fails the test when the entity has no online row.
inline void MergeOnlineRowAt(Store& store, uint32_t view_id, int64_t id, Micros event) {
  std::string key;
  codec::PutBE32(&key, view_id);
  codec::AppendEntityPart(&key, Value(id));
  internal::Db& db = DatabaseOf(store);
  std::string value;
  ASSERT_TRUE(db.raw()
                  ->Get(rocksdb::ReadOptions(), db.cf(internal::Cf::kFeatureOnline), key,
                        &value)
                  .ok());
  const codec::RowStamp stamp = codec::DecodeOnlineHeader(value);
  std::string bad;
  codec::AppendOnlineHeader(&bad, event, stamp.created, stamp.ingest);
  bad += value.substr(codec::kOnlineHeaderBytes);
  ASSERT_TRUE(
      db.raw()
          ->Merge(rocksdb::WriteOptions(), db.cf(internal::Cf::kFeatureOnline), key, bad)
          .ok());
}

class FeatureStoreFixture : public strata::testing::StoreTest {
 protected:
  // Applies `definitions` (YAML) and opens fs_. Call from SetUp, after StoreTest's.
  void ApplyDefinitions(absl::string_view definitions) {
    auto defs = ParseDefinitions(definitions, "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    fs_ = std::make_unique<FeatureStore>(store_.get());
    ASSERT_TRUE(fs_->registry().Apply(*defs, "test", "").ok());
  }

  // Writes `text` to `name` in the test's directory; returns its path.
  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // The result of `request` over the spine `spine` (CSV text).
  absl::StatusOr<std::string> Retrieve(const HistoricalRequest& request,
                                       const std::string& spine) {
    auto source = StringSource(spine);
    std::string out;
    auto sink = StringSink(&out);
    auto r = fs_->Historical(request, *source, *sink);
    if (!r.ok()) return r.status();
    return out;
  }

  // Rows in the feature log, any view.
  size_t LogRows() {
    size_t n = 0;
    for (auto c = DatabaseOf(*store_).Scan(internal::Cf::kFeatureLog, ""); c->Valid();
         c->Next()) {
      ++n;
    }
    return n;
  }

  std::unique_ptr<FeatureStore> fs_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_FEATURE_STORE_TESTING_H_
