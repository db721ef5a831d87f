// The conformance suite of StoreClient: every test runs against a local store and
// against a server over the same kind of store, and errors must carry the same code
// and message as the local store's.
#include "client/client.h"

#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/server.h"
#include "features/definitions.h"
#include "features/feast_json.h"
#include "features/feature_store_testing.h"
#include "features/render.h"
#include "gtest/gtest.h"
#include "quality/drift_render.h"
#include "quality/render.h"
#include "store/render.h"
#include "store/status_macros.h"
#include "tests/testing.h"

namespace strata {
namespace {

class ClientTest : public testing::StoreTest, public ::testing::WithParamInterface<bool> {
 protected:
  bool remote() const { return GetParam(); }

  void SetUp() override {
    StoreTest::SetUp();
    local_ = LocalClient(store_.get());
    if (!remote()) return;
    api::ServerOptions options;
    options.port = 0;
    server_ = std::make_unique<api::Server>(store_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
    ClientOptions client;
    client.server = absl::StrCat("http://127.0.0.1:", server_->port());
    client.creator = "tester";
    auto c = ConnectClient(client);
    ASSERT_TRUE(c.ok()) << c.status();
    remote_ = std::move(*c);
  }

  void TearDown() override {
    remote_.reset();
    server_.reset();
  }

  // The client under test.
  StoreClient& client() { return remote() ? *remote_ : *local_; }

  // Expects the client under test to fail `op` exactly as the local store does.
  template <typename Op>
  void ExpectSameError(Op op, absl::StatusCode code) {
    const absl::Status want = StatusOf(op(*local_));
    const absl::Status got = StatusOf(op(client()));
    EXPECT_EQ(want.code(), code) << want;
    EXPECT_EQ(got, want);
  }

  static absl::Status StatusOf(const absl::Status& s) { return s; }
  template <typename T>
  static absl::Status StatusOf(const absl::StatusOr<T>& s) {
    return s.status();
  }

  absl::StatusOr<PutResult> Put(const std::string& ref, const std::string& content,
                                NewVersion request = {}) {
    ASSIGN_OR_RETURN(request.artifact, ParseArtifactId(ref));
    if (request.creator.who.empty()) request.creator = "tester";
    auto source = StringSource(content);
    return client().Put(request, *source, nullptr);
  }

  std::string ReadAll(const store::Version& v) {
    std::string out;
    auto sink = StringSink(&out);
    absl::Status s = client().Read(v, *sink, nullptr);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  std::unique_ptr<StoreClient> local_;
  std::unique_ptr<api::Server> server_;
  std::unique_ptr<StoreClient> remote_;
};

INSTANTIATE_TEST_SUITE_P(LocalAndRemote, ClientTest, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? "Remote" : "Local";
                         });

TEST_P(ClientTest, PutResolveAndReadSmallAndLargeContent) {
  std::mt19937_64 rng(3);
  const std::string small = "a small config";
  const std::string large = testing::RandomBytes(rng, 3 << 20, /*compressible=*/true);
  NewVersion meta;
  meta.metadata = {{"lr", "0.1"}};
  meta.message = "first";
  meta.alias = "candidate";
  auto put = Put("model/churn", small, meta);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_TRUE(put->commit.created);
  EXPECT_EQ(put->content_id, Sha256::Of(small));
  EXPECT_EQ(put->commit.version.number(), 1u);
  EXPECT_EQ(put->commit.version.creator(), "tester");

  put = Put("model/churn", large);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->commit.version.number(), 2u);
  EXPECT_EQ(put->content_id, Sha256::Of(large));
  EXPECT_GT(put->chunks, 4u);
  EXPECT_EQ(put->new_chunks, put->chunks);

  // Again: nothing new is committed or sent.
  put = Put("model/churn", large);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_FALSE(put->commit.created);
  EXPECT_EQ(put->new_chunks, 0u);

  // An edit sends only the chunks around it.
  std::string edited = large;
  edited.replace(large.size() / 2, 5, "EDIT!");
  put = Put("model/churn", edited);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->commit.version.number(), 3u);
  EXPECT_GE(put->new_chunks, 1u);
  EXPECT_LE(put->new_chunks, 3u);

