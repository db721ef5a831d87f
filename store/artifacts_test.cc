#include "store/artifacts.h"

#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "store/render.h"
#include "store/store.h"
#include "tests/testing.h"

namespace strata {
namespace {

class ArtifactStoreTest : public testing::StoreTest {
 protected:
  Digest Content(absl::string_view data) { return PutContent(data).content_id; }

  absl::StatusOr<CommitResult> Commit(const std::string& artifact, absl::string_view data,
                                      std::map<std::string, std::string> metadata = {},
                                      std::vector<std::string> inputs = {},
                                      std::string alias = "", std::string run = "") {
    NewVersion v;
    v.artifact = *ParseArtifactId(artifact);
    v.content_id = Content(data);
    v.metadata = std::move(metadata);
    v.inputs = std::move(inputs);
    v.alias = std::move(alias);
    v.run_id = std::move(run);
    v.creator = "tester";
    v.message = "test";
    return store_->artifacts().Commit(v);
  }

  ArtifactStore& artifacts() { return store_->artifacts(); }
};

TEST_F(ArtifactStoreTest, VersionsAreNumberedFromOne) {
  for (uint64_t i = 1; i <= 3; ++i) {
    auto r = Commit("dataset/raw", "content " + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->created);
    EXPECT_EQ(r->version.number(), i);
    EXPECT_EQ(r->version.creator(), "tester");
    EXPECT_EQ(r->version.size(), 9u);
  }
  auto versions = artifacts().Versions(*ParseArtifactId("dataset/raw"));
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].number(), 1u);
  EXPECT_EQ((*versions)[2].number(), 3u);
  EXPECT_EQ(artifacts().Resolve(*ParseRef("dataset/raw"))->number(), 3u);
  EXPECT_EQ(artifacts().Resolve(*ParseRef("dataset/raw@2"))->content_id(),
            Sha256::Of("content 2").Raw());
}

TEST_F(ArtifactStoreTest, IdenticalPutReturnsTheLatestVersion) {
  ASSERT_TRUE(Commit("model/m", "weights", {{"lr", "0.1"}}).ok());
  auto again = Commit("model/m", "weights", {{"lr", "0.1"}});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->version.number(), 1u);
  // Different metadata, inputs or content make a new version.
  EXPECT_EQ(Commit("model/m", "weights", {{"lr", "0.2"}})->version.number(), 2u);
  ASSERT_TRUE(Commit("dataset/d", "rows").ok());
  EXPECT_EQ(
      Commit("model/m", "weights", {{"lr", "0.2"}}, {"dataset/d"})->version.number(), 3u);
  EXPECT_EQ(Commit("model/m", "weights", {{"lr", "0.2"}}, {"dataset/d@1"})->created,
            false);
  // Going back to an older state is a new version: only the latest is compared.
  EXPECT_EQ(Commit("model/m", "weights", {{"lr", "0.1"}})->version.number(), 4u);
}

TEST_F(ArtifactStoreTest, InputsAreResolvedToNumbersAndLinked) {
  ASSERT_TRUE(Commit("dataset/raw", "a").ok());
  ASSERT_TRUE(Commit("dataset/raw", "b", {}, {}, "golden").ok());
  ASSERT_TRUE(Commit("dataset/raw", "c").ok());
  auto r = Commit("dataset/clean", "clean", {}, {"dataset/raw@golden", "dataset/raw"});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->version.inputs_size(), 2);
  EXPECT_EQ(r->version.inputs(0), "dataset/raw@2");
  EXPECT_EQ(r->version.inputs(1), "dataset/raw@3");
}

