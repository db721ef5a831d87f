#include "store/lineage.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/render.h"
#include "store/store.h"
#include "tests/testing.h"

namespace strata {
namespace {

// raw@1 -> clean@1 -> run(train) -> model@1
// config@1 ----------> run(train)
// clean@1 -> report@1 (direct)
// raw@1 -> model@1 also (a diamond: raw reaches model two ways)
class LineageTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    Put("dataset/raw", "raw", {});
    Put("dataset/clean", "clean", {"dataset/raw"});
    Put("config/train", "cfg", {});
    auto run =
        store_->runs().Start({"train", {}, {"dataset/clean", "config/train"}, "t"});
    ASSERT_TRUE(run.ok());
    run_ = run->id();
    Put("model/churn", "weights", {"dataset/raw"}, run_);
    Put("dataset/report", "report", {"dataset/clean"});
  }

  void Put(const std::string& artifact, absl::string_view data,
           std::vector<std::string> inputs, std::string run = "") {
    auto source = StringSource(data);
    auto stats = store_->content().Put(*source);
    ASSERT_TRUE(stats.ok());
    NewVersion v{*ParseArtifactId(artifact),
                 stats->content_id,
                 {},
                 std::move(inputs),
                 std::move(run),
                 "",
                 "t",
                 ""};
    ASSERT_TRUE(store_->artifacts().Commit(v).ok());
  }

  std::set<std::string> Ids(const LineageGraph& g) {
    std::set<std::string> ids;
    for (const auto& n : g.nodes) ids.insert(n.id);
    return ids;
  }

  std::string run_;
};

TEST_F(LineageTest, UpstreamOfTheModel) {
  auto g = store_->lineage().Walk("model/churn@1", {});
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(Ids(*g),
            (std::set<std::string>{"model/churn@1", "run/" + run_, "dataset/raw@1",
                                   "dataset/clean@1", "config/train@1"}));
  EXPECT_EQ(g->nodes[0].id, "model/churn@1");
  // Every node once, even though raw is reached twice.
  EXPECT_EQ(g->nodes.size(), 5u);
  EXPECT_EQ(g->edges.size(),
            5u);  // raw->model, run->model, clean->run, config->run, raw->clean
  for (const auto& n : g->nodes) {
    if (n.id == "dataset/raw@1") {
      EXPECT_EQ(n.depth, 1);
    }
    if (n.id == "dataset/clean@1") {
      EXPECT_EQ(n.depth, 2);
    }
    if (n.id.rfind("run/", 0) == 0) {
      ASSERT_TRUE(n.run.has_value());
      EXPECT_EQ(n.run->name(), "train");
    } else {
      ASSERT_TRUE(n.version.has_value());
    }
  }
}

TEST_F(LineageTest, DepthLimit) {
  LineageOptions options;
  options.max_depth = 1;
  auto g = store_->lineage().Walk("model/churn@1", options);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(Ids(*g),
            (std::set<std::string>{"model/churn@1", "run/" + run_, "dataset/raw@1"}));
}

TEST_F(LineageTest, DownstreamAndBoth) {
  LineageOptions down;
  down.direction = LineageDirection::kDown;
  auto g = store_->lineage().Walk("dataset/clean@1", down);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(Ids(*g), (std::set<std::string>{"dataset/clean@1", "run/" + run_,
                                            "model/churn@1", "dataset/report@1"}));
  LineageOptions both;
  both.direction = LineageDirection::kBoth;
  auto b = store_->lineage().Walk("dataset/clean@1", both);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Ids(*b).count("dataset/raw@1"), 1u);
  EXPECT_EQ(Ids(*b).count("model/churn@1"), 1u);
  EXPECT_EQ(Ids(*b).count("config/train@1"), 0u);  // a sibling input, neither up nor down
}

TEST_F(LineageTest, WalkFromARun) {
  auto g = store_->lineage().Walk("run/" + run_, {});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(Ids(*g), (std::set<std::string>{"run/" + run_, "dataset/clean@1",
                                            "config/train@1", "dataset/raw@1"}));
}