  auto v = client().Resolve(*ParseRef("model/churn@candidate"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->number(), 1u);
  EXPECT_EQ(v->metadata().at("lr"), "0.1");
  EXPECT_EQ(ReadAll(*v), small);
  v = client().Resolve(*ParseRef("model/churn@2"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(ReadAll(*v), large);
  v = client().Resolve(*ParseRef("model/churn"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(ReadAll(*v), edited);

  auto versions = client().Versions({Kind::kModel, "churn"});
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ(versions->front().number(), 1u);  // oldest first
  auto aliases = client().AliasesByVersion({Kind::kModel, "churn"});
  ASSERT_TRUE(aliases.ok());
  EXPECT_EQ(*aliases, (std::map<uint64_t, std::vector<std::string>>{{1, {"candidate"}}}));
  auto list = client().List(std::nullopt);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().artifact.ToString(), "model/churn");
  EXPECT_EQ(list->front().head.latest_version(), 3u);
  EXPECT_EQ(list->front().aliases.at("candidate"), 1u);
}

TEST_P(ClientTest, ErrorsMatchTheLocalStore) {
  ASSERT_TRUE(Put("dataset/base", "rows").ok());
  ExpectSameError([](StoreClient& c) { return c.Resolve(*ParseRef("model/none")); },
                  absl::StatusCode::kNotFound);
  ExpectSameError([](StoreClient& c) { return c.Resolve(*ParseRef("dataset/base@9")); },
                  absl::StatusCode::kNotFound);
  ExpectSameError(
      [](StoreClient& c) { return c.Resolve(*ParseRef("dataset/base@nope")); },
      absl::StatusCode::kNotFound);
  ExpectSameError(
      [](StoreClient& c) {
        NewVersion r;
        r.artifact = {Kind::kModel, "m"};
        r.inputs = {"dataset/missing@1"};
        auto source = StringSource("x");
        return c.Put(r, *source, nullptr);
      },
      absl::StatusCode::kNotFound);
  ExpectSameError(
      [](StoreClient& c) {
        NewVersion r;
        r.artifact = {Kind::kModel, "m"};
        r.run_id = "norun";
        auto source = StringSource("x");
        return c.Put(r, *source, nullptr);
      },
      absl::StatusCode::kInvalidArgument);
  ExpectSameError(
      [](StoreClient& c) {
        NewVersion r;
        r.artifact = {Kind::kModel, "m"};
        r.run_id = "abc123";
        auto source = StringSource("x");
        return c.Put(r, *source, nullptr);
      },
      absl::StatusCode::kNotFound);
  ExpectSameError(
      [](StoreClient& c) {
        return c.SetAlias({Kind::kDataset, "base"}, "prod", 1, 5, "t", "");
      },
      absl::StatusCode::kFailedPrecondition);
  ExpectSameError(
      [](StoreClient& c) {
        return c.SetAlias({Kind::kDataset, "base"}, "prod", 7, std::nullopt, "t", "");
      },
      absl::StatusCode::kNotFound);
  ExpectSameError(
      [](StoreClient& c) {
        return c.RemoveAlias({Kind::kDataset, "base"}, "prod", std::nullopt, "t", "");
      },
      absl::StatusCode::kNotFound);
  ExpectSameError(
      [](StoreClient& c) {
        return c.AliasLog({Kind::kModel, "none"});
      },
      absl::StatusCode::kNotFound);
  ExpectSameError(
      [](StoreClient& c) {
        return c.Versions({Kind::kModel, "none"});
      },
      absl::StatusCode::kNotFound);
  ExpectSameError([](StoreClient& c) { return c.GetRun("missing"); },
                  absl::StatusCode::kInvalidArgument);
  ExpectSameError([](StoreClient& c) { return c.GetRun("abc123"); },
                  absl::StatusCode::kNotFound);
  ExpectSameError([](StoreClient& c) { return c.Lineage("run/abc123", {}); },
                  absl::StatusCode::kNotFound);
  ExpectSameError([](StoreClient& c) { return c.Lineage("model/Bad", {}); },
                  absl::StatusCode::kInvalidArgument);
  ExpectSameError([](StoreClient& c) { return c.Lineage("model/none@1", {}); },
                  absl::StatusCode::kNotFound);
  // Nothing was written by the failures.
  auto list = client().List(std::nullopt);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST_P(ClientTest, AliasesMoveAndAreLogged) {
  ASSERT_TRUE(Put("model/m", "one").ok());
  ASSERT_TRUE(Put("model/m", "two").ok());
  const ArtifactId m{Kind::kModel, "m"};
  auto move = client().SetAlias(m, "production", 1, 0, "alice", "first");
  ASSERT_TRUE(move.ok()) << move.status();
  EXPECT_EQ(move->to_version(), 1u);
  move = client().SetAlias(m, "production", 2, 1, "alice", "better");
  ASSERT_TRUE(move.ok()) << move.status();
  EXPECT_EQ(move->from_version(), 1u);
  move = client().RemoveAlias(m, "production", 2, "bob", "retired");
  ASSERT_TRUE(move.ok()) << move.status();
  EXPECT_EQ(move->to_version(), 0u);
  auto log = client().AliasLog(m);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].who(), "alice");
  EXPECT_EQ((*log)[2].who(), "bob");
  EXPECT_EQ((*log)[2].reason(), "retired");
}

TEST_P(ClientTest, RunsAndLineage) {
  ASSERT_TRUE(Put("dataset/train", "rows").ok());
  NewRun request;
  request.name = "fit";
  request.params = {{"lr", "0.1"}};
  request.inputs = {"dataset/train"};
  request.creator = "tester";
  auto run = client().StartRun(request);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->name(), "fit");
  EXPECT_EQ(run->creator(), "tester");
  auto logged = client().LogMetrics(run->id(), {{"auc", 0.91}, {"loss", 0.25}});
  ASSERT_TRUE(logged.ok()) << logged.status();
  EXPECT_EQ(logged->metrics().at("auc"), 0.91);
  NewVersion out;
  out.run_id = run->id();
  ASSERT_TRUE(Put("model/fit", "weights", out).ok());
  auto finished = client().FinishRun(run->id(), store::RUN_STATUS_OK);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), store::RUN_STATUS_OK);
  ExpectSameError(
      [&](StoreClient& c) { return c.FinishRun(run->id(), store::RUN_STATUS_FAILED); },
      absl::StatusCode::kFailedPrecondition);
  ExpectSameError(
      [&](StoreClient& c) {
        return c.LogMetrics(run->id(), {{"x", 1}});
      },
      absl::StatusCode::kFailedPrecondition);
  auto got = client().GetRun(run->id());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->params().at("lr"), "0.1");
  auto runs = client().ListRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);

  // The lineage the client walks equals the store's own walk, in every format.
  const std::vector<std::string> roots = {"model/fit@1", "run/" + run->id()};
  for (const std::string& root : roots) {
    for (const auto direction :
         {LineageDirection::kUp, LineageDirection::kDown, LineageDirection::kBoth}) {
      LineageOptions options;
      options.direction = direction;
      auto want = local_->Lineage(root, options);
      auto have = client().Lineage(root, options);
      ASSERT_TRUE(want.ok() && have.ok()) << root << " " << have.status();
      for (const auto format : {LineageFormat::kTree, LineageFormat::kJson,
                                LineageFormat::kDot, LineageFormat::kMermaid}) {
        EXPECT_EQ(RenderLineage(*have, format, direction),
                  RenderLineage(*want, format, direction))
            << root;
      }
    }
  }
}

