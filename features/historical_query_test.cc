#include "features/historical_query.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::features {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

HistoricalQuery Query(std::initializer_list<std::string> features) {
  HistoricalQuery q;
  for (const std::string& f : features) q.add_features(f);
  return q;
}

TEST(HistoricalQueryTest, ParsesEveryField) {
  HistoricalQuery q = Query({"stats:spend", "stats:visits"});
  q.set_timestamp_unit("ms");
  q.set_as_of("1700000000000");
  q.set_created_cutoff(true);
  q.set_full_names(true);
  q.set_format("jsonl");
  q.set_save("dataset/train");
  q.set_message("nightly");
  q.add_inputs("dataset/labels@2");
  q.add_spine_inputs("config/c");
  q.set_spine("dataset/spine@3");
  auto p = ParseHistoricalQuery(q, QueryDialect::kHttp);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->request.features, ElementsAre("stats:spend", "stats:visits"));
  EXPECT_EQ(p->request.timestamp_unit, TimeUnit::kMillis);
  EXPECT_EQ(p->request.as_of, Micros{1700000000000000});
  EXPECT_TRUE(p->request.created_cutoff);
  EXPECT_TRUE(p->request.full_names);
  EXPECT_EQ(p->request.format, ResultFormat::kJsonLines);
  EXPECT_EQ(p->save, "train");
  EXPECT_EQ(p->message, "nightly");
  EXPECT_THAT(p->lineage.inputs, ElementsAre("dataset/labels@2"));
  EXPECT_THAT(p->lineage.spine_inputs, ElementsAre("config/c"));
  EXPECT_EQ(p->spine, "dataset/spine@3");
}

TEST(HistoricalQueryTest, DefaultsAreThoseOfTheRequest) {
  auto p = ParseHistoricalQuery(Query({"stats:spend"}), QueryDialect::kHttp);
  ASSERT_TRUE(p.ok()) << p.status();
  const HistoricalRequest defaults;
  EXPECT_EQ(p->request.timestamp_unit, defaults.timestamp_unit);
  EXPECT_FALSE(p->request.as_of.has_value());
  EXPECT_EQ(p->request.format, ResultFormat::kCsv);
  EXPECT_EQ(p->request.spine_name, defaults.spine_name);
  EXPECT_FALSE(p->save.has_value());
  EXPECT_FALSE(p->spine.has_value());
}

TEST(HistoricalQueryTest, EncodingThenParsingGivesTheRequestBack) {
  ParsedHistoricalQuery in;
  in.request.features = {"stats:spend", "geo:region"};
  in.request.timestamp_unit = TimeUnit::kNanos;
  in.request.as_of = Micros{1700000000123456};
  in.request.created_cutoff = true;
  in.request.format = ResultFormat::kJsonLines;
  in.request.spine_name = "spine, with a comma.csv";
  in.save = "train";
  in.message = "a message & more";
  in.lineage = {{"dataset/labels@1", "config/c@2"}, {"dataset/raw@4"}};

  // Through the query string's parameters, as a server decodes them.
  std::multimap<std::string, std::string> params;
  for (const auto& [name, value] : QueryParameters(HistoricalQueryOf(in))) {
    params.emplace(name, value);
  }
  auto query = HistoricalQueryOfParameters(params);
  ASSERT_TRUE(query.ok()) << query.status();
  auto out = ParseHistoricalQuery(*query, QueryDialect::kHttp);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->request.features, in.request.features);
  EXPECT_EQ(out->request.timestamp_unit, in.request.timestamp_unit);
  EXPECT_EQ(out->request.as_of, in.request.as_of);
  EXPECT_EQ(out->request.created_cutoff, in.request.created_cutoff);
  EXPECT_EQ(out->request.full_names, in.request.full_names);
  EXPECT_EQ(out->request.format, in.request.format);
  EXPECT_EQ(out->request.spine_name, in.request.spine_name);
  EXPECT_EQ(out->save, in.save);
  EXPECT_EQ(out->message, in.message);
  EXPECT_EQ(out->lineage.inputs, in.lineage.inputs);
  EXPECT_EQ(out->lineage.spine_inputs, in.lineage.spine_inputs);
  EXPECT_FALSE(out->spine.has_value());

  // A stored spine travels as spine=, without spine_name=.
  in.spine = "dataset/spine@2";
  auto stored = ParseHistoricalQuery(HistoricalQueryOf(in), QueryDialect::kHttp);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->spine, "dataset/spine@2");
  EXPECT_TRUE(HistoricalQueryOf(in).spine_name().empty());
}

