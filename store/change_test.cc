// The one commit path: every change of the store's records reaches the
// ChangeObserver once, named, inside its atomic write, and an observer that refuses
// a change leaves nothing of it written.
#include "store/change.h"

#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "store/store.h"
#include "tests/testing.h"

namespace strata {
namespace {

// Records every change; refuses those of `refuse` when set.
class Recorder : public ChangeObserver {
 public:
  absl::Status OnChange(const Change& change) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (refuse_.has_value() && change.kind == *refuse_) {
      return absl::FailedPreconditionError(
          absl::StrCat("refused ", ChangeKindName(change.kind)));
    }
    seen_.push_back(absl::StrCat(ChangeKindName(change.kind), " ", change.subject));
    return absl::OkStatus();
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(seen_, {});
  }
  void Refuse(std::optional<ChangeKind> kind) {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_ = kind;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> seen_;
  std::optional<ChangeKind> refuse_;
};

class ChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.create_if_missing = true;
    options.sync = false;
    options.change_observer = &recorder_;
    auto store = Store::Open(dir_.Sub("store"), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  absl::StatusOr<CommitResult> Put(const std::string& artifact, absl::string_view data,
                                   const std::string& alias = "", std::string run = "") {
    auto source = StringSource(data);
    auto put = store_->content().Put(*source);
    if (!put.ok()) return put.status();
    NewVersion v;
    auto id = ParseArtifactId(artifact);
    if (!id.ok()) return id.status();
    v.artifact = *id;
    v.content_id = put->content_id;
    v.alias = alias;
    v.run_id = std::move(run);
    v.creator = Actor("ana");
    return store_->artifacts().Commit(v);
  }

  testing::ScratchDir dir_;
  Recorder recorder_;
  std::unique_ptr<Store> store_;
};

TEST_F(ChangeTest, EveryChangeIsSeenOnceWithWhatItChanged) {
  auto run = store_->runs().Start(NewRun{"train", {}, {}, Actor("ana")});
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string run_node = "run/" + run->id();
  ASSERT_TRUE(Put("dataset/raw", "a,b\n1,2\n").ok());
  ASSERT_TRUE(Put("model/churn", "weights", "production", run->id()).ok());
  ASSERT_TRUE(store_->runs().LogMetrics(run->id(), {{"auc", 0.9}}).ok());
  ASSERT_TRUE(store_->runs().Finish(run->id(), store::RUN_STATUS_OK).ok());
  auto churn = ParseArtifactId("model/churn");
  ASSERT_TRUE(churn.ok());
  ASSERT_TRUE(
      store_->artifacts().SetAlias(*churn, "staging", 1, std::nullopt, Actor("ana"), "").ok());
  DeleteRequest del;
  del.artifact = *ParseArtifactId("dataset/raw");
  del.version = 1;
  del.who = Actor("ana");
  ASSERT_TRUE(store_->artifacts().Delete(del).ok());
  ASSERT_TRUE(store_->tokens().Insert("ci", "record").ok());
  ASSERT_TRUE(store_->tokens().Delete("ci").ok());
  EXPECT_EQ(recorder_.Take(), (std::vector<std::string>{
                                  "start-run " + run_node,
                                  "commit-version dataset/raw@1",
                                  "commit-version model/churn@1",
                                  "log-metrics " + run_node,
                                  "finish-run " + run_node,
                                  "move-alias model/churn@staging",
                                  "delete-version dataset/raw@1",
                                  "insert-token token/ci",
                                  "delete-token token/ci",
                              }));
}

TEST_F(ChangeTest, ARefusedChangeWritesNothing) {
  recorder_.Refuse(ChangeKind::kCommitVersion);
  auto refused = Put("model/churn", "weights", "production");
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  // Neither the version, nor its artifact, nor the alias the put would have moved.
  EXPECT_TRUE(absl::IsNotFound(store_->artifacts().Resolve(*ParseRef("model/churn")).status()));
  EXPECT_TRUE(
      absl::IsNotFound(store_->artifacts().Resolve(*ParseRef("model/churn@production")).status()));
  recorder_.Refuse(std::nullopt);
  ASSERT_TRUE(Put("model/churn", "weights").ok());
  recorder_.Refuse(ChangeKind::kMoveAlias);
  auto churn = ParseArtifactId("model/churn");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store_->artifacts().SetAlias(*churn, "production", 1, std::nullopt, Actor("ana"), "").status()));
  EXPECT_TRUE(
      absl::IsNotFound(store_->artifacts().Resolve(*ParseRef("model/churn@production")).status()));
  auto log = store_->artifacts().AliasLog(*churn);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE(log->empty());
  recorder_.Refuse(ChangeKind::kInsertToken);
  EXPECT_FALSE(store_->tokens().Insert("ci", "record").ok());
  auto tokens = store_->tokens().List();
  ASSERT_TRUE(tokens.ok());
  EXPECT_TRUE(tokens->empty());
}

}  // namespace
}  // namespace strata
