// Memory stays bounded however large the content: a 1 GiB put and get through the
// CLI must each peak below 256 MB of resident memory.
#include <cstring>
#include <random>

#include "gtest/gtest.h"
#include "store/digest.h"
#include "tests/subprocess.h"
#include "tests/testing.h"

namespace strata {
namespace {

constexpr long kLimitKb = 256 * 1024;

TEST(MemoryTest, OneGibPutAndGetStayBelow256MB) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "ASAN's shadow memory makes resident size meaningless";
#endif
  testing::ScratchDir dir;
  const std::string store = dir.Sub("store");
  ASSERT_EQ(testing::RunProcess({STRATA_BINARY, "--store", store, "init"}).exit_code, 0);

  // Incompressible bytes, the worst case: memtables hold them at full size.
  constexpr uint64_t kTotal = uint64_t{1} << 30;
  uint64_t produced = 0;
  uint64_t state = testing::TestSeed() | 1;
  Sha256 expected;
  testing::ProcessOptions put_options;
  put_options.stdin_producer = [&](std::string* chunk) {
    if (produced >= kTotal) return false;
    chunk->resize(1 << 20);
    for (size_t i = 0; i < chunk->size(); i += 8) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      std::memcpy(chunk->data() + i, &state, 8);
    }
    expected.Update(*chunk);
    produced += chunk->size();
    return true;
  };
  auto put = testing::RunProcess(
      {STRATA_BINARY, "--store", store, "put", "dataset/big", "-"}, put_options);
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out, "dataset/big@1 sha256:" + expected.Finish().Hex() + "\n");
  std::cerr << "put of 1 GiB: peak RSS " << put.max_rss_kb / 1024 << " MB\n";
  EXPECT_LT(put.max_rss_kb, kLimitKb);

  testing::ProcessOptions get_options;
  get_options.discard_stdout = true;
  auto get = testing::RunProcess({STRATA_BINARY, "--store", store, "get", "dataset/big"},
                                 get_options);
  ASSERT_EQ(get.exit_code, 0) << get.err;
  std::cerr << "get of 1 GiB: peak RSS " << get.max_rss_kb / 1024 << " MB\n";
  EXPECT_LT(get.max_rss_kb, kLimitKb);
}

}  // namespace
}  // namespace strata