TEST(HistoricalQueryTest, ParametersAreTheSetFieldsInFieldOrder) {
  HistoricalQuery q = Query({"a:x", "b:y"});
  q.set_full_names(true);
  q.set_save("dataset/t");
  EXPECT_THAT(QueryParameters(q),
              ElementsAre(Pair("features", "a:x,b:y"), Pair("full_names", "true"),
                          Pair("save", "dataset/t")));
}

TEST(HistoricalQueryTest, RepeatedParametersCollectEveryValue) {
  auto q = HistoricalQueryOfParameters({{"features", "a:x,b:y"},
                                        {"features", "c:z"},
                                        {"as_of", "1"},
                                        {"as_of", "2"},
                                        {"unknown", "left to the route"}});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_THAT(q->features(), ElementsAre("a:x", "b:y", "c:z"));
  EXPECT_EQ(q->as_of(), "1");
}

TEST(HistoricalQueryTest, ABoolParameterIsTrueOrFalse) {
  auto q = HistoricalQueryOfParameters({{"created_cutoff", "yes"}});
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(q.status().message(), HasSubstr("created_cutoff=yes is not true or false"));
  q = HistoricalQueryOfParameters({{"created_cutoff", "false"}, {"full_names", "true"}});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_FALSE(q->created_cutoff());
  EXPECT_TRUE(q->full_names());
}

TEST(HistoricalQueryTest, ParameterNamesAreTheFields) {
  EXPECT_THAT(HistoricalQueryParameterNames(),
              ElementsAre("features", "timestamp_unit", "as_of", "created_cutoff",
                          "full_names", "format", "save", "message", "inputs",
                          "spine_inputs", "spine", "spine_name"));
}

// Each bad query, with the error as the HTTP route and as the command line say it.
TEST(HistoricalQueryTest, ErrorsNameTheParameterAsTheCallerWroteIt) {
  struct Case {
    std::function<void(HistoricalQuery&)> change;
    std::string http, command_line;
  };
  const std::vector<Case> cases = {
      {[](HistoricalQuery& q) { q.clear_features(); },
       "features=VIEW:FEATURE[,VIEW:FEATURE...] is required",
       "--features VIEW:FEATURE[,VIEW:FEATURE...] is required"},
      {[](HistoricalQuery& q) { q.set_timestamp_unit("days"); }, "timestamp_unit: ",
       "--timestamp-unit: "},
      {[](HistoricalQuery& q) { q.set_as_of("later"); }, "as_of: ", "--as-of: "},
      {[](HistoricalQuery& q) { q.set_format("xml"); }, "format=xml is not csv or jsonl",
       "--format xml is not csv or jsonl"},
      {[](HistoricalQuery& q) { q.set_save("train"); }, "save=train: expected dataset/NAME",
       "--save train: expected dataset/NAME"},
      {[](HistoricalQuery& q) { q.set_save("dataset/a b"); }, "save=dataset/a b: ",
       "--save dataset/a b: "},
      {[](HistoricalQuery& q) { q.add_inputs("dataset/labels"); },
       "inputs= and spine_inputs= are lineage of a saved training set: give save= too",
       "--input and --spine-input are lineage of a saved training set: give --save too"},
      {[](HistoricalQuery& q) { q.set_spine("spine.csv"); },
       "spine=spine.csv: expected dataset/NAME[@REF]",
       "--spine spine.csv: expected dataset/NAME[@REF]"},
  };
  for (const Case& c : cases) {
    HistoricalQuery q = Query({"stats:spend"});
    c.change(q);
    auto http = ParseHistoricalQuery(q, QueryDialect::kHttp);
    EXPECT_EQ(http.status().code(), absl::StatusCode::kInvalidArgument) << c.http;
    EXPECT_THAT(http.status().message(), HasSubstr(c.http));
    auto cli = ParseHistoricalQuery(q, QueryDialect::kCommandLine);
    EXPECT_EQ(cli.status().code(), absl::StatusCode::kInvalidArgument) << c.command_line;
    EXPECT_THAT(cli.status().message(), HasSubstr(c.command_line));
  }
}

}  // namespace
}  // namespace strata::features
