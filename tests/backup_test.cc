// Backup and restore (Store::Backup, RestoreStore, strata backup/restore): a backup
// taken while a writer commits holds everything acknowledged before it began,
// restores into a store that fsck --deep finds whole, and bad targets change
// nothing.
#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gc/fsck.h"
#include "gtest/gtest.h"
#include "store/io.h"
#include "store/store.h"
#include "tests/subprocess.h"
#include "tests/testing.h"

namespace strata {
namespace {

class BackupTest : public testing::StoreTest {
 protected:
  // Commits `data` as a new version of `artifact`; the version number.
  uint64_t Put(const std::string& artifact, const std::string& data) {
    NewVersion v;
    v.artifact = *ParseArtifactId(artifact);
    v.content_id = PutContent(data).content_id;
    v.creator = "test";
    auto r = store_->artifacts().Commit(v);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->version.number() : 0;
  }
};

TEST_F(BackupTest, ABackupDuringWritesHoldsWhatWasAcknowledgedAndRestoresWhole) {
  std::mt19937_64 rng(testing::TestSeed());
  for (int i = 0; i < 5; ++i) Put("dataset/base", testing::RandomBytes(rng, 100 << 10));
  ASSERT_TRUE(store_->artifacts()
                  .SetAlias(*ParseArtifactId("dataset/base"), "golden", 3, std::nullopt,
                            "test", "")
                  .ok());
  // A writer commits versions of its own while the backup is taken.
  std::atomic<bool> stop = false;
  std::atomic<uint64_t> acknowledged = 0;
  std::thread writer([&] {
    std::mt19937_64 own(7);
    while (!stop) {
      const uint64_t n = Put("dataset/live", testing::RandomBytes(own, 20 << 10));
      if (n == 0) return;
      acknowledged = n;
    }
  });
  while (acknowledged < 3) std::this_thread::yield();
  const uint64_t before = acknowledged;
  const std::string backup = dir_.Sub("backup");
  ASSERT_TRUE(store_->Backup(backup).ok());
  stop = true;
  writer.join();
  EXPECT_GT(acknowledged.load(), 0u);

  const std::string restored = dir_.Sub("restored");
  ASSERT_TRUE(RestoreStore(backup, restored).ok());
  EXPECT_FALSE(std::filesystem::exists(restored + ".restoring"));
  auto copy = Store::Open(restored, StoreOptions());
  ASSERT_TRUE(copy.ok()) << copy.status();
  auto live = (*copy)->artifacts().LatestVersion(*ParseArtifactId("dataset/live"));
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_GE(*live, before);
  EXPECT_EQ((*copy)->artifacts().Resolve(*ParseRef("dataset/base@golden"))->number(), 3u);
  gc::FsckOptions deep;
  deep.deep = true;
  auto report = gc::Fsck(**copy, deep);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->problems.empty()) << report->problems.front().detail;
  EXPECT_EQ(report->contents, 5u + *live);
  // The original serves on.
  EXPECT_GT(Put("dataset/base", "after"), 5u);
}

TEST_F(BackupTest, BadTargetsAreRefusedAndWriteNothing) {
  Put("dataset/d", "rows");
  const std::string taken = dir_.Sub("taken");
  std::filesystem::create_directories(taken);
  EXPECT_TRUE(absl::IsAlreadyExists(store_->Backup(taken)));
  EXPECT_TRUE(absl::IsNotFound(store_->Backup(dir_.Sub("no/such/parent"))));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("no")));

  const std::string backup = dir_.Sub("backup");
  ASSERT_TRUE(store_->Backup(backup).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(RestoreStore(backup, taken)));
  EXPECT_TRUE(absl::IsNotFound(RestoreStore(dir_.Sub("nothing"), dir_.Sub("r1"))));
  EXPECT_TRUE(absl::IsNotFound(RestoreStore(taken, dir_.Sub("r2"))));  // not a backup
  // A damaged backup (its manifest file gone) does not open: nothing is left.
  const std::string damaged = dir_.Sub("damaged");
  std::filesystem::copy(backup, damaged);
  for (const auto& entry : std::filesystem::directory_iterator(damaged)) {
    if (entry.path().filename().string().rfind("MANIFEST-", 0) == 0) {
      std::filesystem::remove(entry.path());
    }
  }
  EXPECT_FALSE(RestoreStore(damaged, dir_.Sub("r3")).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("r3")));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("r3.restoring")));
}

TEST(BackupCliTest, BackupAndRestoreFromTheCommandLine) {
  testing::ScratchDir dir;
  const std::string store = dir.Sub("store");
  auto run = [&](std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), STRATA_BINARY);
    testing::ProcessOptions options;
    options.stdin_data = input;
    return testing::RunProcess(args, options);
  };
  ASSERT_EQ(run({"--store", store, "init"}).exit_code, 0);
  ASSERT_EQ(run({"--store", store, "put", "model/m", "-"}, "weights").exit_code, 0);
  testing::ProcessResult backup = run({"--store", store, "backup", dir.Sub("b")});
  EXPECT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_EQ(backup.out, "backed up " + store + " to " + dir.Sub("b") + "\n");
  testing::ProcessResult restore =
      run({"restore", dir.Sub("b"), "--store", dir.Sub("r")});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(restore.out, "restored " + dir.Sub("b") + " into " + dir.Sub("r") + "\n");
  EXPECT_EQ(run({"--store", dir.Sub("r"), "get", "model/m"}).out, "weights");
  testing::ProcessResult again = run({"restore", dir.Sub("b"), "--store", dir.Sub("r")});
  EXPECT_EQ(again.exit_code, 2);  // AlreadyExists: bad input
  EXPECT_EQ(again.err, "error: " + dir.Sub("r") + " already exists\n");
}

}  // namespace
}  // namespace strata