TEST_P(ClientTest, FeaturesGiveTheLocalStoresAnswers) {
  auto applied = client().Apply(std::string(testing::kExampleDefinitions), "defs.yaml",
                                "tester", "first");
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0].name, "customer_stats");
  EXPECT_TRUE((*applied)[0].changed);
  ExpectSameError(
      [](StoreClient& c) { return c.Apply("entities: [", "bad.yaml", "t", ""); },
      absl::StatusCode::kInvalidArgument);

  const std::string csv = dir_.Sub("events.csv");
  std::ofstream(csv) << "customer_id,event_timestamp,spend_7d,segment\n"
                     << "1,2024-01-01T00:00:00Z,10.5,gold\n"
                     << "2,2024-01-02T00:00:00Z,,silver\n";
  features::IngestOptions options;
  options.creator = "tester";
  auto ingested = client().Ingest("customer_stats", csv, options);
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  EXPECT_EQ(ingested->rows, 2u);
  EXPECT_EQ(ingested->view_version, "featureview/customer_stats@1");
  EXPECT_EQ(ingested->min_event,
            features::ParseTimestamp("2024-01-01T00:00:00Z", features::TimeUnit::kSeconds)
                .value());
  const std::string bad = dir_.Sub("bad.csv");
  std::ofstream(bad) << "customer_id,event_timestamp,spend_7d\n1,100,x\n";
  ExpectSameError(
      [&](StoreClient& c) { return c.Ingest("customer_stats", bad, options); },
      absl::StatusCode::kInvalidArgument);
  ExpectSameError([&](StoreClient& c) { return c.Ingest("nope", csv, options); },
                  absl::StatusCode::kNotFound);

  const std::string spine = dir_.Sub("spine.csv");
  std::ofstream(spine) << "customer_id,event_timestamp\n1,2024-01-03T00:00:00Z\n"
                       << "2,2024-01-03T00:00:00Z\n3,2024-01-03T00:00:00Z\n";
  features::HistoricalRequest request;
  request.features = {"customer_stats:spend_7d", "customer_stats:segment"};
  request.spine_name = spine;
  std::string want, got;
  auto want_sink = StringSink(&want);
  auto got_sink = StringSink(&got);
  auto local = local_->Historical(request, spine, *want_sink);
  auto have = client().Historical(request, spine, *got_sink);
  ASSERT_TRUE(local.ok() && have.ok()) << have.status();
  EXPECT_EQ(got, want);
  EXPECT_EQ(have->rows, 3u);
  EXPECT_EQ(have->matched, local->matched);
  EXPECT_EQ(have->view_versions, local->view_versions);
  EXPECT_EQ(have->at.position, local->at.position);

  std::string saved_rows;
  auto saved_sink = StringSink(&saved_rows);
  auto saved =
      client().SaveHistorical(request, spine, "train", "tester", "m", saved_sink.get(), {});
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->dataset, "dataset/train@1");
  EXPECT_EQ(saved->spine, "dataset/train-spine@1");
  EXPECT_EQ(saved_rows, want);
  auto reproduced = client().Reproduce("dataset/train@1", nullptr);
  ASSERT_TRUE(reproduced.ok()) << reproduced.status();
  EXPECT_TRUE(reproduced->identical);
  EXPECT_EQ(reproduced->recorded, Sha256::Of(want));
  ExpectSameError([](StoreClient& c) { return c.Reproduce("dataset/none@1", nullptr); },
                  absl::StatusCode::kNotFound);

  const features::EntityColumns entities = {
      {"customer_id",
       {features::Value(int64_t{1}), features::Value(std::string("2")),
        features::Value(int64_t{9})}}};
  auto want_online = local_->Online(request.features, entities);
  auto got_online = client().Online(request.features, entities);
  ASSERT_TRUE(want_online.ok() && got_online.ok()) << got_online.status();
  EXPECT_EQ(features::OnlineResponseJson(*got_online, false),
            features::OnlineResponseJson(*want_online, false));
  ExpectSameError(
      [&](StoreClient& c) { return c.Online({"customer_stats:nope"}, entities); },
      absl::StatusCode::kNotFound);
}