TEST_F(ArtifactStoreTest, BadRequestsWriteNothing) {
  EXPECT_EQ(Commit("dataset/clean", "x", {}, {"dataset/missing"}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Commit("dataset/clean", "x", {{"", "v"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Commit("dataset/clean", "x", {}, {}, "Bad Alias").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Commit("dataset/clean", "x", {}, {}, "", "0123456789abcdef").status().code(),
            absl::StatusCode::kNotFound);
  NewVersion unstored;
  unstored.artifact = *ParseArtifactId("dataset/clean");
  unstored.content_id = Sha256::Of("never stored");
  EXPECT_EQ(artifacts().Commit(unstored).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(artifacts().Resolve(*ParseRef("dataset/clean")).status().code(),
            absl::StatusCode::kNotFound);
  auto list = artifacts().List(std::nullopt);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(ArtifactStoreTest, ResolveNamesWhatIsMissing) {
  ASSERT_TRUE(Commit("model/m", "w").ok());
  auto v = artifacts().Resolve(*ParseRef("model/m@7"));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(v.status().message().find("no version 7 (latest is 1)"),
            absl::string_view::npos);
  auto a = artifacts().Resolve(*ParseRef("model/m@production"));
  EXPECT_NE(a.status().message().find("no alias 'production'"), absl::string_view::npos);
}

TEST_F(ArtifactStoreTest, AliasCompareAndSetAndLog) {
  const ArtifactId m = *ParseArtifactId("model/m");
  ASSERT_TRUE(Commit("model/m", "v1").ok());
  ASSERT_TRUE(Commit("model/m", "v2").ok());
  auto set =
      artifacts().SetAlias(m, "production", 1, /*expect=*/0, "alice", "first release");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->from_version(), 0u);
  EXPECT_EQ(set->to_version(), 1u);
  EXPECT_EQ(artifacts().Resolve(*ParseRef("model/m@production"))->number(), 1u);

  // A stale expectation fails and changes nothing.
  auto stale = artifacts().SetAlias(m, "production", 2, /*expect=*/0, "bob", "race");
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.status().message().find("points to version 1"),
            absl::string_view::npos);
  EXPECT_EQ(artifacts().Resolve(*ParseRef("model/m@production"))->number(), 1u);

  ASSERT_TRUE(artifacts().SetAlias(m, "production", 2, 1, "bob", "better auc").ok());
  EXPECT_EQ(
      artifacts().SetAlias(m, "production", 9, std::nullopt, "bob", "").status().code(),
      absl::StatusCode::kNotFound);
  // Setting it where it already points logs nothing.
  ASSERT_TRUE(artifacts().SetAlias(m, "production", 2, std::nullopt, "bob", "noop").ok());
  ASSERT_TRUE(artifacts().RemoveAlias(m, "production", 2, "carol", "retired").ok());
  EXPECT_EQ(
      artifacts().RemoveAlias(m, "production", std::nullopt, "carol", "").status().code(),
      absl::StatusCode::kNotFound);

  auto log = artifacts().AliasLog(m);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].who(), "alice");
  EXPECT_EQ((*log)[0].reason(), "first release");
  EXPECT_EQ((*log)[1].from_version(), 1u);
  EXPECT_EQ((*log)[1].to_version(), 2u);
  EXPECT_EQ((*log)[2].to_version(), 0u);
  EXPECT_EQ((*log)[2].who(), "carol");
  for (size_t i = 0; i < log->size(); ++i) EXPECT_EQ((*log)[i].sequence(), i);
}

TEST_F(ArtifactStoreTest, PutWithAliasMovesItAtomically) {
  ASSERT_TRUE(Commit("model/m", "v1", {}, {}, "staging").ok());
  ASSERT_TRUE(Commit("model/m", "v2", {}, {}, "staging").ok());
  EXPECT_EQ(artifacts().Resolve(*ParseRef("model/m@staging"))->number(), 2u);
  auto log = artifacts().AliasLog(*ParseArtifactId("model/m"));
  ASSERT_EQ(log->size(), 2u);
  auto aliases = artifacts().Aliases(*ParseArtifactId("model/m"));
  ASSERT_EQ(aliases->size(), 1u);
  EXPECT_EQ(aliases->at("staging").version(), 2u);
}

TEST_F(ArtifactStoreTest, ListsByKind) {
  ASSERT_TRUE(Commit("model/b", "1").ok());
  ASSERT_TRUE(Commit("model/a", "2", {}, {}, "production").ok());
  ASSERT_TRUE(Commit("dataset/a", "3").ok());
  auto models = artifacts().List(Kind::kModel);
  ASSERT_TRUE(models.ok());
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].artifact.name, "a");
  EXPECT_EQ((*models)[0].aliases.at("production"), 1u);
  EXPECT_EQ(artifacts().List(std::nullopt)->size(), 3u);
}

TEST_F(ArtifactStoreTest, ConcurrentWritersGetDistinctGapFreeNumbers) {
  constexpr int kThreads = 8, kPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> numbers(kThreads);
  std::vector<absl::Status> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = Commit("dataset/shared",
                        "thread " + std::to_string(t) + " put " + std::to_string(i));
        if (!r.ok()) {
          errors[t] = r.status();
          return;
        }
        numbers[t].push_back(r->version.number());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(errors[t].ok()) << errors[t];
    // Each writer sees its own versions in increasing order.
    EXPECT_TRUE(std::is_sorted(numbers[t].begin(), numbers[t].end()));
    all.insert(numbers[t].begin(), numbers[t].end());
  }
  ASSERT_EQ(all.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(artifacts().Versions(*ParseArtifactId("dataset/shared"))->size(),
            size_t{kThreads * kPerThread});
}