TEST_F(LineageTest, UnknownRootIsNotFound) {
  EXPECT_EQ(store_->lineage().Walk("model/churn@9", {}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->lineage().Walk("run/ffffffffffffffff", {}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->lineage().Walk("nonsense", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LineageTest, RenderedFormats) {
  auto g = store_->lineage().Walk("model/churn@1", {});
  ASSERT_TRUE(g.ok());
  const std::string json = RenderLineage(*g, LineageFormat::kJson, LineageDirection::kUp);
  EXPECT_EQ(json.rfind("{\"root\":\"model/churn@1\",\"nodes\":[{\"id\":\"model/churn@1\","
                       "\"kind\":\"model\",\"name\":\"churn\",\"version\":1,",
                       0),
            0u)
      << json;
  EXPECT_NE(json.find("{\"from\":\"run/" + run_ +
                      "\",\"to\":\"model/churn@1\",\"kind\":\"output\"}"),
            std::string::npos);
  EXPECT_NE(json.find("\"kind\":\"run\",\"name\":\"train\""), std::string::npos);
  const std::string tree = RenderLineage(*g, LineageFormat::kTree, LineageDirection::kUp);
  EXPECT_EQ(tree.substr(0, tree.find('\n')), "model/churn@1");
  EXPECT_NE(tree.find("(shown above)"), std::string::npos);  // raw appears twice
  const std::string dot = RenderLineage(*g, LineageFormat::kDot, LineageDirection::kUp);
  EXPECT_NE(dot.find("\"dataset/raw@1\" -> \"model/churn@1\""), std::string::npos);
  const std::string mermaid =
      RenderLineage(*g, LineageFormat::kMermaid, LineageDirection::kUp);
  EXPECT_EQ(mermaid.rfind("flowchart LR\n", 0), 0u);
  EXPECT_FALSE(ParseLineageFormat("svg").ok());
}

TEST_F(LineageTest, ScanEdgesListsEachEdgeInBothDirections) {
  std::set<std::string> down, up;
  ASSERT_TRUE(store_->lineage()
                  .ScanEdges([&](const EdgeRecord& e) {
                    EXPECT_TRUE(e.well_formed) << e.key;
                    const std::string edge = absl::StrCat(e.node, " ", e.other);
                    (e.direction == LineageDirection::kDown ? down : up).insert(edge);
                    return absl::OkStatus();
                  })
                  .ok());
  const std::string run = "run/" + run_;
  EXPECT_EQ(down, (std::set<std::string>{"dataset/raw@1 dataset/clean@1",
                                         "dataset/clean@1 " + run, "config/train@1 " + run,
                                         "dataset/raw@1 model/churn@1",
                                         run + " model/churn@1",
                                         "dataset/clean@1 dataset/report@1"}));
  EXPECT_EQ(up.size(), down.size());
  EXPECT_TRUE(up.contains("model/churn@1 " + run));
}

TEST_F(LineageTest, HasEdgeRecordLooksUpOneDirection) {
  EXPECT_EQ(*store_->lineage().HasEdgeRecord(LineageDirection::kDown, "dataset/raw@1",
                                             "dataset/clean@1"),
            true);
  EXPECT_EQ(*store_->lineage().HasEdgeRecord(LineageDirection::kUp, "dataset/clean@1",
                                             "dataset/raw@1"),
            true);
  EXPECT_EQ(*store_->lineage().HasEdgeRecord(LineageDirection::kUp, "dataset/raw@1",
                                             "dataset/clean@1"),
            false);
}

TEST_F(LineageTest, RunExistsOnlyForStoredRuns) {
  EXPECT_EQ(*store_->runs().Exists(run_), true);
  EXPECT_EQ(*store_->runs().Exists("0000nothere"), false);
  EXPECT_EQ(*store_->runs().Exists(""), false);
}

}  // namespace
}  // namespace strata
