#include "gc/fsck.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "store/io.h"
#include "store/testing/raw_records.h"
#include "tests/testing.h"

namespace strata::gc {
namespace {

// dataset/a@1: 400 KB of random bytes; dataset/b@1: the same with more after it
// (sharing a's first chunks); dataset/c@1: unrelated; dataset/c@2 deleted;
// model/m@1 (production) made from dataset/a@1.
class FsckTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    std::mt19937_64 rng(11);
    a_ = testing::RandomBytes(rng, 400 << 10);
    Put("dataset/a", a_);
    Put("dataset/b", a_ + testing::RandomBytes(rng, 200 << 10));
    Put("dataset/c", testing::RandomBytes(rng, 300 << 10));
    Put("dataset/c", "short");
    DeleteRequest del;
    del.artifact = *ParseArtifactId("dataset/c");
    del.version = 2;
    del.who = "test";
    ASSERT_TRUE(store_->artifacts().Delete(del).ok());
    Put("model/m", "weights", {"dataset/a@1"}, "production");
  }

  void Put(const std::string& artifact, const std::string& data,
           std::vector<std::string> inputs = {}, const std::string& alias = "") {
    CommitContent(artifact, data, std::move(inputs), alias);
  }

  FsckReport Check(bool deep) {
    FsckOptions options;
    options.deep = deep;
    auto report = Fsck(*store_, options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : FsckReport();
  }

  // The raw ids of the chunks of `artifact@1`'s content, in order.
  std::vector<std::string> Chunks(const std::string& artifact) {
    auto v = store_->artifacts().Resolve(*ParseRef(artifact + "@1"));
    EXPECT_TRUE(v.ok());
    return v.ok() ? ManifestChunks(v->content_id()) : std::vector<std::string>();
  }

  static store::AliasTarget Target(uint64_t version) {
    store::AliasTarget t;
    t.set_version(version);
    return t;
  }

  static std::vector<std::string> Versions(const FsckReport& report) {
    std::vector<std::string> out;
    for (const FsckProblem& p : report.problems) {
      out.insert(out.end(), p.versions.begin(), p.versions.end());
    }
    return out;
  }

  std::string a_;
};

TEST_F(FsckTest, AWholeStoreHasNoProblems) {
  for (bool deep : {false, true}) {
    SCOPED_TRACE(deep);
    const FsckReport report = Check(deep);
    EXPECT_TRUE(report.problems.empty())
        << report.problems.front().kind << ": " << report.problems.front().detail;
    EXPECT_EQ(report.versions, 5u);
    EXPECT_EQ(report.contents, 4u);  // a, b, c@1, the model: not the deleted c@2
    EXPECT_EQ(report.aliases, 1u);
    EXPECT_EQ(report.edges, 1u);  // dataset/a@1 -> model/m@1
    EXPECT_GT(report.chunks, 10u);
    EXPECT_EQ(report.bytes_read,
              deep ? a_.size() * 2 + (200 << 10) + (300 << 10) + 7 : 0u);
  }
}

TEST_F(FsckTest, AFlippedByteIsDataLossOnGetAndDeepFsckNamesExactlyItsVersions) {
  // The first chunk of dataset/a is also dataset/b's.
  const std::string chunk = Chunks("dataset/a").front();
  ASSERT_EQ(Chunks("dataset/b").front(), chunk);
  const Digest id = *Digest::FromRaw(chunk);
  auto flipped = store_->chunks().Get(id);
  ASSERT_TRUE(flipped.ok());
  flipped->payload.back() ^= 0x01;
  ASSERT_TRUE(store_->chunks().Delete({id}).ok());
  ASSERT_TRUE(store_->chunks().PutMany({*flipped}).ok());

  for (const char* ref : {"dataset/a@1", "dataset/b@1"}) {
    auto v = store_->artifacts().Resolve(*ParseRef(ref));
    ASSERT_TRUE(v.ok());
    std::string out;
    auto sink = StringSink(&out);
    const absl::Status get =
        store_->content().Get(*Digest::FromRaw(v->content_id()), *sink);
    EXPECT_TRUE(absl::IsDataLoss(get)) << ref << ": " << get;
  }
  // Every record is there: only reading the bytes finds it.
  EXPECT_TRUE(Check(/*deep=*/false).problems.empty());
  const FsckReport deep = Check(/*deep=*/true);
  ASSERT_EQ(deep.problems.size(), 2u);
  EXPECT_EQ(deep.problems[0].kind, "corrupt content");
  EXPECT_EQ(Versions(deep), std::vector<std::string>({"dataset/a@1", "dataset/b@1"}));
  EXPECT_NE(deep.problems[0].detail.find("chunk"), std::string::npos)
      << deep.problems[0].detail;
}

TEST_F(FsckTest, MissingRecordsAreNamedWithTheVersionsTheyTouch) {
  ASSERT_TRUE(
      store_->chunks().Delete({*Digest::FromRaw(Chunks("dataset/c").back())}).ok());
  auto model = store_->artifacts().Resolve(*ParseRef("model/m@1"));
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(store_->content()
                  .DeleteManifests({*Digest::FromRaw(model->content_id())}, false)
                  .ok());
  ASSERT_TRUE(testing::PutRawAlias(*store_, "dataset/a", "golden", Target(9)).ok());
  ASSERT_TRUE(testing::PutRawAlias(*store_, "dataset/c", "old", Target(2)).ok());
  ASSERT_TRUE(testing::DeleteRawEdge(*store_, LineageDirection::kUp, "model/m@1",
                                     "dataset/a@1")
                  .ok());
  ASSERT_TRUE(testing::PutRawEdge(*store_, LineageDirection::kDown, "dataset/b@1",
                                  "model/gone@3")
                  .ok());
  ASSERT_TRUE(testing::PutRawEdge(*store_, LineageDirection::kUp, "model/gone@3",
                                  "dataset/b@1")
                  .ok());

  const FsckReport report = Check(/*deep=*/false);
  std::map<std::string, std::vector<std::string>> by_kind;
  for (const FsckProblem& p : report.problems) {
    auto& versions = by_kind[p.kind];
    versions.insert(versions.end(), p.versions.begin(), p.versions.end());
  }
  EXPECT_EQ(by_kind["missing chunk"], std::vector<std::string>({"dataset/c@1"}));
  EXPECT_EQ(by_kind["missing manifest"], std::vector<std::string>({"model/m@1"}));
  EXPECT_EQ(by_kind["alias to a deleted version"],
            std::vector<std::string>({"dataset/c@2"}));
  EXPECT_EQ(by_kind.count("dangling alias"), 1u);
  EXPECT_EQ(by_kind["one-way edge"],
            std::vector<std::string>({"dataset/a@1", "model/m@1"}));
  EXPECT_EQ(by_kind["dangling edge"], std::vector<std::string>({"dataset/b@1"}));
  EXPECT_EQ(report.problems.size(), 6u);
}

}  // namespace
}  // namespace strata::gc