TEST_F(ArtifactStoreTest, RunsRecordParamsMetricsAndOutputs) {
  ASSERT_TRUE(Commit("dataset/train", "rows").ok());
  NewRun request{"train", {{"lr", "0.1"}}, {"dataset/train"}, "tester"};
  auto run = store_->runs().Start(request);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->status(), store::RUN_STATUS_RUNNING);
  EXPECT_EQ(run->inputs(0), "dataset/train@1");
  ASSERT_TRUE(store_->runs().LogMetrics(run->id(), {{"auc", 0.7}}).ok());
  ASSERT_TRUE(store_->runs().LogMetrics(run->id(), {{"auc", 0.8}, {"loss", 0.3}}).ok());
  auto model = Commit("model/m", "weights", {}, {}, "", run->id());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->version.run_id(), run->id());
  ASSERT_TRUE(store_->runs().Finish(run->id(), store::RUN_STATUS_OK).ok());

  auto got = store_->runs().Get(run->id());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status(), store::RUN_STATUS_OK);
  EXPECT_GT(got->end_us(), 0);
  EXPECT_EQ(got->metrics().at("auc"), 0.8);
  EXPECT_EQ(got->metric_history().at("auc").points_size(), 2);
  ASSERT_EQ(got->outputs_size(), 1);
  EXPECT_EQ(got->outputs(0), "model/m@1");

  EXPECT_EQ(store_->runs().Finish(run->id(), store::RUN_STATUS_OK).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->runs().LogMetrics(run->id(), {{"auc", 1}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->runs().LogMetrics(run->id(), {{"x", NAN}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->runs().Get("0000000000000000").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->runs().Get("../etc").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->runs().Start({"", {}, {}, ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->runs().Start({"x", {}, {"dataset/none"}, ""}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->runs().List()->size(), 1u);
}

TEST_F(ArtifactStoreTest, StoreInUseByAnotherOpenerIsUnavailable) {
  StoreOptions options;
  auto second = Store::Open(dir_.Sub("store"), options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("in use"), absl::string_view::npos);
}

TEST(StoreOpenTest, AnInterruptedInitIsCompletedOnOpen) {
  testing::ScratchDir dir;
  {
    // What a SIGKILL during `strata init` leaves: a database with only some of the
    // column families and no format record.
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.Sub("store"), &raw).ok());
    rocksdb::ColumnFamilyHandle* chunks = nullptr;
    ASSERT_TRUE(
        raw->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "chunks", &chunks).ok());
    raw->DestroyColumnFamilyHandle(chunks);
    delete raw;
  }
  auto store = Store::Open(dir.Sub("store"), StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  auto source = StringSource("works");
  auto stats = (*store)->content().Put(*source);
  ASSERT_TRUE(stats.ok());
  NewVersion v;
  v.artifact = *ParseArtifactId("config/c");
  v.content_id = stats->content_id;
  EXPECT_TRUE((*store)->artifacts().Commit(v).ok());
}

TEST_F(ArtifactStoreTest, MissingStoreIsNotFound) {
  auto missing = Store::Open(dir_.Sub("nowhere"), StoreOptions());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("strata init"), absl::string_view::npos);
}

// dataset/raw@1 -> run -> model/churn@1 (production); dataset/raw@2 unused;
// dataset/clean@1 made directly from dataset/raw@1, unaliased.
class DeletionTest : public ArtifactStoreTest {
 protected:
  void SetUp() override {
    ArtifactStoreTest::SetUp();
    ASSERT_TRUE(Commit("dataset/raw", "rows 1").ok());
    ASSERT_TRUE(Commit("dataset/raw", "rows 2").ok());
    ASSERT_TRUE(Commit("dataset/clean", "clean", {}, {"dataset/raw@1"}).ok());
    NewRun run;
    run.name = "train";
    run.inputs = {"dataset/raw@1"};
    auto started = store_->runs().Start(run);
    ASSERT_TRUE(started.ok()) << started.status();
    run_ = started->id();
    ASSERT_TRUE(Commit("model/churn", "weights", {}, {}, "production", run_).ok());
  }

  absl::StatusOr<store::Version> Delete(const std::string& artifact, uint64_t version,
                                        bool force = false) {
    DeleteRequest r;
    r.artifact = *ParseArtifactId(artifact);
    r.version = version;
    r.who = "alice";
    r.reason = "cleanup";
    r.force = force;
    return artifacts().Delete(r);
  }

  std::string run_;
};

TEST_F(DeletionTest, WhyKeptNamesTheAliasedVersionDownstreamAndThePath) {
  auto kept = artifacts().WhyKept(*ParseArtifactId("dataset/raw"), 1);
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].node, "model/churn@1");
  EXPECT_EQ((*kept)[0].aliases, std::vector<std::string>({"production"}));
  EXPECT_EQ((*kept)[0].path,
            std::vector<std::string>({"dataset/raw@1", "run/" + run_, "model/churn@1"}));
  EXPECT_EQ(DescribeKeptBy((*kept)[0]),
            "model/churn@1 (production), downstream through run/" + run_);
  // The aliased version keeps itself; the unused and the unaliased are free.
  kept = artifacts().WhyKept(*ParseArtifactId("model/churn"), 1);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].path, std::vector<std::string>({"model/churn@1"}));
  EXPECT_TRUE(artifacts().WhyKept(*ParseArtifactId("dataset/raw"), 2)->empty());
  EXPECT_TRUE(artifacts().WhyKept(*ParseArtifactId("dataset/clean"), 1)->empty());
  // A feature view's latest version is its current definition.
  ASSERT_TRUE(Commit("featureview/f", "def").ok());
  kept = artifacts().WhyKept(*ParseArtifactId("featureview/f"), 1);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_TRUE((*kept)[0].current_definition);
  EXPECT_EQ(DescribeKeptBy((*kept)[0]),
            "featureview/f@1 (the view's current definition)");
  ASSERT_TRUE(Commit("featureview/f", "def 2").ok());
  EXPECT_TRUE(artifacts().WhyKept(*ParseArtifactId("featureview/f"), 1)->empty());
  // So is a feature service's.
  ASSERT_TRUE(Commit("featureservice/s", "def").ok());
  kept = artifacts().WhyKept(*ParseArtifactId("featureservice/s"), 1);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ(DescribeKeptBy((*kept)[0]),
            "featureservice/s@1 (the service's current definition)");
  EXPECT_TRUE(
      absl::IsNotFound(artifacts().WhyKept(*ParseArtifactId("dataset/raw"), 3).status()));
}