// Online repair: a bad online row (written below the API, which refuses its time)
// rebuilt from the log, one entity's row removed; the same answers and errors
// locally and through a server.
TEST_P(ClientTest, OnlineRepairGivesTheLocalStoresAnswers) {
  ASSERT_TRUE(client()
                  .Apply(std::string(testing::kExampleDefinitions), "defs.yaml", "tester",
                         "")
                  .ok());
  const std::string csv = dir_.Sub("events.csv");
  std::ofstream(csv) << "customer_id,event_timestamp,spend_7d,segment\n"
                     << "1,2024-01-01T00:00:00Z,10.5,gold\n"
                     << "2,2024-01-02T00:00:00Z,,silver\n";
  ASSERT_TRUE(client().Ingest("customer_stats", csv, {}).ok());
  features::MergeOnlineRowAt(*store_, 1, 1, features::kYear58891);
  const std::vector<std::string> spend = {"customer_stats:spend_7d"};
  const features::EntityColumns both = {
      {"customer_id", {features::Value(int64_t{1}), features::Value(int64_t{2})}}};
  auto before = client().Online(spend, both);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->values[0].event_time(0), features::kYear58891);

  features::OnlineRebuildOptions options;
  auto r = client().RebuildOnline("customer_stats", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(features::OnlineRebuildJson(*r),
            "{\"featureview\":\"customer_stats\",\"entities\":2,\"rewritten\":1,"
            "\"removed\":0,\"unchanged\":1,\"skipped\":0,\"ingest_position\":1,"
            "\"ingest_pending\":[]}");
  auto after = client().Online(spend, both);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(features::FormatTimestamp(*after->values[0].event_time(0)),
            "2024-01-01T00:00:00Z");
  options.entities = {{"customer_id", {features::Value(std::string("2"))}}};
  r = client().RebuildOnline("customer_stats", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->entities, 1u);
  EXPECT_EQ(r->unchanged, 1u);

  const features::EntityColumns two = {{"customer_id", {features::Value(int64_t{2})}}};
  ASSERT_TRUE(client().RemoveOnline("customer_stats", two).ok());
  after = client().Online(spend, both);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->values[0].status(1), features::FeatureStatus::kNotFound);
  ExpectSameError([&](StoreClient& c) { return c.RemoveOnline("customer_stats", two); },
                  absl::StatusCode::kNotFound);
  ExpectSameError([&](StoreClient& c) { return c.RemoveOnline("nope", two); },
                  absl::StatusCode::kNotFound);
  ExpectSameError([&](StoreClient& c) { return c.RemoveOnline("customer_stats", both); },
                  absl::StatusCode::kInvalidArgument);
  ExpectSameError(
      [&](StoreClient& c) {
        return c.RemoveOnline("customer_stats",
                              {{"region", {features::Value(std::string("x"))}}});
      },
      absl::StatusCode::kInvalidArgument);
  ExpectSameError([&](StoreClient& c) { return c.RebuildOnline("nope", {}); },
                  absl::StatusCode::kNotFound);
  features::OnlineRebuildOptions bad;
  bad.entities = {{"customer_id", {features::Value(std::string("x"))}}};
  ExpectSameError([&](StoreClient& c) { return c.RebuildOnline("customer_stats", bad); },
                  absl::StatusCode::kInvalidArgument);
}

