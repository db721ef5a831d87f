#include "gc/fsck.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/utilities/transaction_db.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/io.h"
#include "tests/testing.h"

namespace strata::gc {
namespace {

using internal::Cf;

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

  void RawPut(Cf cf, const std::string& key, const std::string& value) {
    ASSERT_TRUE(db().raw()->Put(rocksdb::WriteOptions(), db().cf(cf), key, value).ok());
  }
  void RawDelete(Cf cf, const std::string& key) {
    ASSERT_TRUE(db().raw()->Delete(rocksdb::WriteOptions(), db().cf(cf), key).ok());
  }
  internal::Db& db() { return store_->internal_db(); }

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
  auto value = db().Get(Cf::kChunks, chunk);
  ASSERT_TRUE(value.ok() && value->has_value());
  std::string flipped = **value;
  flipped.back() ^= 0x01;
  RawPut(Cf::kChunks, chunk, flipped);

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
  RawDelete(Cf::kChunks, Chunks("dataset/c").back());
  RawDelete(Cf::kChunkMeta, Chunks("dataset/c").back());
  auto model = store_->artifacts().Resolve(*ParseRef("model/m@1"));
  ASSERT_TRUE(model.ok());
  RawDelete(Cf::kManifests, model->content_id());
  RawPut(Cf::kAliases, internal::AliasKey("dataset/a", "golden"), [] {
    store::AliasTarget t;
    t.set_version(9);
    return t.SerializeAsString();
  }());
  RawPut(Cf::kAliases, internal::AliasKey("dataset/c", "old"), [] {
    store::AliasTarget t;
    t.set_version(2);
    return t.SerializeAsString();
  }());
  RawDelete(Cf::kEdges,
            internal::EdgeKey(internal::EdgeDirection::kUp, "model/m@1", "dataset/a@1"));
  RawPut(Cf::kEdges,
         internal::EdgeKey(internal::EdgeDirection::kDown, "dataset/b@1", "model/gone@3"),
         "");
  RawPut(Cf::kEdges,
         internal::EdgeKey(internal::EdgeDirection::kUp, "model/gone@3", "dataset/b@1"),
         "");

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