TEST_F(DeletionTest, ProtectedVersionsAreRefusedAndChangeNothing) {
  for (const auto& [artifact, version] : std::vector<std::pair<std::string, uint64_t>>{
           {"dataset/raw", 1}, {"model/churn", 1}}) {
    auto r = Delete(artifact, version);
    ASSERT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
    EXPECT_NE(
        r.status().message().find("is protected: kept by model/churn@1 (production)"),
        std::string::npos)
        << r.status();
    auto v = artifacts().Resolve(Ref{*ParseArtifactId(artifact), version, ""});
    EXPECT_TRUE(v.ok()) << v.status();
  }
  EXPECT_TRUE(absl::IsNotFound(Delete("dataset/raw", 9).status()));
  EXPECT_TRUE(absl::IsNotFound(Delete("dataset/none", 1).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Delete("dataset/raw", 0).status()));
}

TEST_F(DeletionTest, ADeletedVersionKeepsItsRecordAndCannotBeUsed) {
  auto deleted = Delete("dataset/raw", 2);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->deleted().who(), "alice");
  EXPECT_EQ(deleted->deleted().reason(), "cleanup");
  EXPECT_GT(deleted->deleted().at_us(), 0);
  auto v = artifacts().ResolveRecord(*ParseRef("dataset/raw@2"));
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->has_deleted());
  const absl::Status unreadable =
      artifacts().Resolve(*ParseRef("dataset/raw@2")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(unreadable));
  EXPECT_NE(unreadable.message().find("dataset/raw@2 was deleted by alice at "),
            std::string::npos)
      << unreadable;
  EXPECT_NE(unreadable.message().find(": cleanup"), std::string::npos) << unreadable;
  EXPECT_TRUE(absl::IsFailedPrecondition(Delete("dataset/raw", 2).status()));
  // Not an input, an alias target or a run's input.
  EXPECT_TRUE(
      absl::IsFailedPrecondition(Commit("model/m", "w", {}, {"dataset/raw@2"}).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      artifacts()
          .SetAlias(*ParseArtifactId("dataset/raw"), "golden", 2, std::nullopt, "bob", "")
          .status()));
  NewRun run;
  run.name = "again";
  run.inputs = {"dataset/raw@2"};
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->runs().Start(run).status()));
  // Putting the same content again makes a new, live version.
  auto again = Commit("dataset/raw", "rows 2");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->created);
  EXPECT_EQ(again->version.number(), 3u);
}