// A trim's report and refusal are the same locally and remotely.
TEST_P(ClientTest, TrimsGiveTheLocalStoresAnswers) {
  ASSERT_TRUE(client()
                  .Apply(std::string(testing::kExampleDefinitions), "defs.yaml", "t", "")
                  .ok());
  const std::string csv = dir_.Sub("events.csv");
  std::ofstream(csv) << "customer_id,event_timestamp,spend_7d,segment\n"
                     << "1,2024-01-01T00:00:00Z,10.5,gold\n"
                     << "1,2024-01-02T00:00:00Z,11,gold\n";
  ASSERT_TRUE(client().Ingest("customer_stats", csv, {}).ok());
  const std::string spine = dir_.Sub("spine.csv");
  std::ofstream(spine) << "customer_id,event_timestamp\n1,2024-01-01T12:00:00Z\n";
  features::HistoricalRequest request;
  request.features = {"customer_stats:spend_7d"};
  ASSERT_TRUE(client().SaveHistorical(request, spine, "train", "t", "", nullptr, {}).ok());

  TrimHorizon horizon;
  horizon.before =
      *features::ParseTimestamp("2024-01-03T00:00:00Z", features::TimeUnit::kSeconds);
  features::LogTrimOptions dry;
  dry.dry_run = true;
  auto report = client().TrimLog("customer_stats", horizon, dry);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rows_dropped, 1u);
  ASSERT_EQ(report->breaks.size(), 1u);
  EXPECT_EQ(report->breaks[0].dataset, "dataset/train@1");
  EXPECT_EQ(
      report->safe_horizon,
      *features::ParseTimestamp("2024-01-01T12:00:00Z", features::TimeUnit::kSeconds));
  ExpectSameError(
      [&](StoreClient& c) { return c.TrimLog("customer_stats", horizon, {}); },
      absl::StatusCode::kFailedPrecondition);
  ExpectSameError([&](StoreClient& c) { return c.TrimLog("nope", horizon, {}); },
                  absl::StatusCode::kNotFound);
  TrimHorizon keep;
  keep.keep_seconds = 86400;
  features::LogTrimOptions force;
  force.force = true;
  report = client().TrimLog("customer_stats", keep, force);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rows_dropped, 1u);
  EXPECT_FALSE(report->dry_run);
  ASSERT_EQ(report->breaks.size(), 1u);
}

