// Test helpers: scratch directories and stores that clean up after themselves.
#ifndef STRATA_TESTS_TESTING_H_
#define STRATA_TESTS_TESTING_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "store/store.h"

namespace strata::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on
// destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Opens (creating) a store in `dir` without fsync, for speed; aborts the test on
// failure.
std::unique_ptr<Store> OpenTestStore(const std::string& dir, bool sync = false);

// The definitions file of the feature store issue: one entity, one feature view.
inline constexpr absl::string_view kExampleDefinitions = R"(entities:
  - name: customer
    join_keys:
      - {name: customer_id, type: int64}
feature_views:
  - name: customer_stats
    entities: [customer]
    ttl: 7d
    features:
      - {name: spend_7d, type: double}
      - {name: segment, type: string}
)";

// A fixture with a fresh store (no fsync) in a scratch directory.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenTestStore(dir_.Sub("store")); }
  // Stores `data` as content; fails the test on error.
  PutStats PutContent(absl::string_view data);
  // The raw 32-byte ids of the chunks of stored content `content_id`, in order, as
  // its manifest lists them; fails the test when there is no readable manifest.
  std::vector<std::string> ManifestChunks(absl::string_view content_id);
  // Stores `data` and commits it as the next version of `artifact` ("KIND/NAME"),
  // made from `inputs`, with `alias` if not empty; fails the test on error.
  store::Version CommitContent(const std::string& artifact, absl::string_view data,
                               std::vector<std::string> inputs = {},
                               const std::string& alias = "");

  ScratchDir dir_;
  std::unique_ptr<Store> store_;
};

// `n` pseudo-random bytes from `rng`; `compressible` draws from a small alphabet.
std::string RandomBytes(std::mt19937_64& rng, size_t n, bool compressible = false);

// Rounds of a crash test: $STRATA_CRASH_ITERATIONS, else `default_rounds`.
int CrashIterations(int default_rounds);

// A seed from $STRATA_TEST_SEED, else random; printed so a failure can be replayed.
uint64_t TestSeed();

}  // namespace strata::testing

#endif  // STRATA_TESTS_TESTING_H_