TEST_F(DeletionTest, ForceDeletesAProtectedVersionAndItsAliasesWithALog) {
  auto deleted = Delete("model/churn", 1, /*force=*/true);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  ASSERT_EQ(deleted->deleted().overridden_size(), 1);
  EXPECT_EQ(deleted->deleted().overridden(0), "model/churn@1 (production)");
  const ArtifactId churn = *ParseArtifactId("model/churn");
  EXPECT_TRUE(artifacts().Aliases(churn)->empty());
  auto log = artifacts().AliasLog(churn);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ(log->back().alias(), "production");
  EXPECT_EQ(log->back().from_version(), 1u);
  EXPECT_EQ(log->back().to_version(), 0u);
  EXPECT_EQ(log->back().who(), "alice");
  EXPECT_EQ(log->back().reason(), "deleted with --force: cleanup");
  // With the model gone, what it was trained on is free.
  EXPECT_TRUE(artifacts().WhyKept(*ParseArtifactId("dataset/raw"), 1)->empty());
  EXPECT_TRUE(Delete("dataset/raw", 1).ok());
}

TEST_F(DeletionTest, DeletionsAndAliasMovesAreSerialized) {
  // An alias set on a model while its input is deleted: an alias that came first
  // protects the input (the deletion is refused); one that comes after protects
  // what is left. Never does a deletion succeed after the alias that should have
  // stopped it.
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    ASSERT_TRUE(Commit("dataset/src", "src " + std::to_string(round)).ok());
    const uint64_t src = *artifacts().LatestVersion(*ParseArtifactId("dataset/src"));
    const std::string input = "dataset/src@" + std::to_string(src);
    ASSERT_TRUE(Commit("model/race", "w " + std::to_string(round), {}, {input}).ok());
    const ArtifactId race = *ParseArtifactId("model/race");
    const uint64_t model = *artifacts().LatestVersion(race);
    absl::StatusOr<store::AliasMove> moved;
    std::thread alias([&] {
      moved = artifacts().SetAlias(race, "live", model, std::nullopt, "bob", "");
    });
    absl::StatusOr<store::Version> deleted = Delete("dataset/src", src);
    alias.join();
    ASSERT_TRUE(moved.ok()) << moved.status();
    if (!deleted.ok()) {
      EXPECT_TRUE(absl::IsFailedPrecondition(deleted.status())) << deleted.status();
    } else {
      EXPECT_GT(moved->at_us(), deleted->deleted().at_us());
    }
  }
}

TEST_F(DeletionTest, ScanVersionsVisitsEveryRecordDeletedOnesIncluded) {
  ASSERT_TRUE(Delete("dataset/raw", 2, /*force=*/true).ok());
  std::vector<std::string> all, deleted;
  ASSERT_TRUE(artifacts()
                  .ScanVersions([&](const store::Version& v) {
                    all.push_back(VersionRef(v));
                    if (v.has_deleted()) deleted.push_back(VersionRef(v));
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(all, (std::vector<std::string>{"dataset/clean@1", "dataset/raw@1",
                                           "dataset/raw@2", "model/churn@1"}));
  EXPECT_EQ(deleted, std::vector<std::string>{"dataset/raw@2"});
  // A visitor's error ends the scan with it.
  int seen = 0;
  const absl::Status stop = artifacts().ScanVersions([&](const store::Version&) {
    ++seen;
    return absl::CancelledError("enough");
  });
  EXPECT_TRUE(absl::IsCancelled(stop)) << stop;
  EXPECT_EQ(seen, 1);
}

TEST_F(ArtifactStoreTest, ScanAliasesVisitsEveryArtifactsAliases) {
  ASSERT_TRUE(Commit("dataset/a", "one").ok());
  ASSERT_TRUE(Commit("dataset/a", "two").ok());
  ASSERT_TRUE(Commit("model/m", "w").ok());
  const ArtifactId a = *ParseArtifactId("dataset/a"), m = *ParseArtifactId("model/m");
  ASSERT_TRUE(store_->artifacts().SetAlias(a, "prod", 1, std::nullopt, "t", "").ok());
  ASSERT_TRUE(store_->artifacts().SetAlias(a, "dev", 2, std::nullopt, "t", "").ok());
  ASSERT_TRUE(store_->artifacts().SetAlias(m, "champion", 1, std::nullopt, "t", "").ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store_->artifacts()
                  .ScanAliases([&](absl::string_view artifact, absl::string_view alias,
                                   const store::AliasTarget& t) {
                    seen.push_back(absl::StrCat(artifact, "@", alias, "=", t.version()));
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"dataset/a@dev=2", "dataset/a@prod=1",
                                            "model/m@champion=1"}));
}

}  // namespace
}  // namespace strata
