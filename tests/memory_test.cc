// Memory stays bounded however large the content: a 1 GiB put and get through the
// CLI must each peak below 256 MB of resident memory, and input without line breaks
// (/dev/zero) is refused at the record limit well below 128 MB.
#include <cstring>
#include <fstream>
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

// `ingest V /dev/zero` and `historical --spine /dev/zero` grew without bound (2.1 GB
// and 3.8 GB in 8 s): now refused at max_record_bytes, naming it, exit 1.
TEST(MemoryTest, InputWithoutLineBreaksIsRefusedAtTheRecordLimit) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "ASAN's shadow memory makes resident size meaningless";
#endif
  testing::ScratchDir dir;
  const std::string store = dir.Sub("store");
  const auto strata = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {STRATA_BINARY, "--store", store});
    return testing::RunProcess(args);
  };
  ASSERT_EQ(strata({"init"}).exit_code, 0);
  const std::string defs = dir.Sub("defs.yaml");
  std::ofstream(defs) << "entities:\n"
                         "  - name: customer\n"
                         "    join_keys: [{name: customer_id, type: int64}]\n"
                         "feature_views:\n"
                         "  - name: v\n"
                         "    entities: [customer]\n"
                         "    features: [{name: x, type: double}]\n";
  ASSERT_EQ(strata({"apply", defs}).exit_code, 0);
  constexpr long kZeroLimitKb = 128 * 1024;
  const std::vector<std::vector<std::string>> commands = {
      {"ingest", "v", "/dev/zero"},
      {"ingest", "v", "/dev/zero", "--format", "jsonl"},
      {"historical", "--spine", "/dev/zero", "--features", "v:x"},
  };
  for (const auto& command : commands) {
    auto r = strata(command);
    EXPECT_EQ(r.exit_code, 1) << command[0] << ": " << r.err;
    EXPECT_NE(r.err.find("/dev/zero:1: a record is longer than the limit of 16777216 bytes"),
              std::string::npos)
        << r.err;
    std::cerr << command[0] << " /dev/zero: peak RSS " << r.max_rss_kb / 1024 << " MB\n";
    EXPECT_LT(r.max_rss_kb, kZeroLimitKb);
  }
  // A smaller limit, and limits out of range (exit 2).
  auto small = strata({"ingest", "v", "/dev/zero", "--max-record-bytes", "1000"});
  EXPECT_EQ(small.exit_code, 1);
  EXPECT_NE(small.err.find("limit of 1000 bytes"), std::string::npos) << small.err;
  for (const char* bad : {"0", "-1", "1073741825"}) {
    for (const char* command : {"ingest", "historical"}) {
      std::vector<std::string> args =
          std::string(command) == "ingest"
              ? std::vector<std::string>{"ingest", "v", "/dev/zero"}
              : std::vector<std::string>{"historical", "--spine", "/dev/zero",
                                         "--features", "v:x"};
      args.push_back("--max-record-bytes");
      args.push_back(bad);
      auto r = strata(args);
      EXPECT_EQ(r.exit_code, 2) << command << " " << bad << ": " << r.err;
      EXPECT_NE(r.err.find("--max-record-bytes"), std::string::npos) << r.err;
    }
  }
}

}  // namespace
}  // namespace strata
