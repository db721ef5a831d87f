// Fault injection: a RocksDB file system whose writes fail as on a full disk, or
// whose syncs fail. Each operation then fails with a clear error (no crash, no
// hang), and after a reopen every acknowledged write is there and verifies, nothing
// refused is half-present, and fsck --deep finds nothing wrong.
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gc/fsck.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "store/io.h"
#include "store/store.h"
#include "tests/testing.h"

namespace strata {
namespace {

enum class Fault { kNone, kNoSpace, kSyncFails };

// A writable file that fails its appends (kNoSpace) or syncs (kSyncFails) while
// the fault is on.
class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> file,
             const std::atomic<Fault>* fault)
      : FSWritableFileOwnerWrapper(std::move(file)), fault_(fault) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (*fault_ == Fault::kNoSpace) return rocksdb::IOStatus::NoSpace("injected");
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (*fault_ == Fault::kNoSpace) return rocksdb::IOStatus::NoSpace("injected");
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    if (*fault_ == Fault::kNoSpace) return rocksdb::IOStatus::NoSpace("injected");
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* dbg) override {
    if (*fault_ == Fault::kSyncFails) return rocksdb::IOStatus::IOError("injected");
    return FSWritableFileOwnerWrapper::Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    if (*fault_ == Fault::kSyncFails) return rocksdb::IOStatus::IOError("injected");
    return FSWritableFileOwnerWrapper::Fsync(options, dbg);
  }

 private:
  const std::atomic<Fault>* fault_;
};

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultyFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name,
                                    const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, file, dbg);
    if (s.ok()) *file = std::make_unique<FaultyFile>(std::move(*file), &fault);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* file,
                                       rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, file, dbg);
    if (s.ok()) *file = std::make_unique<FaultyFile>(std::move(*file), &fault);
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* file,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReuseWritableFile(name, old, options, file, dbg);
    if (s.ok()) *file = std::make_unique<FaultyFile>(std::move(*file), &fault);
    return s;
  }

  std::atomic<Fault> fault{Fault::kNone};
};

class FaultTest : public ::testing::TestWithParam<Fault> {
 protected:
  // Puts `data` and commits it as a version of `artifact`: the version, or the
  // first error.
  static absl::StatusOr<store::Version> Put(Store& store, const std::string& artifact,
                                            const std::string& data) {
    auto source = StringSource(data);
    auto stats = store.content().Put(*source);
    if (!stats.ok()) return stats.status();
    NewVersion v;
    v.artifact = *ParseArtifactId(artifact);
    v.content_id = stats->content_id;
    v.creator = "test";
    auto committed = store.artifacts().Commit(v);
    if (!committed.ok()) return committed.status();
    return committed->version;
  }

  testing::ScratchDir dir_;
};

TEST_P(FaultTest, FailedWritesFailClearlyAndLeaveTheStoreWhole) {
  const std::string store_dir = dir_.Sub("store");
  auto fs = std::make_shared<FaultyFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  std::mt19937_64 rng(testing::TestSeed());
  std::vector<std::pair<std::string, std::string>> acknowledged;  // ref, content
  {
    StoreOptions options;
    options.create_if_missing = true;
    options.env = env.get();
    auto store = Store::Open(store_dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 3; ++i) {
      const std::string data = testing::RandomBytes(rng, 200 << 10);
      auto v = Put(**store, "dataset/d", data);
      ASSERT_TRUE(v.ok()) << v.status();
      acknowledged.emplace_back("dataset/d@" + std::to_string(v->number()), data);
    }
    ASSERT_TRUE((*store)
                    ->artifacts()
                    .SetAlias(*ParseArtifactId("dataset/d"), "golden", 2, std::nullopt,
                              "test", "")
                    .ok());

    fs->fault = GetParam();
    // A small put, a bulk put (past the 4 MiB threshold) and an alias move: each
    // fails with an error saying what, and nothing hangs.
    const std::vector<std::string> contents = {testing::RandomBytes(rng, 100 << 10),
                                               testing::RandomBytes(rng, 6 << 20)};
    for (const std::string& data : contents) {
      auto v = Put(**store, "dataset/d", data);
      ASSERT_FALSE(v.ok()) << "a write went through the fault";
      EXPECT_TRUE(absl::IsResourceExhausted(v.status()) ||
                  absl::IsUnavailable(v.status()))
          << v.status();
      EXPECT_NE(v.status().message().find("injected"), std::string::npos) << v.status();
    }
    auto moved = (*store)->artifacts().SetAlias(*ParseArtifactId("dataset/d"), "golden",
                                                1, std::nullopt, "test", "");
    ASSERT_FALSE(moved.ok());
    EXPECT_NE(moved.status().message().find("injected"), std::string::npos)
        << moved.status();
    fs->fault = Fault::kNone;
  }  // closed with the fault off

  // Reopened on the real file system: what was acknowledged is there and verifies;
  // nothing else is half-present.
  auto store = Store::Open(store_dir, StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  const ArtifactId d = *ParseArtifactId("dataset/d");
  EXPECT_EQ(*(*store)->artifacts().LatestVersion(d), 3u);
  EXPECT_EQ((*store)->artifacts().Aliases(d)->at("golden").version(), 2u);
  for (const auto& [ref, data] : acknowledged) {
    auto v = (*store)->artifacts().Resolve(*ParseRef(ref));
    ASSERT_TRUE(v.ok()) << ref << ": " << v.status();
    std::string out;
    auto sink = StringSink(&out);
    ASSERT_TRUE((*store)->content().Get(*Digest::FromRaw(v->content_id()), *sink).ok());
    EXPECT_TRUE(out == data) << ref;
  }
  gc::FsckOptions deep;
  deep.deep = true;
  auto report = gc::Fsck(**store, deep);
  ASSERT_TRUE(report.ok()) << report.status();
  for (const gc::FsckProblem& p : report->problems) {
    ADD_FAILURE() << p.kind << ": " << p.detail;
  }
  // The store takes writes again.
  EXPECT_TRUE(Put(**store, "dataset/d", "after").ok());
}

INSTANTIATE_TEST_SUITE_P(DiskFullAndSyncFailures, FaultTest,
                         ::testing::Values(Fault::kNoSpace, Fault::kSyncFails),
                         [](const ::testing::TestParamInfo<Fault>& info) {
                           return info.param == Fault::kNoSpace ? "DiskFull"
                                                                : "SyncFails";
                         });

}  // namespace
}  // namespace strata