// Ingest from a stored version, a file with stored content, inputs and a saved
// training set's lineage: the same answers and errors both ways.
TEST_P(ClientTest, IngestAndHistoricalLineageGiveTheLocalStoresAnswers) {
  ASSERT_TRUE(client()
                  .Apply(std::string(testing::kExampleDefinitions), "defs.yaml",
                         "tester", "")
                  .ok());
  const std::string rows =
      "customer_id,event_timestamp,spend_7d\n1,2024-01-01T00:00:00Z,10.5\n";
  ASSERT_TRUE(Put("dataset/raw", rows).ok());
  ASSERT_TRUE(Put("dataset/labels", "customer_id,label\n1,1\n").ok());
  features::IngestOptions options;
  options.creator = "tester";
  options.inputs = {"dataset/labels"};
  auto read = client().Ingest("customer_stats", "dataset/raw", options);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->source, features::IngestSource::kRead);
  EXPECT_EQ(read->dataset, "dataset/raw@1");
  EXPECT_EQ(read->inputs, std::vector<std::string>{"dataset/labels@1"});
  EXPECT_EQ(read->rows, 1u);

  const std::string csv = dir_.Sub("same.csv");
  std::ofstream(csv) << rows;
  options.inputs.clear();
  auto same = client().Ingest("customer_stats", csv, options);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->source, features::IngestSource::kSameContent);
  EXPECT_EQ(same->dataset, "dataset/raw@1");
  EXPECT_EQ(same->same_content, 1u);

  for (const auto& [source, input, code] :
       std::vector<std::tuple<std::string, std::string, absl::StatusCode>>{
           {"dataset/raw@4", "", absl::StatusCode::kNotFound},
           {"model/x", "", absl::StatusCode::kInvalidArgument},
           {csv, "dataset/nope", absl::StatusCode::kNotFound}}) {
    features::IngestOptions bad;
    if (!input.empty()) bad.inputs = {input};
    ExpectSameError(
        [&](StoreClient& c) { return c.Ingest("customer_stats", source, bad); }, code);
  }

  const std::string spine = dir_.Sub("spine.csv");
  std::ofstream(spine) << "customer_id,event_timestamp\n1,2024-01-03T00:00:00Z\n";
  features::HistoricalRequest request;
  request.features = {"customer_stats:spend_7d"};
  request.spine_name = spine;
  features::SaveLineage lineage;
  lineage.inputs = {"dataset/labels"};
  lineage.spine_inputs = {"dataset/labels@1"};
  auto saved = client().SaveHistorical(request, spine, "train", "tester", "", nullptr,
                                       lineage);
  ASSERT_TRUE(saved.ok()) << saved.status();
  auto train = client().Resolve(*ParseRef(saved->dataset));
  ASSERT_TRUE(train.ok());
  EXPECT_EQ(std::vector<std::string>(train->inputs().begin(), train->inputs().end()),
            (std::vector<std::string>{"dataset/labels@1", "dataset/train-spine@1",
                                      "featureview/customer_stats@1"}));
  auto spine_version = client().Resolve(*ParseRef(saved->spine));
  ASSERT_TRUE(spine_version.ok());
  EXPECT_EQ(spine_version->inputs_size(), 1);
  ExpectSameError(
      [&](StoreClient& c) {
        return c.SaveHistorical(request, spine, "t", "tester", "", nullptr,
                                {{"dataset/nope@1"}, {}});
      },
      absl::StatusCode::kNotFound);
  ExpectSameError(
      [&](StoreClient& c) {
        return c.SaveHistorical(request, "dataset/train-spine", "t", "tester", "",
                                nullptr, {{}, {"dataset/labels"}});
      },
      absl::StatusCode::kInvalidArgument);

  auto down = client().Lineage("dataset/raw@1", {.direction = LineageDirection::kDown});
  ASSERT_TRUE(down.ok()) << down.status();
  std::vector<std::string> ids;
  for (const auto& node : down->nodes) ids.push_back(node.id);
  // The ingests' profiles describe the dataset version they read.
  EXPECT_EQ(ids, (std::vector<std::string>{"dataset/raw@1", "featureview/customer_stats@1",
                                           "profile/customer_stats.ingests@1",
                                           "profile/customer_stats.ingests@2",
                                           "dataset/train@1"}));
}

