#include "tests/testing.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "gtest/gtest.h"
#include "store/database.h"
#include "store/internal/db.h"

namespace strata::testing {

ScratchDir::ScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr ? tmp : "/tmp") + "/strata-test-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<Store> OpenTestStore(const std::string& dir, bool sync) {
  StoreOptions options;
  options.create_if_missing = true;
  options.sync = sync;
  auto store = Store::Open(dir, options);
  if (!store.ok()) {
    ADD_FAILURE() << "opening test store: " << store.status();
    std::abort();
  }
  return std::move(*store);
}

PutStats StoreTest::PutContent(absl::string_view data) {
  auto source = StringSource(data);
  auto stats = store_->content().Put(*source);
  EXPECT_TRUE(stats.ok()) << stats.status();
  return stats.ok() ? *stats : PutStats();
}

std::vector<std::string> StoreTest::ManifestChunks(absl::string_view content_id) {
  auto manifest = DatabaseOf(*store_).Get(internal::Cf::kManifests, content_id);
  EXPECT_TRUE(manifest.ok() && manifest->has_value());
  store::Manifest m;
  std::vector<std::string> out;
  if (!manifest.ok() || !manifest->has_value() || !m.ParseFromString(**manifest)) {
    ADD_FAILURE() << "no readable manifest";
    return out;
  }
  for (size_t i = 0; i + 32 <= m.chunk_ids().size(); i += 32) {
    out.push_back(m.chunk_ids().substr(i, 32));
  }
  return out;
}

store::Version StoreTest::CommitContent(const std::string& artifact,
                                        absl::string_view data,
                                        std::vector<std::string> inputs,
                                        const std::string& alias) {
  NewVersion v;
  v.artifact = *ParseArtifactId(artifact);
  v.content_id = PutContent(data).content_id;
  v.inputs = std::move(inputs);
  v.alias = alias;
  v.creator = "test";
  auto r = store_->artifacts().Commit(v);
  EXPECT_TRUE(r.ok()) << artifact << ": " << r.status();
  return r.ok() ? r->version : store::Version();
}

std::string RandomBytes(std::mt19937_64& rng, size_t n, bool compressible) {
  std::string out(n, '\0');
  size_t i = 0;
  if (compressible) {
    static constexpr char kAlphabet[] = "0123456789,.abcdef\n";
    for (; i < n; ++i) out[i] = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    return out;
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

int CrashIterations(int default_rounds) {
  const char* env = std::getenv("STRATA_CRASH_ITERATIONS");
  return env != nullptr ? std::atoi(env) : default_rounds;
}

uint64_t TestSeed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("STRATA_TEST_SEED");
    uint64_t s =
        env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::cerr << "random seed: " << s << " (replay with STRATA_TEST_SEED=" << s << ")\n";
    return s;
  }();
  return seed;
}

}  // namespace strata::testing