TEST_P(ClientTest, DriftGivesTheLocalStoresAnswers) {
  ASSERT_TRUE(Put("dataset/t", "x,city\n1,oslo\n2,oslo\n3,rome\n4,rome\n").ok());
  ASSERT_TRUE(Put("dataset/t", "x,city\n3,rome\n4,rome\n5,rome\n6,paris\n").ok());
  quality::DriftRequest request;
  request.baseline = "dataset/t@1";
  request.current = "dataset/t";
  auto drift = client().Drift(request);
  ASSERT_TRUE(drift.ok()) << drift.status();
  EXPECT_EQ(drift->current, "dataset/t@2");
  ASSERT_EQ(drift->features.size(), 2u);
  EXPECT_EQ(quality::DriftJson(*drift), quality::DriftJson(*local_->Drift(request)));
  request.features = {"city"};
  EXPECT_EQ(quality::DriftJson(*client().Drift(request)),
            quality::DriftJson(*local_->Drift(request)));

  for (const auto& [current, code] :
       {std::pair{"dataset/nope", absl::StatusCode::kNotFound},
        std::pair{"model/m", absl::StatusCode::kInvalidArgument}}) {
    ExpectSameError(
        [current](StoreClient& c) {
          quality::DriftRequest r;
          r.baseline = "dataset/t@1";
          r.current = current;
          return c.Drift(r);
        },
        code);
  }
}

TEST_P(ClientTest, StatsGiveTheLocalStoresAnswers) {
  ASSERT_TRUE(
      client()
          .Apply(std::string(testing::kExampleDefinitions), "defs.yaml", "tester", "")
          .ok());
  ASSERT_TRUE(Put("dataset/raw",
                  "customer_id,event_timestamp,spend_7d\n1,2024-01-01T00:00:00Z,10.5\n"
                  "2,2024-01-02T00:00:00Z,\n3,2024-01-03T00:00:00Z,4\n")
                  .ok());
  quality::StatsRequest request;
  request.ref = "dataset/raw";
  request.creator = "tester";
  auto first = client().Stats(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->computed);
  EXPECT_EQ(first->stored, "profile/raw@1");
  auto again = local_->Stats(request);  // read back, whoever stored it
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->computed);
  EXPECT_EQ(
      quality::StatsJson(*again).substr(quality::StatsJson(*again).find("\"rows\"")),
      quality::StatsJson(*first).substr(quality::StatsJson(*first).find("\"rows\"")));

  features::IngestOptions options;
  options.creator = "tester";
  ASSERT_TRUE(client().Ingest("customer_stats", "dataset/raw", options).ok());
  quality::StatsRequest window;
  window.ref = "featureview/customer_stats[2024-01-01T00:00:00Z..]";
  window.to = 1704153600 * int64_t{1000000};  // 2024-01-02: one row
  auto w = client().Stats(window);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->profile.rows(), 1u);
  EXPECT_EQ(w->source,
            "featureview/customer_stats[2024-01-01T00:00:00Z..2024-01-02T00:00:00Z]");
  EXPECT_EQ(quality::StatsJson(*w), quality::StatsJson(*local_->Stats(window)));

  ExpectSameError(
      [](StoreClient& c) {
        quality::StatsRequest r;
        r.ref = "dataset/nope";
        return c.Stats(r);
      },
      absl::StatusCode::kNotFound);
  ExpectSameError(
      [](StoreClient& c) {
        quality::StatsRequest r;
        r.ref = "model/x";
        return c.Stats(r);
      },
      absl::StatusCode::kInvalidArgument);
  ExpectSameError(
      [](StoreClient& c) {
        quality::StatsRequest r;
        r.ref = "dataset/raw";
        r.view = "featureview/missing";
        return c.Stats(r);
      },
      absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace strata
