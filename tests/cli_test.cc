// The `strata` command line, end to end: output formats, exit codes, errors.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/feature_store_testing.h"
#include "features/redis_testing.h"
#include "gtest/gtest.h"
#include "store/database.h"
#include "store/digest.h"
#include "store/internal/db.h"
#include "store/s3/rgw_testing.h"
#include "store/s3/s3_client.h"
#include "store/store.h"
#include "tests/subprocess.h"
#include "tests/testing.h"

namespace strata {
namespace {

using testing::ProcessResult;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_dir_ = dir_.Sub("store");
    ASSERT_EQ(Strata({"init"}).exit_code, 0);
  }

  // Points every later command at a `strata serve` of the store, which it starts,
  // with an admin token owned by "tester" (the commands' STRATA_USER, so that the
  // records name the same user as on a local store).
  void ServeStore(const std::string& flags = "") {
    token_ = "strata_" + std::string(64, 'a');
    const std::string tokens = WriteFile("tokens", "admin " + token_ + " tester\n");
    std::filesystem::create_directories(dir_.Sub("backups"));
    server_url_ = testing::StartServer(
        std::string(STRATA_BINARY) + " --store " + store_dir_ +
            " serve --listen 127.0.0.1:0 -q --tokens " + tokens + " --backup-dir " +
            dir_.Sub("backups") + " " + flags + " 2>&1",
        &server_);
    ASSERT_FALSE(server_url_.empty());
  }

  void TearDown() override {
    if (server_ != nullptr) {
      std::vector<std::string> lines;
      server_->Kill(&lines);
    }
  }

  ProcessResult Strata(std::vector<std::string> args,
                       const std::string& stdin_data = "") {
    std::vector<std::string> argv = {STRATA_BINARY, "--store", store_dir_};
    if (!server_url_.empty()) {
      argv = {STRATA_BINARY, "--server", server_url_, "--token", token_};
    }
    argv.insert(argv.end(), args.begin(), args.end());
    testing::ProcessOptions options;
    options.stdin_data = stdin_data;
    options.env = env_;
    options.env["STRATA_USER"] = user_;
    return testing::RunProcess(argv, options);
  }

  // Runs a command that must succeed; returns its stdout.
  std::string Ok(std::vector<std::string> args, const std::string& stdin_data = "") {
    ProcessResult r = Strata(args, stdin_data);
    EXPECT_EQ(r.exit_code, 0) << "strata " << args[0] << ": " << r.err;
    EXPECT_EQ(r.err, "");
    return r.out;
  }

  // The example definitions, and four rows of customer_stats from January 2024:
  // customer 1 on the 1st, 2nd and 5th, customer 2 on the 3rd.
  void ApplyAndIngestFourRows() {
    Ok({"apply", WriteFile("defs.yaml", std::string(testing::kExampleDefinitions))});
    Ok({"ingest", "customer_stats",
        WriteFile("events.csv",
                  "customer_id,event_timestamp,spend_7d,segment\n"
                  "1,2024-01-01T00:00:00Z,1,a\n1,2024-01-02T00:00:00Z,2,b\n"
                  "1,2024-01-05T00:00:00Z,5,c\n2,2024-01-03T00:00:00Z,3,d\n")});
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  struct BadCommand {
    std::vector<std::string> args;
    int exit_code;
    std::string message_part;
  };

  // Each command fails with its exit code and a one-line error containing its
  // message part, and prints nothing on standard output.
  void ExpectBadCommands(const std::vector<BadCommand>& cases) {
    for (const auto& c : cases) {
      ProcessResult r = Strata(c.args);
      std::string cmd;
      for (const auto& a : c.args) cmd += a + " ";
      EXPECT_EQ(r.exit_code, c.exit_code) << cmd << r.err;
      EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << cmd << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << cmd << r.err;
      EXPECT_NE(r.err.find(c.message_part), std::string::npos) << cmd << r.err;
      EXPECT_EQ(r.out, "") << cmd;
    }
  }

  testing::ScratchDir dir_;
  std::string store_dir_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::string server_url_, token_;
  std::string user_ = "tester";  // the commands' STRATA_USER
  std::map<std::string, std::string> env_;  // added to every command's environment
};

// The commands that work on a store, each run against a local store and against a
// server of one: the output must be the same.
class CliBothTest : public CliTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (GetParam()) ServeStore();
  }
};

INSTANTIATE_TEST_SUITE_P(LocalAndServer, CliBothTest, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? "Server" : "Local";
                         });

TEST_P(CliBothTest, PutPrintsRefAndSha256AndGetRoundTrips) {
  std::mt19937_64 rng(testing::TestSeed());
  const std::string content = testing::RandomBytes(rng, 700 * 1024);
  const std::string file = WriteFile("data.bin", content);
  const std::string out = Ok({"put", "dataset/raw", file, "-m", "first"});
  EXPECT_EQ(out, "dataset/raw@1 sha256:" + Sha256::Of(content).Hex() + "\n");

  EXPECT_TRUE(Ok({"get", "dataset/raw"}) == content);
  const std::string copy = dir_.Sub("copy.bin");
  const mode_t old_mask = ::umask(022);
  EXPECT_EQ(Ok({"get", "dataset/raw@1", "-o", copy}), "");
  ::umask(old_mask);
  EXPECT_TRUE(ReadFile(copy) == content);
  struct stat st {};
  ASSERT_EQ(::stat(copy.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);  // as a plain create under umask 022

  // Standard input works too, and identical content returns the same version.
  EXPECT_EQ(Ok({"put", "dataset/raw", "-"}, content), out);
  EXPECT_EQ(Ok({"put", "dataset/raw", "-"}, "other"),
            "dataset/raw@2 sha256:" + Sha256::Of("other").Hex() + "\n");
  EXPECT_EQ(Ok({"put", "dataset/empty", "-"}, ""),
            "dataset/empty@1 sha256:" + Sha256::Of("").Hex() + "\n");
  EXPECT_EQ(Ok({"get", "dataset/empty"}), "");
}

TEST_P(CliBothTest, ShowLogAndLsAsJson) {
  const std::string file = WriteFile("a.csv", "id,x\n1,2\n");
  Ok({"put", "dataset/raw", file});
  Ok({"put", "model/churn", "-", "--meta", "framework=sklearn", "--meta", "auc=0.91",
      "--input", "dataset/raw", "-m", "baseline", "--alias", "staging"},
     "weights");
  const std::string show = Ok({"show", "model/churn@staging", "--json"});
  const std::regex shape(
      R"(\{"ref":"model/churn@1","kind":"model","name":"churn","version":1,)"
      R"("content_id":"sha256:[0-9a-f]{64}","size":7,"created":"[0-9T:.Z-]+",)"
      R"("creator":"tester","on_behalf_of":null,"message":"baseline",)"
      R"("metadata":\{"auc":"0.91","framework":"sklearn"\},)"
      R"("inputs":\["dataset/raw@1"\],"run":null,"aliases":\["staging"\],"deleted":null\}\n)");
  EXPECT_TRUE(std::regex_match(show, shape)) << show;

  Ok({"put", "model/churn", "-"}, "weights v2");
  const std::string log = Ok({"log", "model/churn", "--json"});
  EXPECT_EQ(log.rfind("[{\"ref\":\"model/churn@2\"", 0), 0u) << log;
  EXPECT_NE(log.find("{\"ref\":\"model/churn@1\""), std::string::npos);

  const std::string ls = Ok({"ls", "model", "--json"});
  EXPECT_EQ(ls.substr(0, ls.find("\"created\"")),
            "[{\"artifact\":\"model/"
            "churn\",\"kind\":\"model\",\"name\":\"churn\",\"latest\":2,");
  EXPECT_NE(ls.find("\"aliases\":{\"staging\":1}"), std::string::npos);
  // Text forms mention the same facts.
  EXPECT_NE(Ok({"show", "model/churn@1"}).find("framework=sklearn"), std::string::npos);
  EXPECT_NE(Ok({"log", "model/churn"}).find("[staging]"), std::string::npos);
  EXPECT_NE(Ok({"ls"}).find("dataset/raw"), std::string::npos);
}

TEST_P(CliBothTest, AliasCompareAndSetAndAuditLog) {
  Ok({"put", "model/churn", "-"}, "v1");
  Ok({"put", "model/churn", "-"}, "v2");
  EXPECT_EQ(Ok({"alias", "set", "model/churn", "production", "1", "--expect", "none",
                "-m", "launch"}),
            "model/churn@production: (none) -> @1\n");
  ProcessResult stale =
      Strata({"alias", "set", "model/churn", "production", "2", "--expect", "2"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_EQ(stale.err,
            "error: model/churn@production points to version 1, expected version 2\n");
  EXPECT_EQ(Ok({"alias", "set", "model/churn", "production", "2", "--expect", "@1", "-m",
                "better auc"}),
            "model/churn@production: @1 -> @2\n");
  const std::string log = Ok({"alias", "log", "model/churn", "--json"});
  const std::regex shape(
      R"(\[\{"sequence":0,"alias":"production","from":null,"to":1,"who":"tester",)"
      R"("on_behalf_of":null,"at":"[^"]+","reason":"launch"\},)"
      R"(\{"sequence":1,"alias":"production","from":1,"to":2,"who":"tester",)"
      R"("on_behalf_of":null,"at":"[^"]+","reason":"better auc"\}\]\n)");
  EXPECT_TRUE(std::regex_match(log, shape)) << log;
  EXPECT_EQ(Ok({"alias", "rm", "model/churn", "production", "-m", "rollback"}),
            "model/churn@production: @2 -> (none)\n");
}

TEST_P(CliBothTest, RmRefusesProtectedVersionsAndWhyKeptSaysWhy) {
  Ok({"put", "dataset/raw", "-"}, "rows 1");
  Ok({"put", "dataset/raw", "-"}, "rows 2");
  std::string run_id = Ok({"run", "start", "train", "--input", "dataset/raw@1"});
  run_id.pop_back();
  Ok({"put", "model/churn", "-", "--run", run_id, "--alias", "production"}, "weights");
  EXPECT_EQ(Ok({"why-kept", "dataset/raw@1"}),
            "dataset/raw@1 is kept by:\n  model/churn@1 (production), downstream "
            "through run/" +
                run_id + "\n");
  EXPECT_EQ(Ok({"why-kept", "dataset/raw@1", "--json"}),
            "{\"version\":\"dataset/raw@1\",\"kept_by\":[{\"node\":\"model/churn@1\","
            "\"aliases\":[\"production\"],\"current_definition\":false,\"path\":["
            "\"dataset/raw@1\",\"run/" +
                run_id + "\",\"model/churn@1\"]}]}\n");
  EXPECT_EQ(Ok({"why-kept", "dataset/raw@2"}),
            "dataset/raw@2 is not protected: no version in use was made from it\n");

  ProcessResult refused = Strata({"rm", "dataset/raw@1", "-m", "old"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err,
            "error: dataset/raw@1 is protected: kept by model/churn@1 "
            "(production), downstream through run/" +
                run_id +
                " (strata why-kept dataset/raw@1 lists all; --force "
                "deletes it anyway)\n");
  ProcessResult latest = Strata({"rm", "dataset/raw"});
  EXPECT_EQ(latest.exit_code, 2);
  EXPECT_EQ(latest.err,
            "error: name the version to delete: dataset/raw@N or dataset/raw@ALIAS\n");
  EXPECT_EQ(Strata({"rm", "dataset/raw@9"}).exit_code, 2);  // not found

  EXPECT_EQ(Ok({"rm", "dataset/raw@2", "-m", "superseded"}), "deleted dataset/raw@2\n");
  const std::string show = Ok({"show", "dataset/raw@2", "--json"});
  EXPECT_NE(show.find("\"deleted\":{\"by\":\"tester\",\"on_behalf_of\":null,\"at\":\""),
            std::string::npos)
      << show;
  EXPECT_NE(show.find("\"reason\":\"superseded\",\"overridden\":[]}"), std::string::npos)
      << show;
  EXPECT_NE(Ok({"log", "dataset/raw"}).find("(deleted)"), std::string::npos);
  ProcessResult get = Strata({"get", "dataset/raw@2"});
  EXPECT_EQ(get.exit_code, 1);
  EXPECT_EQ(get.out, "");
  EXPECT_TRUE(std::regex_match(
      get.err, std::regex("error: dataset/raw@2 was deleted by tester at [0-9T:.Z-]+: "
                          "superseded\n")))
      << get.err;
  EXPECT_EQ(
      Strata({"put", "dataset/clean", "-", "--input", "dataset/raw@2"}, "x").exit_code,
      1);
  EXPECT_EQ(Strata({"rm", "dataset/raw@2"}).exit_code, 1);  // already deleted

  EXPECT_EQ(Ok({"rm", "model/churn@production", "--force", "-m", "retired"}),
            "deleted model/churn@1\n  --force overrode: kept by model/churn@1 "
            "(production)\n");
  EXPECT_NE(Ok({"alias", "log", "model/churn"}).find("deleted with --force: retired"),
            std::string::npos);
  EXPECT_EQ(Ok({"rm", "dataset/raw@1"}), "deleted dataset/raw@1\n");
}

TEST_P(CliBothTest, RunsAndLineage) {
  Ok({"put", "dataset/raw", "-"}, "raw rows");
  Ok({"put", "dataset/train", "-", "--input", "dataset/raw"}, "train rows");
  std::string run_id = Ok(
      {"run", "start", "train-churn", "--param", "lr=0.1", "--input", "dataset/train"});
  ASSERT_FALSE(run_id.empty());
  run_id.pop_back();  // newline
  EXPECT_TRUE(std::regex_match(run_id, std::regex("[0-9a-f]{16}"))) << run_id;
  Ok({"run", "log-metric", run_id, "auc=0.91", "loss=0.25"});
  Ok({"put", "model/churn", "-", "--run", run_id}, "weights");
  Ok({"run", "finish", run_id});
  const std::string run = Ok({"run", "show", run_id, "--json"});
  EXPECT_NE(run.find("\"status\":\"OK\""), std::string::npos) << run;
  EXPECT_NE(run.find("\"metrics\":{\"auc\":0.91,\"loss\":0.25}"), std::string::npos)
      << run;
  EXPECT_NE(run.find("\"metric_history\":{\"auc\":[{\"value\":0.91,\"at\":\""),
            std::string::npos)
      << run;
  EXPECT_NE(run.find("\"outputs\":[\"model/churn@1\"]"), std::string::npos) << run;

  const std::string json = Ok({"lineage", "model/churn", "--format", "json"});
  EXPECT_EQ(json.rfind("{\"root\":\"model/churn@1\",\"nodes\":[{\"id\":\"model/"
                       "churn@1\",\"kind\":\"model\"",
                       0),
            0u)
      << json;
  for (const std::string& edge :
       {"{\"from\":\"run/" + run_id + "\",\"to\":\"model/churn@1\",\"kind\":\"output\"}",
        "{\"from\":\"dataset/train@1\",\"to\":\"run/" + run_id + "\",\"kind\":\"input\"}",
        std::string("{\"from\":\"dataset/raw@1\",\"to\":\"dataset/"
                    "train@1\",\"kind\":\"derived\"}")}) {
    EXPECT_NE(json.find(edge), std::string::npos) << edge << "\n" << json;
  }
  EXPECT_NE(json.find("{\"id\":\"run/" + run_id + "\",\"kind\":\"run\""),
            std::string::npos);

  EXPECT_EQ(Ok({"lineage", "model/churn", "--depth", "1"}),
            "model/churn@1\n└── run/" + run_id + " (train-churn, OK)\n");
  const std::string down =
      Ok({"lineage", "dataset/raw", "--down", "--format", "mermaid"});
  EXPECT_NE(down.find("model/churn@1"), std::string::npos) << down;
  EXPECT_NE(Ok({"lineage", "run/" + run_id, "--both", "--format", "dot"}).find("digraph"),
            std::string::npos);
}

// Raw data stored, ingested where it is, a training set saved from its features
// with its labels as an input, a model put from the training set: one walk down from
// the raw data reaches the model.
TEST_P(CliBothTest, OneLineageWalkFromRawDataToTheModel) {
  Ok({"apply", WriteFile("defs.yaml", std::string(testing::kExampleDefinitions))});
  Ok({"put", "dataset/raw", WriteFile("old.csv", "customer_id,event_timestamp\n")});
  const std::string rows =
      "customer_id,event_timestamp,spend_7d,segment\n1,2024-01-01T00:00:00Z,10.5,gold\n";
  Ok({"put", "dataset/raw", WriteFile("raw.csv", rows)});
  Ok({"put", "config/cleaning", "-"}, "drop nulls");
  EXPECT_EQ(
      Ok({"ingest", "customer_stats", "dataset/raw@2", "--input", "config/cleaning"}),
      "ingested 1 row into featureview/customer_stats@1 (ingest 1); events "
      "2024-01-01T00:00:00Z .. 2024-01-01T00:00:00Z; read from dataset/raw@2; "
      "inputs config/cleaning@1\n");
  // The same bytes as a file: linked to the version that holds them.
  EXPECT_EQ(Ok({"ingest", "customer_stats", WriteFile("copy.csv", rows), "--json"}),
            "{\"ingest\":2,\"rows\":1,\"written\":1,\"featureview\":"
            "\"featureview/customer_stats@1\",\"dataset\":\"dataset/raw@2\","
            "\"source\":\"same_content\",\"same_content\":1,\"inputs\":[],"
            "\"min_event_timestamp\":\"2024-01-01T00:00:00Z\",\"max_event_timestamp\":"
            "\"2024-01-01T00:00:00Z\",\"bulk\":false}\n");
  Ok({"put", "dataset/labels", WriteFile("labels.csv", "customer_id,label\n1,1\n")});
  const std::string spine = WriteFile(
      "spine.csv", "customer_id,event_timestamp,label\n1,2024-01-02T00:00:00Z,1\n");
  EXPECT_EQ(Ok({"historical", "--spine", spine, "--features", "customer_stats:spend_7d",
                "--save", "dataset/train", "--spine-input", "dataset/labels", "--input",
                "dataset/labels@1"}),
            "saved dataset/train@1 (1 row, 1 feature row found; "
            "featureview/customer_stats@1; ingest position 2; spine "
            "dataset/train-spine@1)\n");
  Ok({"put", "model/churn", "-", "--input", "dataset/train@1"}, "weights");

  // Each ingest's profile describes the dataset version it read.
  EXPECT_EQ(Ok({"lineage", "dataset/raw@2", "--down"}),
            "dataset/raw@2\n"
            "├── featureview/customer_stats@1\n"
            "│   └── dataset/train@1\n"
            "│       └── model/churn@1\n"
            "├── profile/customer_stats.ingests@1\n"
            "└── profile/customer_stats.ingests@2\n");
  const std::string up = Ok({"lineage", "model/churn", "--format", "json"});
  for (const char* edge :
       {"{\"from\":\"dataset/raw@2\",\"to\":\"featureview/customer_stats@1\","
        "\"kind\":\"fed\"}",
        "{\"from\":\"config/cleaning@1\",\"to\":\"featureview/customer_stats@1\","
        "\"kind\":\"fed\"}",
        "{\"from\":\"dataset/labels@1\",\"to\":\"dataset/train@1\","
        "\"kind\":\"derived\"}",
        "{\"from\":\"dataset/labels@1\",\"to\":\"dataset/train-spine@1\","
        "\"kind\":\"derived\"}"}) {
    EXPECT_NE(up.find(edge), std::string::npos) << edge << "\n" << up;
  }
  // Nothing was stored again, and the old version fed nothing.
  EXPECT_EQ(Strata({"log", "dataset/customer_stats-ingest"}).exit_code, 2);
  EXPECT_EQ(Ok({"lineage", "dataset/raw@1", "--down"}), "dataset/raw@1\n");

  const std::string before = Ok({"ls", "--json"});
  ExpectBadCommands({
      {{"ingest", "customer_stats", "dataset/raw@9"}, 2, "dataset/raw has no version 9"},
      {{"ingest", "customer_stats", "dataset/nope"}, 2, "no artifact dataset/nope"},
      {{"ingest", "customer_stats", "model/churn"}, 2, "is a model, not a dataset"},
      {{"ingest", "customer_stats", "dataset/raw", "--dataset", "x"},
       2,
       "is stored already"},
      {{"ingest", "customer_stats",
        WriteFile("new.csv", rows + "2,2024-01-01T00:00:00Z,1,a\n"), "--input",
        "dataset/nope"},
       2,
       "no artifact dataset/nope"},
      {{"historical", "--spine", spine, "--features", "customer_stats:spend_7d",
        "--input", "dataset/labels"},
       2,
       "give --save too"},
      {{"historical", "--spine", spine, "--features", "customer_stats:spend_7d", "--save",
        "dataset/t", "--input", "dataset/labels@5"},
       2,
       "dataset/labels has no version 5"},
  });
  EXPECT_EQ(Ok({"ls", "--json"}), before);
}

TEST_P(CliBothTest, BadInputGetsOneLineErrorsAndWritesNothing) {
  Ok({"put", "model/churn", "-"}, "v1");
  const std::string file = WriteFile("f.txt", "content");
  const std::string before = Ok({"ls", "--json"}) + Ok({"log", "model/churn", "--json"}) +
                             Ok({"alias", "log", "model/churn", "--json"});
  const std::vector<BadCommand> cases = {
      {{"put", "Model/x", file}, 2, "unknown kind \"Model\""},
      {{"put", "model/x", dir_.Sub("missing.txt")}, 2, "no such file"},
      {{"put", "model/x", dir_.path()}, 2, "is a directory"},
      {{"put", "model/x@3", file}, 2, "names a version"},
      {{"put", "model/../x", file}, 2, "must start with"},
      {{"put", "model/x", file, "--input", "dataset/missing"},
       2,
       "no artifact dataset/missing"},
      {{"put", "model/x", file, "--meta", "novalue"}, 2, "--meta expects KEY=VALUE"},
      {{"put", "model/x", file, "--run", "0123456789abcdef"}, 2, "no run"},
      {{"put", "model/x", file, "--run", "XYZ"}, 2, "'XYZ' is not a run id"},
      {{"put", "model/x", file, "--alias", "Prod"}, 2, "alias \"Prod\""},
      {{"put", "model/x"}, 2, "file is required"},
      {{"get", "model/none"}, 2, "no artifact model/none"},
      {{"get", "model/churn@7"}, 2, "no version 7 (latest is 1)"},
      {{"get", "model/churn@prod"}, 2, "no alias 'prod'"},
      {{"show", "model/churn@0"}, 2, "numbered from 1"},
      {{"log", "model/none"}, 2, "no artifact"},
      {{"ls", "weights"}, 2, "unknown kind"},
      {{"alias", "set", "model/churn", "production", "abc"},
       2,
       "expected a version number"},
      {{"alias", "set", "model/churn", "production", "5"}, 2, "no version 5"},
      {{"alias", "set", "model/churn", "latest", "1"}, 2, "reserved"},
      {{"alias", "set", "model/churn", "production", "1", "--expect", "x"},
       2,
       "--expect"},
      {{"alias", "rm", "model/churn", "production"}, 2, "no alias"},
      {{"run", "log-metric", "0123456789abcdef", "auc=1"}, 2, "no run"},
      {{"run", "log-metric", "0123456789abcdef", "auc=high"}, 2, "finite number"},
      {{"run", "finish", "0123456789abcdef", "--status", "meh"}, 2, "ok or failed"},
      {{"run", "show", "../../etc/passwd"}, 2, "not a run id"},
      {{"run", "start", "x", "--input", "model/none"}, 2, "no artifact"},
      {{"lineage", "model/churn", "--format", "svg"}, 2, "unknown lineage format"},
      {{"lineage", "model/churn", "--depth", "0"},
       2,
       "--depth: \"0\" is not an integer in 1.."},
      {{"lineage", "model/churn", "--up", "--down"}, 2, "at most one"},
      {{"frobnicate"}, 2, "unknown command 'frobnicate'"},
  };
  ExpectBadCommands(cases);
  const std::string after = Ok({"ls", "--json"}) + Ok({"log", "model/churn", "--json"}) +
                            Ok({"alias", "log", "model/churn", "--json"});
  EXPECT_EQ(before, after);
}

// Where chunks go is checked before anything is made; migrate needs a place.
TEST_F(CliTest, ChunkLocationsThisBuildCannotReachAreRefused) {
  testing::ProcessOptions options;
  const std::string fresh = dir_.Sub("fresh");
  ProcessResult init = testing::RunProcess(
      {STRATA_BINARY, "--store", fresh, "init", "--chunks", "nosuch://bucket/prefix"},
      options);
  EXPECT_EQ(init.exit_code, 2);
  EXPECT_EQ(
      init.err,
      "error: this strata cannot keep chunks in nosuch:// (nosuch://bucket/prefix)\n");
  EXPECT_FALSE(std::filesystem::exists(fresh));
  ProcessResult bare = Strata({"migrate", "--chunks", "bucket/prefix"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("has no scheme"), std::string::npos) << bare.err;
  ProcessResult none = Strata({"migrate"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--chunks is required"), std::string::npos) << none.err;
  // The store is as it was: its chunks stay with it.
  Ok({"put", "dataset/d", WriteFile("d.csv", "a,b\n1,2\n")});
  EXPECT_EQ(Ok({"get", "dataset/d"}), "a,b\n1,2\n");
}

// Chunks in S3 from the command line, against a real RGW: an embedded store
// migrates its chunks there; a store made with `init --chunks` keeps them there from
// the start; gc deletes their packs; without keys only chunk reads fail.
TEST_F(CliTest, ChunksInS3InitMigrateGetAndGc) {
  if (!testing::RgwServer::Installed()) GTEST_SKIP() << testing::RgwServer::kMissing;
  auto rgw = testing::RgwServer::Start(dir_.Sub("rgw"));
  ASSERT_TRUE(rgw.ok()) << rgw.status();
  const std::string endpoint = (*rgw)->endpoint();
  env_["AWS_ACCESS_KEY_ID"] = (*rgw)->access_key();
  env_["AWS_SECRET_ACCESS_KEY"] = (*rgw)->secret_key();
  std::string data;
  for (int i = 0; data.size() < (3 << 20); ++i) absl::StrAppend(&data, i, ",", i * 31 % 977, "\n");
  const std::string file = WriteFile("big.csv", data);

  // The fixture's embedded store, migrated.
  Ok({"put", "dataset/big", file});
  const std::string migrated = Ok({"migrate", "--chunks", "s3://cli-migrate/ml",
                                   "--s3-endpoint", endpoint});
  EXPECT_NE(migrated.find("are in s3://cli-migrate/ml"), std::string::npos) << migrated;
  EXPECT_NE(migrated.find("local copies dropped"), std::string::npos) << migrated;
  EXPECT_TRUE(Ok({"get", "dataset/big"}) == data);
  EXPECT_NE(Ok({"fsck"}).find("no problems"), std::string::npos);

  // A store whose chunks are in S3 from its start.
  S3Options s3_options;
  s3_options.endpoint = endpoint;
  s3_options.bucket = "cli-init";
  s3_options.access_key = (*rgw)->access_key();
  s3_options.secret_key = (*rgw)->secret_key();
  auto s3 = S3Client::Open(s3_options);
  ASSERT_TRUE(s3.ok()) << s3.status();
  store_dir_ = dir_.Sub("s3store");
  EXPECT_EQ(Ok({"init", "--chunks", "s3://cli-init/team", "--s3-endpoint", endpoint}),
            "initialized store at " + store_dir_ +
                ", keeping its chunks in s3://cli-init/team\n");
  Ok({"put", "dataset/big", file});
  EXPECT_TRUE(Ok({"get", "dataset/big"}) == data);
  EXPECT_FALSE((*s3)->List("team/packs/")->empty());

  // Without keys, metadata still reads; chunks do not, and the error says why.
  env_.erase("AWS_ACCESS_KEY_ID");
  EXPECT_NE(Ok({"ls"}).find("dataset/big"), std::string::npos);
  ProcessResult keyless = Strata({"get", "dataset/big"});
  EXPECT_EQ(keyless.exit_code, 1);
  EXPECT_NE(keyless.err.find("no S3 keys"), std::string::npos) << keyless.err;
  env_["AWS_ACCESS_KEY_ID"] = (*rgw)->access_key();

  // gc frees the chunks of a deleted version: their packs leave the bucket.
  Ok({"rm", "dataset/big@1"});
  Ok({"gc", "--grace", "0s"});
  EXPECT_TRUE((*s3)->List("team/packs/")->empty());
  EXPECT_NE(Ok({"fsck"}).find("no problems"), std::string::npos);

  // An endpoint that does not answer makes no store.
  store_dir_ = dir_.Sub("down");
  ProcessResult down =
      Strata({"init", "--chunks", "s3://cli-down/x", "--s3-endpoint", "http://127.0.0.1:1"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("127.0.0.1:1"), std::string::npos) << down.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("down")));
}

// `serve --online-store` records a Redis; later commands, local or through a
// server, read and write it, and `online sync` fills it again after a flush.
TEST_F(CliTest, ServeOnlineStoreIsRecordedAndOnlineSyncFillsIt) {
  if (!testing::RedisServer::Installed()) {
    GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh installs it)";
  }
  auto redis = testing::RedisServer::Start(dir_.Sub("redis"));
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string url = "redis://" + (*redis)->endpoint();
  const std::vector<std::string> lookup = {
      "online", "--features", "customer_stats:spend_7d", "--entity", "customer_id=1,2"};
  ServeStore("--online-store " + url);
  ApplyAndIngestFourRows();
  const std::string served = Ok(lookup);
  // Their newest rows (older than the view's TTL, so served without a value).
  EXPECT_NE(served.find("2024-01-05T00:00:00Z"), std::string::npos) << served;
  EXPECT_NE(served.find("2024-01-03T00:00:00Z"), std::string::npos) << served;
  std::vector<std::string> lines;
  server_->Kill(&lines);
  server_.reset();
  server_url_.clear();
  // Locally, without a flag: the rows come from Redis, as they were served.
  EXPECT_EQ(Ok(lookup), served);
  auto keys = (*redis)->Cli({"DBSIZE"});
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(std::stoi(*keys), 4);  // two rows, each with its bucket's index
  ASSERT_TRUE((*redis)->Cli({"FLUSHALL"}).ok());
  EXPECT_EQ(Ok(lookup).find("2024-01-0"), std::string::npos);
  EXPECT_EQ(Ok({"online", "sync"}),
            "featureview/customer_stats: 2 written, 0 removed, 0 already there, of 2 "
            "entities\nsynced 1 feature view: 2 online rows written\n");
  EXPECT_EQ(Ok(lookup), served);
  // A Redis that is down: online work fails naming it, the rest works.
  (*redis)->Kill();
  ProcessResult down = Strata(lookup);
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find((*redis)->endpoint()), std::string::npos) << down.err;
  Ok({"ls"});
}

// `serve --online-only`: a replica opens no store, answers online lookups from the
// primary's Redis with the primary's views, follows a new definition within its
// refresh, and keeps serving while the primary is down.
TEST_F(CliTest, OnlineOnlyReplicasServeFromRedisWithThePrimarysViews) {
  if (!testing::RedisServer::Installed()) {
    GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh installs it)";
  }
  auto redis = testing::RedisServer::Start(dir_.Sub("redis"));
  ASSERT_TRUE(redis.ok()) << redis.status();
  ServeStore("--online-store redis://" + (*redis)->endpoint());
  ApplyAndIngestFourRows();
  const std::string primary = server_url_;
  const std::vector<std::string> lookup = {"online", "--features",
                                           "customer_stats:spend_7d,customer_stats:segment",
                                           "--entity", "customer_id=1,2,3"};
  const std::string from_primary = Ok(lookup);

  std::unique_ptr<testing::ChildProcess> replica;
  const std::string replica_url = testing::StartServer(
      std::string(STRATA_BINARY) + " serve --online-only --primary " + primary +
          " --primary-token " + token_ + " --listen 127.0.0.1:0 -q 2>&1",
      &replica);
  ASSERT_FALSE(replica_url.empty());
  server_url_ = replica_url;
  EXPECT_EQ(Ok(lookup), from_primary);
  // It serves nothing else.
  ProcessResult ls = Strata({"ls"});
  EXPECT_NE(ls.exit_code, 0);
  EXPECT_NE(ls.err.find("on an online-only replica"), std::string::npos) << ls.err;

  // A feature added and ingested on the primary is served within the refresh.
  server_url_ = primary;
  std::string defs(testing::kExampleDefinitions);
  defs += "      - {name: visits, type: int64}\n";
  Ok({"apply", WriteFile("defs2.yaml", defs)});
  Ok({"ingest", "customer_stats",
      WriteFile("visits.csv", "customer_id,event_timestamp,spend_7d,segment,visits\n"
                              "1,2024-01-06T00:00:00Z,6,e,42\n")});
  const std::vector<std::string> visits = {"online", "--features", "customer_stats:visits",
                                           "--entity", "customer_id=1"};
  const std::string want = Ok(visits);
  // (older than the view's TTL: served without a value, with its time)
  EXPECT_NE(want.find("2024-01-06T00:00:00Z"), std::string::npos) << want;
  server_url_ = replica_url;
  std::string got;
  for (int i = 0; i < 100 && got != want; ++i) {
    ProcessResult r = Strata(visits);
    got = r.exit_code == 0 ? r.out : "";
    if (got != want) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(got, want);

  // The primary stopped: the replica goes on serving, and the store it served is
  // free (the replica holds no lock on it).
  std::vector<std::string> lines;
  server_->Kill(&lines);
  server_.reset();
  EXPECT_EQ(Ok(visits), want);
  server_url_.clear();
  EXPECT_NE(Ok({"ls"}).find("featureview/customer_stats"), std::string::npos);
  replica->Kill(&lines);

  // Bad starts: no primary, or one that does not answer.
  ProcessResult alone = Strata({"serve", "--online-only", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.err.find("--online-only needs --primary"), std::string::npos) << alone.err;
  ProcessResult nobody = Strata({"serve", "--online-only", "--primary", "http://127.0.0.1:1",
                                 "--listen", "127.0.0.1:0"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_NE(nobody.err.find("the primary http://127.0.0.1:1 does not answer"),
            std::string::npos)
      << nobody.err;
}

TEST_F(CliTest, MissingStoreAndStoreInUse) {
  testing::ProcessOptions options;
  ProcessResult missing =
      testing::RunProcess({STRATA_BINARY, "--store", dir_.Sub("nowhere"), "ls"}, options);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("run `strata init`"), std::string::npos) << missing.err;

  options.env["STRATA_STORE"] = store_dir_;
  StoreOptions open_options;
  auto held = Store::Open(store_dir_, open_options);
  ASSERT_TRUE(held.ok()) << held.status();
  ProcessResult busy = testing::RunProcess({STRATA_BINARY, "ls"}, options);
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_EQ(busy.err, "error: store " + store_dir_ + " is in use by another process\n");
}

TEST_F(CliTest, CorruptContentFailsGetAndLeavesNoFileAndFsckFindsIt) {
  const std::string content(300 * 1024, 'c');
  Ok({"put", "dataset/d", "-"}, content);
  Ok({"put", "dataset/other", "-"}, "other");
  EXPECT_EQ(Ok({"fsck", "--deep"}),
            "checked 2 versions, 2 contents, 3 chunks, 0 lineage edges, 0 aliases; read "
            "300.0 KiB: no problems\n");
  {
    StoreOptions options;
    auto store = Store::Open(store_dir_, options);
    ASSERT_TRUE(store.ok());
    const Digest first = Sha256::Of(content.substr(0, 256 * 1024));
    ASSERT_TRUE((*store)
                    ->chunks()
                    .PutMany({EncodedChunk{first, 256 * 1024, ChunkCodec::kRaw,
                                           std::string(256 * 1024, 'X')}})
                    .ok());
  }
  const std::string target = dir_.Sub("out.bin");
  ProcessResult r = Strata({"get", "dataset/d", "-o", target});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is corrupt (hash mismatch)"), std::string::npos) << r.err;
  EXPECT_FALSE(std::ifstream(target).good());
  // Every record is there: a plain fsck passes, a deep one finds the version.
  EXPECT_EQ(Strata({"fsck"}).exit_code, 0);
  ProcessResult deep = Strata({"fsck", "--deep", "--json"});
  EXPECT_EQ(deep.exit_code, 1);
  EXPECT_EQ(deep.err, "error: fsck found 1 problem\n");
  EXPECT_NE(deep.out.find("\"problems\":[{\"kind\":\"corrupt content\",\"detail\":\""),
            std::string::npos)
      << deep.out;
  EXPECT_NE(deep.out.find("\"versions\":[\"dataset/d@1\"]}]}"), std::string::npos)
      << deep.out;
}

// The row a push of milliseconds to a seconds view left in the year 58891 (made
// below the API, which now refuses it): fsck names it and the repair, online
// rebuild repairs it, online rm removes a row; on the store and through a server.
TEST_F(CliTest, FsckFindsAnImplausibleOnlineRowAndOnlineRebuildRepairsIt) {
  ApplyAndIngestFourRows();
  const auto damage = [&] {
    auto store = Store::Open(store_dir_, StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    features::MergeOnlineRowAt(**store, 1, 1, features::kYear58891);
  };
  const std::string finding =
      "implausible online row: feature view customer_stats entity customer_id=1: online "
      "row event time 58891-03-01T00:00:00Z is outside the plausible time "
      "1970-01-01T00:00:00Z .. 2200-01-01T00:00:00Z; repair with strata online rebuild "
      "customer_stats --entity customer_id=1 (or remove it: strata online rm "
      "customer_stats --entity customer_id=1)\n";
  const std::string spend = "customer_stats:spend_7d";
  for (const bool server : {false, true}) {
    damage();
    if (server) ServeStore();
    ProcessResult fsck = Strata({"fsck"});
    EXPECT_EQ(fsck.exit_code, 1) << fsck.err;
    EXPECT_EQ(fsck.out.rfind(finding, 0), 0u) << fsck.out;
    EXPECT_EQ(fsck.err, "error: fsck found 1 problem\n");
    EXPECT_NE(Ok({"online", "--features", spend, "--entity", "customer_id=1"})
                  .find("58891-03-01T00:00:00Z"),
              std::string::npos);

    EXPECT_EQ(
        Ok({"online", "rebuild", "customer_stats", "--entity", "customer_id=1"}),
        "rebuilt the online rows of featureview/customer_stats from the log (ingest "
        "position 1): 1 rewritten, 0 removed, 0 unchanged of 1 entity\n");
    EXPECT_EQ(Strata({"fsck"}).exit_code, 0);
    EXPECT_NE(Ok({"online", "--features", spend, "--entity", "customer_id=1"})
                  .find("2024-01-05T00:00:00Z"),
              std::string::npos);
  }
  // Through the server still: one row removed, then put back by a rebuild of all.
  EXPECT_EQ(Ok({"online", "rm", "customer_stats", "--entity", "customer_id=2"}),
            "removed the online row of customer_id=2 from featureview/customer_stats\n");
  EXPECT_NE(
      Ok({"online", "--features", spend, "--entity", "customer_id=2"}).find("NOT_FOUND"),
      std::string::npos);
  ExpectBadCommands({
      {{"online", "rm", "customer_stats", "--entity", "customer_id=2"},
       2,
       "feature view customer_stats has no online row for customer_id=2"},
      {{"online", "rm", "customer_stats", "--entity", "customer_id=1,2"},
       2,
       "give one entity"},
      {{"online", "rm", "nope", "--entity", "customer_id=1"}, 2, "no feature view nope"},
      {{"online", "rebuild", "customer_stats", "--entity", "region=x"},
       2,
       "has no join key region"},
      {{"online", "rm", "customer_stats"}, 2, "--entity is required"},
      {{"online"}, 2, "--features is required"},
  });
  EXPECT_EQ(Ok({"online", "rebuild", "customer_stats", "--json"}),
            "{\"featureview\":\"customer_stats\",\"entities\":2,\"rewritten\":1,"
            "\"removed\":0,\"unchanged\":1,\"skipped\":0,\"ingest_position\":1,"
            "\"ingest_pending\":[]}\n");
  EXPECT_EQ(Strata({"fsck"}).exit_code, 0);
}

TEST_P(CliBothTest, QuietWhenNotATerminal) {
  std::mt19937_64 rng(testing::TestSeed() + 9);
  const std::string content = testing::RandomBytes(rng, 20 << 20);
  ProcessResult put = Strata({"put", "dataset/big", "-"}, content);
  EXPECT_EQ(put.exit_code, 0);
  EXPECT_EQ(put.err, "");  // no progress bar on a pipe
  ProcessResult get = Strata({"get", "dataset/big"});
  EXPECT_EQ(get.err, "");
  EXPECT_TRUE(get.out == content);
}

TEST_P(CliBothTest, ApplyStoresChangedFeatureViewsAndRefusesBadOnes) {
  const std::string defs(testing::kExampleDefinitions);
  const std::string file = WriteFile("defs.yaml", defs);
  EXPECT_EQ(Ok({"apply", file}), "featureview/customer_stats@1 created\n");
  EXPECT_EQ(Ok({"apply", file}), "featureview/customer_stats@1 unchanged\n");
  // The stored definition is readable JSON.
  EXPECT_NE(Ok({"get", "featureview/customer_stats"}).find("\"ttl\":\"604800s\""),
            std::string::npos);

  std::string retyped = defs;
  retyped.replace(retyped.find("spend_7d, type: double"), 22, "spend_7d, type: string");
  ProcessResult refused = Strata({"apply", "-"}, retyped);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(
      refused.err,
      "error: feature 'spend_7d' of feature view 'customer_stats' is double; changing it "
      "to string is refused: add a feature with a new name instead\n");

  std::string bad_ttl = defs;
  bad_ttl.replace(bad_ttl.find("ttl: 7d"), 7, "ttl: 7w");
  ProcessResult bad = Strata({"apply", WriteFile("bad.yaml", bad_ttl)});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "error: " + dir_.Sub("bad.yaml") +
                ":8:10: duration \"7w\" needs a unit: s, m, h or d (for example 7d)\n");
  EXPECT_EQ(Strata({"apply", dir_.Sub("missing.yaml")}).exit_code, 2);
  // Nothing of the refused applies was written.
  EXPECT_NE(Ok({"log", "featureview/customer_stats"}).find("@1 "), std::string::npos);
  EXPECT_EQ(Ok({"log", "featureview/customer_stats"}).find("@2 "), std::string::npos);
}

TEST_P(CliBothTest, FeatureFlowIngestHistoricalSaveReproduceOnline) {
  Ok({"apply", WriteFile("defs.yaml", std::string(testing::kExampleDefinitions))});
  const std::string events =
      "customer_id,event_timestamp,created_timestamp,spend_7d,segment\n"
      "1,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,10.5,gold\n"
      "1,2024-01-05T00:00:00Z,2024-01-05T00:00:00Z,20,\"gold, plus\"\n"
      "2,2024-01-03T00:00:00Z,2024-01-03T00:00:00Z,,silver\n";
  EXPECT_EQ(Ok({"ingest", "customer_stats", WriteFile("events.csv", events)}),
            "ingested 3 rows into featureview/customer_stats@1 (ingest 1); events "
            "2024-01-01T00:00:00Z .. 2024-01-05T00:00:00Z; source stored as "
            "dataset/customer_stats-ingest@1\n");
  // JSON lines from standard input, epoch milliseconds.
  const std::string late =
      "{\"customer_id\": 1, \"event_timestamp\": 1704153600000, \"spend_7d\": 99}\n";
  EXPECT_NE(Ok({"ingest", "customer_stats", "-", "--format", "jsonl", "--timestamp-unit",
                "ms", "--json"},
               late)
                .find("\"ingest\":2,\"rows\":1"),
            std::string::npos);

  const std::string spine = WriteFile(
      "spine.csv",
      "customer_id,event_timestamp,label\n1,2024-01-04T00:00:00Z,1\n"
      "1,2024-01-12T00:00:00Z,0\n1,2024-01-12T00:00:01Z,0\n2,2024-01-04T00:00:00Z,1\n"
      "3,2024-01-04T00:00:00Z,0\n");
  const std::string features = "customer_stats:spend_7d,customer_stats:segment";
  // The late row (event 01-02, spend 99) is in force on 01-04; the 7-day TTL is
  // inclusive at 01-12T00:00:00 and over a second later.
  const std::string expected =
      "customer_id,event_timestamp,label,spend_7d,segment\n"
      "1,2024-01-04T00:00:00Z,1,99,\n"
      "1,2024-01-12T00:00:00Z,0,20,\"gold, plus\"\n"
      "1,2024-01-12T00:00:01Z,0,,\n"
      "2,2024-01-04T00:00:00Z,1,,silver\n"
      "3,2024-01-04T00:00:00Z,0,,\n";
  EXPECT_EQ(Ok({"historical", "--spine", spine, "--features", features}), expected);
  // As of before the late row was created (it defaulted to its ingest time).
  EXPECT_EQ(Ok({"historical", "--spine", spine, "--features", "customer_stats:spend_7d",
                "--as-of", "2024-06-01T00:00:00Z", "--full-names"}),
            "customer_id,event_timestamp,label,customer_stats__spend_7d\n"
            "1,2024-01-04T00:00:00Z,1,10.5\n1,2024-01-12T00:00:00Z,0,20\n"
            "1,2024-01-12T00:00:01Z,0,\n2,2024-01-04T00:00:00Z,1,\n"
            "3,2024-01-04T00:00:00Z,0,\n");

  const std::string out = dir_.Sub("train.csv");
  EXPECT_EQ(Ok({"historical", "--spine", spine, "--features", features, "--save",
                "dataset/train", "-o", out}),
            "saved dataset/train@1 (5 rows, 3 feature rows found; "
            "featureview/customer_stats@1; ingest position 2; spine "
            "dataset/train-spine@1)\n");
  EXPECT_EQ(ReadFile(out), expected);
  EXPECT_EQ(Ok({"get", "dataset/train"}), expected);
  // Late data with old timestamps: a fresh retrieval changes, reproduce does not.
  Ok({"ingest", "customer_stats",
      WriteFile("later.csv",
                "customer_id,event_timestamp,spend_7d\n"
                "3,2024-01-03T00:00:00Z,7\n")});
  EXPECT_NE(Ok({"historical", "--spine", "dataset/train-spine", "--features", features}),
            expected);
  EXPECT_EQ(Ok({"reproduce", "dataset/train@1"}).rfind("identical: dataset/train@1", 0),
            0u);
  const std::string lineage = Ok({"lineage", "dataset/train@1"});
  EXPECT_NE(lineage.find("featureview/customer_stats@1"), std::string::npos) << lineage;
  EXPECT_NE(lineage.find("dataset/customer_stats-ingest@1"), std::string::npos)
      << lineage;

  const std::string online =
      Ok({"online", "--features", features, "--entity", "customer_id=1,3,4", "--json"});
  EXPECT_EQ(online.rfind("{\"metadata\":{\"feature_names\":[\"customer_id\",\"spend_7d\","
                         "\"segment\"]},\"results\":[{\"values\":[1,3,4],",
                         0),
            0u)
      << online;
  // The rows are from January 2024, far older than the 7-day TTL today.
  EXPECT_NE(
      online.find("\"statuses\":[\"OUTSIDE_MAX_AGE\",\"OUTSIDE_MAX_AGE\",\"NOT_FOUND\"]"),
      std::string::npos)
      << online;
  EXPECT_NE(Ok({"online", "--features", features, "--entity", "customer_id=1"})
                .find("customer_id=1  customer_stats:spend_7d"),
            std::string::npos);
}

// Feature services, locally and through a server: applied with their views, listed,
// usable wherever a feature list is, recorded by a saved training set.
TEST_P(CliBothTest, FeatureServicesAreVersionedAndUsableAsFeatureLists) {
  const std::string defs = std::string(testing::kExampleDefinitions) +
                           "feature_services:\n"
                           "  - name: churn\n"
                           "    features: [customer_stats]\n"
                           "  - name: spend\n"
                           "    owner: finance\n"
                           "    features: [customer_stats:spend_7d]\n";
  const std::string file = WriteFile("defs.yaml", defs);
  EXPECT_EQ(Ok({"apply", file}),
            "featureview/customer_stats@1 created\nfeatureservice/churn@1 created\n"
            "featureservice/spend@1 created\n");
  EXPECT_EQ(Ok({"apply", file}),
            "featureview/customer_stats@1 unchanged\nfeatureservice/churn@1 unchanged\n"
            "featureservice/spend@1 unchanged\n");
  EXPECT_NE(Ok({"ls", "featureservice"}).find("featureservice/churn "),
            std::string::npos);
  EXPECT_EQ(
      Ok({"get", "featureservice/churn"}),
      "{\"feature_services\":[{\"name\":\"churn\",\"features\":["
      "\"customer_stats:spend_7d\",\"customer_stats:segment\"],\"description\":\"\","
      "\"owner\":\"\",\"tags\":{}}]}\n");
  EXPECT_NE(
      Ok({"lineage", "featureservice/churn@1"}).find("featureview/customer_stats@1"),
      std::string::npos);
  // A feature the view lacks: refused with its place, nothing written.
  std::string bad = defs;
  bad.replace(bad.find("[customer_stats:spend_7d]"), 25, "[customer_stats:spend_30d]");
  ProcessResult refused = Strata({"apply", WriteFile("bad.yaml", bad)});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err, "error: " + dir_.Sub("bad.yaml") +
                             ":17:16: feature service 'spend': feature view "
                             "'customer_stats' has no feature \"spend_30d\"\n");
  EXPECT_EQ(Ok({"log", "featureservice/spend"}).find("@2 "), std::string::npos);

  Ok({"ingest", "customer_stats",
      WriteFile("events.csv",
                "customer_id,event_timestamp,spend_7d,segment\n"
                "1,2024-01-01T00:00:00Z,10.5,gold\n2,2024-01-02T00:00:00Z,3,silver\n")});
  // Nanosecond epochs, as pandas writes them with date_unit="ns".
  const std::string spine =
      WriteFile("spine.csv",
                "customer_id,event_timestamp\n1,1704153600000000000\n"
                "2,1704240000000000000\n");
  const std::string by_name =
      Ok({"historical", "--spine", spine, "--timestamp-unit", "ns", "--features",
          "customer_stats:spend_7d,customer_stats:segment"});
  EXPECT_EQ(by_name,
            "customer_id,event_timestamp,spend_7d,segment\n"
            "1,1704153600000000000,10.5,gold\n2,1704240000000000000,3,silver\n");
  EXPECT_EQ(Ok({"historical", "--spine", spine, "--timestamp-unit", "ns", "--features",
                "featureservice/churn"}),
            by_name);
  // A service and a feature of it: each feature once.
  EXPECT_EQ(Ok({"historical", "--spine", spine, "--timestamp-unit", "ns", "--features",
                "featureservice/spend@1,featureservice/churn"}),
            by_name);
  EXPECT_EQ(Ok({"historical", "--spine", spine, "--timestamp-unit", "ns", "--features",
                "featureservice/churn", "--save", "dataset/train"}),
            "saved dataset/train@1 (2 rows, 2 feature rows found; "
            "featureview/customer_stats@1; ingest position 1; spine "
            "dataset/train-spine@1)\n");
  const std::string shown = Ok({"show", "dataset/train"});
  EXPECT_NE(shown.find("featureservice/churn@1"), std::string::npos) << shown;
  EXPECT_NE(shown.find("request.features=customer_stats:spend_7d,customer_stats:segment"),
            std::string::npos)
      << shown;
  EXPECT_EQ(
      Ok({"reproduce", "dataset/train"}).rfind("identical: dataset/train reproduced", 0),
      0u);

  EXPECT_EQ(Ok({"online", "--features", "featureservice/churn", "--entity",
                "customer_id=1", "--json"}),
            Ok({"online", "--features", "customer_stats:spend_7d,customer_stats:segment",
                "--entity", "customer_id=1", "--json"}));
  EXPECT_NE(
      Ok({"online", "--features", "featureservice/spend", "--entity", "customer_id=1"})
          .find("customer_id=1  customer_stats:spend_7d"),
      std::string::npos);
  // Unknown services.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"online", "--features", "featureservice/nope",
                                 "--entity", "customer_id=1"},
        std::vector<std::string>{"historical", "--spine", spine, "--features",
                                 "featureservice/churn@7"}}) {
    ProcessResult r = Strata(args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("no feature service featureservice/"), std::string::npos)
        << r.err;
  }
}

TEST_P(CliBothTest, GcFreesTheContentOfDeletedVersions) {
  Ok({"put", "dataset/raw", "-"}, "rows 1");
  Ok({"put", "dataset/raw", "-"}, "rows 2");
  Ok({"rm", "dataset/raw@1"});
  // Within the default hour of grace nothing is garbage yet.
  EXPECT_EQ(Ok({"gc", "--dry-run"}),
            "read 2 versions (1 deleted), 2 manifests, 2 chunks\n"
            "found 0 garbage chunks (0 B) and 0 manifests; within the 1h grace period: 1 "
            "unnamed manifest (their chunks stay) and 0 unnamed chunks\n"
            "dry run: nothing deleted\n");
  const std::string dry = Ok({"gc", "--dry-run", "--grace", "0", "--json"});
  EXPECT_NE(dry.find("\"dry_run\":true,\"grace_seconds\":0,\"versions\":2,"
                     "\"deleted_versions\":1,\"manifests\":2,\"manifests_young\":0,"
                     "\"manifests_found\":1,\"manifests_freed\":0,\"chunks\":2,"
                     "\"chunks_live\":1,\"chunks_young\":0,\"chunks_found\":1,"
                     "\"bytes_found\":6,\"chunks_freed\":0,"),
            std::string::npos)
      << dry;
  const std::string freed = Ok({"gc", "--grace", "0s"});
  // A server keeps what was put in it for a minute, whatever the grace period (the
  // put's commit may follow); a local gc is a process of its own.
  EXPECT_NE(freed.find(GetParam() ? "freed 0 chunks (0 B) and 0 manifests; kept 1 that "
                                    "writers named or put in the last minute\n"
                                  : "freed 1 chunk (6 B) and 1 manifest\nstore files: "),
            std::string::npos)
      << freed;
  EXPECT_EQ(Ok({"get", "dataset/raw@2"}), "rows 2");
  EXPECT_EQ(Ok({"fsck", "--deep"}),
            "checked 2 versions, 1 content, 1 chunk, 0 lineage edges, 0 aliases; read "
            "6 B: no problems\n");
  ExpectBadCommands({
      {{"gc", "--grace", "5x"}, 2, "--grace: duration \"5x\""},
      {{"gc", "--grace", "-1h"}, 2, "--grace"},
  });
}

TEST_P(CliBothTest, TokensAreCreatedListedAndRevoked) {
  const std::string token = Ok({"token", "create", "--scope", "write", "--name", "ci"});
  EXPECT_EQ(token.rfind("strata_", 0), 0u) << token;
  EXPECT_EQ(token.size(), 7u + 64u + 1u);  // and a newline
  EXPECT_EQ(Ok({"token", "ls"}),
            "NAME  OWNER  SCOPE  CREATOR\n"
            "ci    ci     write  tester\n");
  const std::string json = Ok({"token", "ls", "--json"});
  EXPECT_NE(json.find("\"name\":\"ci\",\"owner\":\"ci\",\"scope\":\"write\""),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find(token.substr(7, 16)), std::string::npos);  // never the token
  EXPECT_EQ(Ok({"token", "revoke", "ci"}), "revoked token ci\n");
  // A token's owner is who its requests act as; a bad one is refused.
  Ok({"token", "create", "--scope", "read", "--name", "dash-2026", "--owner",
      "dashboards"});
  EXPECT_EQ(Ok({"token", "ls"}),
            "NAME       OWNER       SCOPE  CREATOR\n"
            "dash-2026  dashboards  read   tester\n");
  ExpectBadCommands({{{"token", "create", "--scope", "read", "--owner", "two words"},
                      2,
                      "token owner"}});
  EXPECT_EQ(Ok({"token", "revoke", "dash-2026"}), "revoked token dash-2026\n");
  EXPECT_EQ(Ok({"token", "ls"}), "NAME  OWNER  SCOPE  CREATOR\n");
}

TEST_P(CliBothTest, BadFeatureCommandsGetOneLineErrorsAndWriteNothing) {
  Ok({"apply", WriteFile("defs.yaml", std::string(testing::kExampleDefinitions))});
  Ok({"ingest", "customer_stats",
      WriteFile("ok.csv", "customer_id,event_timestamp,spend_7d\n1,100,1\n")});
  const std::string spine =
      WriteFile("spine.csv", "customer_id,event_timestamp\n1,150\n");
  const std::string before =
      Ok({"ls", "--json"}) + Ok({"log", "dataset/customer_stats-ingest", "--json"});
  const std::vector<BadCommand> cases = {
      {{"ingest", "nope", spine}, 2, "no feature view nope"},
      {{"token", "create", "--scope", "root"}, 2, "is not read, write or admin"},
      {{"token", "revoke", "nope"}, 2, "no token named nope"},
      {{"ingest", "customer_stats", dir_.Sub("missing.csv")}, 2, "no such file"},
      {{"ingest", "customer_stats",
        WriteFile("bad.csv", "customer_id,event_timestamp,spend_7d\n1,100,x\n")},
       2,
       "bad.csv:2: column \"spend_7d\": \"x\" is not a double"},
      // Epoch milliseconds to a view that reads seconds: the year 55884, refused
      // (exit 2 as every bad value of a file), with the unit it looks like.
      {{"ingest", "customer_stats",
        WriteFile("ms.csv",
                  "customer_id,event_timestamp,spend_7d\n1,1701388800,1\n"
                  "2,1701388800000,2\n")},
       2,
       "ms.csv:3: column \"event_timestamp\": 1701388800000 looks like milliseconds; "
       "this view reads seconds"},
      {{"ingest", "customer_stats", spine, "--format", "xml"}, 2, "is not csv or jsonl"},
      {{"ingest", "customer_stats", spine, "--timestamp-unit", "min"},
       2,
       "not s, ms, us or ns"},
      {{"ingest", "customer_stats", spine, "--dataset", "Bad Name"},
       2,
       "artifact name \"Bad Name\""},
      {{"historical", "--spine", spine, "--features", "customer_stats"},
       2,
       "VIEW:FEATURE"},
      {{"historical", "--spine", spine, "--features", "customer_stats:nope"},
       2,
       "no feature nope"},
      {{"historical", "--spine", spine, "--features", "customer_stats:spend_7d",
        "--as-of", "soon"},
       2,
       "--as-of"},
      {{"historical", "--spine", "dataset/none", "--features", "customer_stats:spend_7d"},
       2,
       "no artifact dataset/none"},
      {{"historical", "--spine", spine, "--features", "customer_stats:spend_7d", "--save",
        "model/x"},
       2,
       "expected dataset/NAME"},
      {{"historical", "--spine", WriteFile("nokey.csv", "id,event_timestamp\n1,1\n"),
        "--features", "customer_stats:spend_7d", "--save", "dataset/t"},
       2,
       "no column customer_id"},
      {{"reproduce", "dataset/customer_stats-ingest@1"},
       1,
       "not a saved historical result"},
      {{"reproduce", "dataset/none@1"}, 2, "no artifact"},
      {{"online", "--features", "customer_stats:spend_7d", "--entity", "customer_id"},
       2,
       "JOIN_KEY=V1,V2"},
      {{"online", "--features", "customer_stats:spend_7d", "--entity", "customer_id=x"},
       2,
       "is not an int64"},
      {{"online", "--features", "customer_stats:spend_7d", "--entity", "region=1"},
       2,
       "no values for join key customer_id"},
  };
  ExpectBadCommands(cases);
  EXPECT_EQ(before, Ok({"ls", "--json"}) +
                        Ok({"log", "dataset/customer_stats-ingest", "--json"}));
}

TEST_F(CliTest, ServeRefusesBadAddresses) {
  ExpectBadCommands({
      {{"serve", "--listen", "0.0.0.0:8080"}, 2, "without tokens"},
      {{"serve", "--listen", "8080"}, 2, "expected HOST:PORT"},
      {{"serve", "--listen", "10.0.0.300:80"}, 2, "is not an IPv4 address"},
      {{"serve", "--listen", "127.0.0.1:70000"}, 2, "PORT 0..65535"},
  });
}

TEST_F(CliTest, NumericFlagsAreRangeCheckedBeforeAnythingRuns) {
  // Each used to start or run: CLI11 reads "-1" as 2^64 - 1 for a size (no limit),
  // and took a negative thread count or cache size as it came.
  const std::string tib = "in 1..1099511627776 (bytes, at most 1 TiB)";
  ExpectBadCommands({
      {{"serve", "--max-body-bytes", "-1"},
       2,
       "--max-body-bytes: \"-1\" is not an integer " + tib},
      {{"serve", "--max-body-bytes", "0"},
       2,
       "--max-body-bytes: \"0\" is not an integer"},
      {{"serve", "--max-body-bytes", "1099511627777"}, 2, tib},
      {{"serve", "--max-body-bytes", "99999999999999999999999"}, 2, tib},
      {{"serve", "--max-body-bytes", "64MiB"}, 2, tib},
      {{"serve", "--threads", "-1"}, 2, "--threads: \"-1\" is not an integer in 1..1024"},
      {{"serve", "--threads", "0"}, 2, "--threads: \"0\" is not an integer in 1..1024"},
      {{"serve", "--threads", "0x10"}, 2, "--threads: \"0x10\" is not an integer"},
      {{"serve", "--threads", "+8"}, 2, "--threads: \"+8\" is not an integer"},
      {{"serve", "--threads", " 8"}, 2, "--threads: \" 8\" is not an integer"},
      {{"serve", "--online-cache-mb", "-5"},
       2,
       "--online-cache-mb: \"-5\" is not an integer in 0..1048576 (MiB, at most 1 TiB; "
       "0: no cache)"},
      {{"serve", "--online-cache-mb", "1048577"}, 2, "in 0..1048576"},
      {{"serve", "--max-online-entities", "0"},
       2,
       "--max-online-entities: \"0\" is not an integer in 1..10000000"},
      {{"serve", "--max-spine-rows", "-1"},
       2,
       "--max-spine-rows: \"-1\" is not an integer in 1..1000000000"},
      {{"serve", "--io-timeout", "0"},
       2,
       "--io-timeout: \"0\" is not an integer in 1..3600 (seconds)"},
      {{"serve", "--io-timeout", "3601"}, 2, "in 1..3600 (seconds)"},
      {{"serve", "--log-served", "1.5"},
       2,
       "--log-served: \"1.5\" is not a number in 0..1"},
      {{"serve", "--log-served", "nan"},
       2,
       "--log-served: \"nan\" is not a number in 0..1"},
      {{"serve", "--log-served", "-0.1"}, 2, "is not a number in 0..1"},
      {{"serve", "--log-served-max-rows", "0"}, 2, "--log-served-max-rows: \"0\" is not"},
      {{"serve", "--listen", "127.0.0.1:-1"}, 2, "PORT 0..65535"},
      {{"lineage", "model/churn", "--depth", "-1"},
       2,
       "--depth: \"-1\" is not an integer"},
      {{"retention", "set", "dataset", "--keep-last", "-1"},
       2,
       "--keep-last: \"-1\" is not an integer in 0..4294967295 (0: no limit)"},
      {{"retention", "set", "dataset", "--keep-last", "4294967296"}, 2, "0..4294967295"},
      {{"fsck", "--seed", "-1"},
       2,
       "--seed: \"-1\" is not an integer in 0..18446744073709551615"},
      {{"fsck", "--seed", "18446744073709551616"}, 2, "0..18446744073709551615"},
      {{"fsck", "--seed", "1e3"}, 2, "--seed: \"1e3\" is not an integer"},
      {{"serve", "--max-record-bytes", "0"},
       2,
       "--max-record-bytes: \"0\" is not an integer in 1..1073741824 (bytes, at most 1 "
       "GiB)"},
      {{"ingest", "customer_stats", "-", "--max-record-bytes", "0x10"},
       2,
       "--max-record-bytes: \"0x10\" is not an integer in 1..1073741824"},
      {{"historical", "--spine", "-", "--features", "customer_stats:spend_7d",
        "--max-record-bytes", "1073741825"},
       2,
       "in 1..1073741824"},
  });
  // A leading zero is decimal, not octal as CLI11 alone would read it.
  ApplyAndIngestFourRows();
  EXPECT_NE(Ok({"fsck", "--seed", "010"}).find("seed 10)"), std::string::npos);
  // An empty --store or --server would mean ./.strata or a local store.
  for (const char* flag : {"--store", "--server"}) {
    ProcessResult r = testing::RunProcess({STRATA_BINARY, flag, "", "ls"}, {});
    EXPECT_EQ(r.exit_code, 2) << flag << r.err;
    EXPECT_EQ(r.err, absl::StrCat("error: ", flag, ": must not be empty\n"));
    EXPECT_EQ(r.out, "");
  }
}

TEST_P(CliBothTest, TheLastAdminTokenIsRevokedOnlyOnTheStore) {
  Ok({"token", "create", "--scope", "admin", "--name", "ops"});
  Ok({"token", "create", "--scope", "read", "--name", "model"});
  ProcessResult r = Strata({"token", "revoke", "ops"});
  if (GetParam()) {
    // The server keeps an admin token in its store (its --tokens file may go).
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("token ops is the store's last admin token"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.out, "");
  } else {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "revoked token ops\n");
    EXPECT_EQ(r.err,
              "warning: the store has no admin token left: no one can manage tokens "
              "over HTTP (strata token create --scope admin makes one)\n");
  }
  EXPECT_EQ(Ok({"token", "revoke", "model"}), "revoked token model\n");
}

TEST_F(CliTest, ServeConnectionFlagsAreRangeChecked) {
  ExpectBadCommands({
      {{"serve", "--header-timeout", "0"}, 2, "--header-timeout"},
      {{"serve", "--header-timeout", "3601"}, 2, "--header-timeout"},
      {{"serve", "--body-timeout", "-1"}, 2, "--body-timeout"},
      {{"serve", "--body-timeout", "86401"}, 2, "--body-timeout"},
      {{"serve", "--max-connections", "0"}, 2, "--max-connections"},
      {{"serve", "--max-connections", "-5"}, 2, "--max-connections"},
      {{"serve", "--max-connections-per-address", "1000001"},
       2,
       "--max-connections-per-address"},
  });
}

// A trim that would make a kept training set unreproducible is refused (409 over
// HTTP) naming it; --dry-run names it; --force breaks it unless an alias protects
// it, and reproduce then says which trim.
TEST_P(CliBothTest, TrimKeepsSavedTrainingSetsReproducible) {
  ApplyAndIngestFourRows();
  const std::string spine = WriteFile("spine.csv",
                                      "customer_id,event_timestamp\n"
                                      "1,2024-01-03T00:00:00Z\n2,2024-01-04T00:00:00Z\n");
  Ok({"historical", "--spine", spine, "--features", "customer_stats:spend_7d", "--save",
      "dataset/train"});
  const std::vector<std::string> trim = {"features", "trim", "customer_stats", "--before",
                                         "2024-01-04T00:00:00Z"};
  const auto with = [&](std::vector<std::string> flags) {
    std::vector<std::string> args = trim;
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  };
  const std::string dry = Ok(with({"--dry-run"}));
  EXPECT_NE(dry.find("\nwould make 1 kept training set unreproducible: dataset/train@1; "
                     "the latest horizon that breaks none is 2024-01-03T00:00:00Z\n"),
            std::string::npos)
      << dry;
  const std::string json = Ok(with({"--dry-run", "--json"}));
  EXPECT_NE(json.find("\"breaks\":[{\"dataset\":\"dataset/train@1\",\"protected_by\":"
                      "\"\"}],\"safe_horizon\":\"2024-01-03T00:00:00Z\"}"),
            std::string::npos)
      << json;
  ExpectBadCommands({{trim, 1,
                      "would make 1 kept training set unreproducible: dataset/train@1; "
                      "the latest horizon that breaks none is 2024-01-03T00:00:00Z; "
                      "--force trims anyway"}});
  EXPECT_EQ(Ok({"reproduce", "dataset/train"}).rfind("identical: dataset/train", 0), 0u);

  Ok({"alias", "set", "dataset/train", "production", "1"});
  ExpectBadCommands(
      {{with({"--force"}), 1,
        "dataset/train@1 (kept by dataset/train@1 (production)); the latest "
        "horizon that breaks none is 2024-01-03T00:00:00Z; --force does "
        "not override an alias: remove it first"}});
  Ok({"alias", "rm", "dataset/train", "production"});
  const std::string forced = Ok(with({"--force"}));
  EXPECT_NE(forced.find("\nmade 1 kept training set unreproducible: dataset/train@1"),
            std::string::npos)
      << forced;
  ExpectBadCommands({{{"reproduce", "dataset/train"},
                      1,
                      "cannot reproduce dataset/train@1: feature view customer_stats's "
                      "offline log was trimmed to 2024-01-04T00:00:00Z on "}});
}

// Retention's log policy trims only as far as the kept training sets allow and says
// which held it back.
TEST_P(CliBothTest, RetentionTrimsLogsOnlyAsFarAsKeptTrainingSetsAllow) {
  ApplyAndIngestFourRows();
  Ok({"historical", "--spine",
      WriteFile("spine.csv", "customer_id,event_timestamp\n1,2024-01-03T00:00:00Z\n"),
      "--features", "customer_stats:spend_7d", "--save", "dataset/train"});
  Ok({"retention", "set", "featureview", "--log-keep", "365d"});
  const std::string dry = Ok({"retention", "apply", "--dry-run"});
  EXPECT_NE(dry.find("would drop 1 of 4 log rows of featureview/customer_stats before "
                     "2024-01-03T00:00:00.000000Z (log "),
            std::string::npos)
      << dry;
  EXPECT_NE(dry.find("; policy of featureview; held back from "), std::string::npos)
      << dry;
  EXPECT_NE(dry.find(" by kept training sets: dataset/train@1)\n"), std::string::npos)
      << dry;
  const std::string applied = Ok({"retention", "apply", "--json"});
  EXPECT_NE(applied.find("\"rows_dropped\":1,"), std::string::npos) << applied;
  EXPECT_NE(applied.find("\"held_back_by\":[\"dataset/train@1\"],\"trimmed_to\":"
                         "\"2024-01-03T00:00:00.000000Z\"}"),
            std::string::npos)
      << applied;
  EXPECT_EQ(Ok({"reproduce", "dataset/train"}).rfind("identical: dataset/train", 0), 0u);
}

TEST_F(CliTest, FeaturesTrimAndFsckChecksTheOnlineTable) {
  ApplyAndIngestFourRows();
  const std::string spine = WriteFile("spine.csv",
                                      "customer_id,event_timestamp\n"
                                      "1,2024-01-04T00:00:00Z\n");
  const std::string answer =
      Ok({"historical", "--spine", spine, "--features", "customer_stats:spend_7d"});
  EXPECT_EQ(answer, "customer_id,event_timestamp,spend_7d\n1,2024-01-04T00:00:00Z,2\n");

  const std::string dry = Ok({"features", "trim", "customer_stats", "--before",
                              "2024-01-04T00:00:00Z", "--dry-run"});
  EXPECT_EQ(dry.rfind("would drop 1 of 4 rows of featureview/customer_stats before "
                      "2024-01-04T00:00:00Z (2 entities, 2 rows kept in force at the "
                      "horizon); log ",
                      0),
            0u)
      << dry;
  const std::string trimmed = Ok({"features", "trim", "customer_stats", "--before",
                                  "2024-01-04T00:00:00Z", "--json"});
  EXPECT_NE(trimmed.find("\"featureview\":\"customer_stats\",\"horizon\":\"2024-01-04T"
                         "00:00:00Z\",\"dry_run\":false,\"ingest_position\":1,"
                         "\"entities\":2,\"rows_before\":4,\"rows_dropped\":1,"
                         "\"rows_kept_at_horizon\":2,"),
            std::string::npos)
      << trimmed;
  EXPECT_EQ(Ok({"historical", "--spine", spine, "--features", "customer_stats:spend_7d"}),
            answer);
  // The header is written before the spine is read; the error follows.
  ProcessResult early = Strata(
      {"historical", "--spine",
       WriteFile("early.csv", "customer_id,event_timestamp\n1,2024-01-03T00:00:00Z\n"),
       "--features", "customer_stats:spend_7d"});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_NE(early.err.find(":2: event_timestamp 2024-01-03T00:00:00Z is before feature "
                           "view customer_stats's offline log retention horizon "
                           "2024-01-04T00:00:00Z"),
            std::string::npos)
      << early.err;
  ExpectBadCommands({
      {{"features", "trim", "nope", "--keep", "30d"}, 2, "no feature view nope"},
      {{"features", "trim", "customer_stats"}, 2, "give one of --before"},
      {{"features", "trim", "customer_stats", "--keep", "0"}, 2, "positive duration"},
      {{"features", "trim", "customer_stats", "--before", "2999-01-01"},
       2,
       "is in the future"},
  });

  // fsck samples the online table against the log.
  EXPECT_NE(Ok({"fsck", "--seed", "5"})
                .find(", 2 online rows of 1 feature view (sample seed 5): no problems"),
            std::string::npos);
  {
    // Customer 1's online row, its times kept, another value.
    auto store = Store::Open(store_dir_, StoreOptions());
    ASSERT_TRUE(store.ok());
    internal::Db& db = DatabaseOf(**store);
    std::string key, value;
    features::codec::PutBE32(&key, 1);
    features::codec::AppendEntityPart(&key, features::Value(int64_t{1}));
    ASSERT_TRUE(db.raw()
                    ->Get(rocksdb::ReadOptions(), db.cf(internal::Cf::kFeatureOnline),
                          key, &value)
                    .ok());
    value.back() ^= 1;
    ASSERT_TRUE(db.raw()
                    ->Put(rocksdb::WriteOptions(), db.cf(internal::Cf::kFeatureOnline),
                          key, value)
                    .ok());
  }
  ProcessResult fsck = Strata({"fsck", "--seed", "5"});
  EXPECT_EQ(fsck.exit_code, 1);
  EXPECT_EQ(fsck.err, "error: fsck found 1 problem\n");
  EXPECT_EQ(fsck.out.rfind("online row differs: feature view customer_stats entity "
                           "customer_id=1: online row (event 2024-01-05T00:00:00Z",
                           0),
            0u)
      << fsck.out;
  ProcessResult json = Strata({"fsck", "--json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_NE(json.out.find("{\"kind\":\"online row differs\",\"detail\":\"feature view "
                          "customer_stats entity customer_id=1: "),
            std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"versions\":[\"featureview/customer_stats@1\"]}"),
            std::string::npos)
      << json.out;
  // A server runs the same check (GET /v1/fsck).
  ServeStore();
  ProcessResult remote = Strata({"fsck"});
  EXPECT_EQ(remote.exit_code, 1);
  EXPECT_EQ(remote.out.rfind("online row differs: feature view customer_stats entity "
                             "customer_id=1: ",
                             0),
            0u)
      << remote.out;
}

TEST_F(CliTest, CommandsForALocalStoreRefuseAServer) {
  ServeStore();
  ExpectBadCommands({
      {{"init"}, 2, "works on the local store (--store) and takes no --server"},
      {{"serve"}, 2, "works on the local store (--store) and takes no --server"},
      {{"restore", "backup"}, 1, "works on a local store"},
  });
  // A server that is not there, and a malformed URL.
  server_url_ = "http://127.0.0.1:1";
  ExpectBadCommands({{{"ls"}, 1, "cannot reach http://127.0.0.1:1"}});
  server_url_ = "ftp://example";
  ExpectBadCommands({{{"ls"}, 2, "expected http://HOST[:PORT]"}});
}

TEST_F(CliTest, FsckAndBackupThroughTheServer) {
  ServeStore();
  Ok({"put", "model/m", "-"}, "weights");
  EXPECT_EQ(Ok({"fsck", "--deep"}),
            "checked 1 version, 1 content, 1 chunk, 0 lineage edges, 0 aliases; read "
            "7 B: no problems\n");
  const std::string path = dir_.Sub("backups") + "/nightly";
  EXPECT_EQ(Ok({"backup", "nightly"}),
            "backed up " + server_url_ + " to " + path + " (on the server)\n");
  ExpectBadCommands({
      {{"backup", "nightly"}, 1, path + " already exists"},
      {{"backup", "../x"}, 2, "backup name \"../x\""},
  });
  // The backup restores into a store of its own.
  std::vector<std::string> lines;
  server_->Kill(&lines);
  server_.reset();
  server_url_.clear();
  const std::string restored = dir_.Sub("restored");
  testing::ProcessOptions options;
  auto r =
      testing::RunProcess({STRATA_BINARY, "restore", path, "--store", restored}, options);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = testing::RunProcess({STRATA_BINARY, "--store", restored, "get", "model/m"},
                          options);
  EXPECT_EQ(r.out, "weights");
}

TEST_P(CliBothTest, RetentionPoliciesDeleteOnlyWhatNothingProtects) {
  for (const char* rows : {"rows 1", "rows 2", "rows 3", "rows 4"}) {
    Ok({"put", "dataset/raw", "-"}, rows);
  }
  Ok({"put", "model/m", "-", "--input", "dataset/raw@1", "--alias", "production"}, "w");
  EXPECT_EQ(Ok({"retention", "show"}),
            "no retention policies: every version is kept until deleted\n");
  EXPECT_EQ(Ok({"retention", "set", "dataset", "--keep-last", "2"}),
            "retention of dataset: keep last 2\n");
  EXPECT_EQ(
      Ok({"retention", "set", "dataset/raw", "--keep-last", "1", "--keep-within", "30d"}),
      "retention of dataset/raw: keep last 1, within 30d\n");
  const std::string shown = Ok({"retention", "show", "--json"});
  EXPECT_EQ(shown.substr(0, 133),
            "[{\"target\":\"dataset\",\"keep_last\":2,\"keep_within_seconds\":0,"
            "\"log_keep_seconds\":0,\"updated_by\":\"tester\",\"on_behalf_of\":null,"
            "\"updated\":\"");
  // dataset/raw's own policy keeps everything for 30 days.
  EXPECT_EQ(Ok({"retention", "apply", "--dry-run"}),
            "would delete 0 versions (0 expired but protected); 0 B of chunks only they "
            "name would be freed by the next strata gc\n");
  Ok({"retention", "unset", "dataset/raw"});
  EXPECT_EQ(Ok({"retention", "apply", "--dry-run"}).substr(0, 35),
            "would delete dataset/raw@2 (6 B, cr");
  const std::string applied = Ok({"retention", "apply"});
  EXPECT_NE(applied.find("kept dataset/raw@1 (expired by the policy of dataset): "
                         "model/m@1 (production), made directly from it\n"),
            std::string::npos)
      << applied;
  EXPECT_NE(applied.find("deleted 1 version (1 expired but protected); 6 B of chunks "
                         "only they name is freed by the next strata gc\n"),
            std::string::npos)
      << applied;
  const std::string log = Ok({"log", "dataset/raw"});
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 4);
  EXPECT_NE(log.find("@2 "), std::string::npos);
  const std::string shown2 = Ok({"show", "dataset/raw@2", "--json"});
  EXPECT_NE(shown2.find("\"reason\":\"retention policy of dataset: keep last 2\""),
            std::string::npos)
      << shown2;
  ExpectBadCommands({
      {{"retention", "set", "dataset"}, 2, "a policy needs --keep-last"},
      {{"retention", "set", "model", "--log-keep", "3d"}, 2, "--log-keep applies"},
      {{"retention", "set", "widgets", "--keep-last", "1"}, 2, "widgets"},
      {{"retention", "set", "dataset", "--keep-within", "soon"}, 2, "--keep-within soon"},
      {{"retention", "unset", "model"}, 2, "model has no retention policy"},
  });

  // A feature view's policy trims its offline log: rows from 2024 are past a year,
  // and each entity keeps the row in force at the horizon.
  ApplyAndIngestFourRows();
  Ok({"retention", "set", "featureview", "--log-keep", "365d"});
  const std::string dry = Ok({"retention", "apply", "--dry-run"});
  EXPECT_NE(dry.find("would drop 2 of 4 log rows of featureview/customer_stats before "),
            std::string::npos)
      << dry;
  const std::string trimmed = Ok({"retention", "apply", "--json"});
  EXPECT_NE(trimmed.find("\"logs\":[{\"view\":\"customer_stats\",\"policy\":"
                         "\"featureview\",\"horizon\":\""),
            std::string::npos)
      << trimmed;
  EXPECT_NE(trimmed.find("\"rows_before\":4,\"rows_dropped\":2,"), std::string::npos)
      << trimmed;
  EXPECT_NE(Ok({"retention", "apply", "--dry-run"})
                .find("would drop 0 of 2 log rows of featureview/customer_stats"),
            std::string::npos);
}

TEST_F(CliTest, ServerNeedsTheRightToken) {
  ServeStore();
  Ok({"put", "model/m", "-"}, "weights");
  token_ = "strata_" + std::string(64, 'b');
  ExpectBadCommands({{{"ls"}, 1, "unknown or revoked token"}});
  token_ = "strata_" + std::string(64, 'a');
  const std::string read = Ok({"token", "create", "--scope", "read", "--name", "r"});
  token_ = read.substr(0, read.size() - 1);
  EXPECT_NE(Ok({"ls"}).find("model/m"), std::string::npos);
  ExpectBadCommands({{{"put", "model/m", WriteFile("w", "x")}, 1, "needs write"},
                     {{"token", "ls"}, 1, "needs admin"}});
}

TEST_F(CliTest, OverAServerWithTokensTheTokensOwnerActsOnBehalfOfStrataUser) {
  ServeStore();
  const std::string ci = Ok(
      {"token", "create", "--scope", "write", "--name", "ci-2026", "--owner", "ci-bot"});
  token_ = ci.substr(0, ci.size() - 1);
  user_ = "bob";
  Ok({"put", "model/churn", "-", "--alias", "production", "-m", "first"}, "v1");
  Ok({"put", "model/churn", "-"}, "v2");
  Ok({"alias", "set", "model/churn", "production", "2", "-m", "better"});
  // STRATA_USER is what the client says; the token's owner is who the server knows.
  const std::string log = Ok({"alias", "log", "model/churn"});
  EXPECT_NE(log.find("ci-bot (on behalf of bob) production       @1 -> @2     better"),
            std::string::npos)
      << log;
  EXPECT_NE(Ok({"alias", "log", "model/churn", "--json"})
                .find("\"who\":\"ci-bot\",\"on_behalf_of\":\"bob\""),
            std::string::npos);
  EXPECT_NE(Ok({"show", "model/churn@2"}).find(" by ci-bot (on behalf of bob)\n"),
            std::string::npos);
  EXPECT_NE(Ok({"show", "model/churn@2", "--json"})
                .find("\"creator\":\"ci-bot\",\"on_behalf_of\":\"bob\""),
            std::string::npos);
  std::string run = Ok({"run", "start", "train"});
  run.pop_back();
  EXPECT_NE(Ok({"run", "show", run}).find("creator  ci-bot (on behalf of bob)\n"),
            std::string::npos);
  // The owner's own name is not repeated.
  user_ = "ci-bot";
  Ok({"alias", "rm", "model/churn", "production"});
  EXPECT_NE(Ok({"alias", "log", "model/churn", "--json"})
                .find("\"who\":\"ci-bot\",\"on_behalf_of\":null,\"at\""),
            std::string::npos);
}

// $STRATA_SERVER is for the commands that can talk to a server: `serve` and `init`
// work on the local store whatever it says. A command that finds the store held by a
// running server names the server to use instead.
TEST_F(CliTest, ServeIgnoresStrataServerAndABusyStoreNamesItsServer) {
  const std::string url = testing::StartServer(
      "env STRATA_SERVER=http://127.0.0.1:1 " + std::string(STRATA_BINARY) + " --store " +
          store_dir_ + " serve --listen 127.0.0.1:0 -q 2>&1",
      &server_);
  ASSERT_FALSE(url.empty());
  ProcessResult busy = Strata({"ls"});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_NE(busy.err.find("is in use by another process: strata serve (pid "),
            std::string::npos)
      << busy.err;
  EXPECT_NE(busy.err.find("--server " + url), std::string::npos) << busy.err;
  server_url_ = url;
  token_ = "";
  EXPECT_EQ(Ok({"put", "dataset/raw", "-"}, "rows"),
            "dataset/raw@1 sha256:" + Sha256::Of("rows").Hex() + "\n");
  std::vector<std::string> lines;
  server_->Kill(&lines);
  server_.reset();
  // A server gone without cleaning up (SIGKILL) leaves no false hint behind.
  server_url_.clear();
  EXPECT_NE(Ok({"ls"}).find("dataset/raw"), std::string::npos);
}

TEST_F(CliTest, VersionNamesTheReleaseAndTheStoreFormat) {
  ProcessResult r = Strata({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(
      r.out, std::regex(R"(strata \d+\.\d+\.\d+ \(store format \d+\)\n)")))
      << r.out;
}

TEST_F(CliTest, InitIsIdempotentAndHelpWorks) {
  EXPECT_EQ(Ok({"init"}), "store at " + store_dir_ + " already initialized\n");
  ProcessResult help = Strata({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("lineage"), std::string::npos);
}

TEST_P(CliBothTest, StatsPrintATableOrTheIssuesJsonAndAreStoredOnce) {
  Ok({"put", "dataset/sales",
      WriteFile("sales.csv", "price,city\n2.5,oslo\n3.5,oslo\n,\"bergen, no\"\n")});
  EXPECT_EQ(
      Ok({"stats", "dataset/sales"}),
      "dataset/sales@1: 3 rows, 2 columns (stored as profile/sales@1)\n"
      "COLUMN  TYPE    COUNT  NULLS  DISTINCT  MIN  P25  P50  P75  MAX  MEAN  STDDEV\n"
      "price   double  2      1      2         2.5  2.5  2.5  3.5  3.5  3     0.707107\n"
      "city    string  3      0      2         -    -    -    -    -    -     -\n"
      "city top: \"oslo\" (2), \"bergen, no\" (1)\n");
  const std::string json = Ok({"stats", "dataset/sales@1", "--json"});
  EXPECT_EQ(
      json.rfind(
          R"({"source":"dataset/sales@1","stored":"profile/sales@1","computed":false,"rows":3,"columns":[{"name":"price","type":"double","count":2,"nulls":1,"distinct":2,"min":2.5,"max":3.5,"mean":3,"stddev":0.7071067811865476,"quantiles":{"p1":2.5,)",
          0),
      0u)
      << json;
  EXPECT_NE(Ok({"ls", "profile"}).find("profile/sales "), std::string::npos);
  EXPECT_NE(Ok({"lineage", "profile/sales@1"}).find("dataset/sales@1"),
            std::string::npos);

  ApplyAndIngestFourRows();
  const std::string window =
      Ok({"stats", "featureview/customer_stats", "--from", "2024-01-01T00:00:00Z", "--to",
          "2024-01-04T00:00:00Z", "--json"});
  // The window cuts the ingest (its row of 2024-01-05 is outside): scanned.
  EXPECT_EQ(
      window.rfind(
          R"({"source":"featureview/customer_stats[2024-01-01T00:00:00Z..2024-01-04T00:00:00Z]","computed":true,"method":"scanned","rows":3,)",
          0),
      0u)
      << window;
  // A window holding the whole ingest merges its stored profile.
  EXPECT_EQ(
      Ok({"stats", "featureview/customer_stats", "--from", "2024-01-01T00:00:00Z", "--to",
          "2024-01-06T00:00:00Z"})
          .rfind(
              "featureview/customer_stats[2024-01-01T00:00:00Z..2024-01-06T00:00:00Z]: "
              "4 rows, 5 columns (merged from 1 ingest profile)\n",
              0),
      0u);
  EXPECT_NE(Ok({"ls", "profile"}).find("profile/customer_stats.ingests "),
            std::string::npos);
  EXPECT_EQ(
      Ok({"stats", "featureview/customer_stats[2024-01-01T00:00:00Z..1704326400]",
          "--as-of", "2000-01-01T00:00:00Z"})
          .substr(0, 80),
      "featureview/customer_stats[2024-01-01T00:00:00Z..2024-01-04T00:00:00Z]: 0 rows, ");

  ExpectBadCommands({
      {{"stats", "model/churn"}, 2, "is neither a dataset version"},
      {{"stats", "dataset/nope"}, 2, "dataset/nope"},
      {{"stats", "featureview/customer_stats", "--from", "soon"}, 2, "--from: "},
      {{"stats", "dataset/sales", "--to", "2024-01-01T00:00:00Z"}, 2, "not datasets"},
      {{"stats", "dataset/sales", "--view", "featureview/nope"}, 2, "nope"},
  });
}

// strata drift: a table by default, the issue's JSON with --json, --fail-on-drift
// as a gate (exit 1), a feature-view window as a side (its join keys and
// timestamps left out, its view's thresholds applied), and errors (exit 2).
TEST_P(CliBothTest, DriftComparesDatasetsAndWindowsAndGatesOnDrift) {
  std::string same = "x,city\n", reversed = "x,city\n", shifted = "x,city\n";
  for (int i = 0; i < 200; ++i) {
    absl::StrAppend(&same, i, ",", i % 2 == 0 ? "oslo" : "bergen", "\n");
    absl::StrAppend(&reversed, 199 - i, ",", i % 2 == 0 ? "bergen" : "oslo", "\n");
    absl::StrAppend(&shifted, i + 100, ",", i % 4 == 0 ? "oslo" : "bergen", "\n");
  }
  Ok({"put", "dataset/t", WriteFile("a.csv", same)});
  Ok({"put", "dataset/t", WriteFile("b.csv", reversed)});
  Ok({"put", "dataset/t", WriteFile("c.csv", shifted)});
  EXPECT_EQ(Ok({"drift", "dataset/t@1", "dataset/t@2", "--fail-on-drift"}),
            "dataset/t@1 -> dataset/t@2: 0 of 2 features drifted (psi >= 0.2, or ks p < "
            "0.05 with D >= 0.1)\n"
            "FEATURE  TYPE    KS_D  KS_P  PSI  WASSERSTEIN  JS  DRIFTED\n"
            "x        int64   0     1     0    0            -   no\n"
            "city     string  -     -     0    -            0   no\n");
  const std::string json = Ok({"drift", "dataset/t@1", "dataset/t", "--json"});
  EXPECT_EQ(
      json.rfind(
          R"({"baseline":"dataset/t@1","current":"dataset/t@3","thresholds":{"psi":0.2,"ks_p_value":0.05,"ks_statistic":0.1},"features":[{"name":"x","type":"int64","baseline_count":200,"current_count":200,"ks":{"statistic":0.5,"p_value":)",
          0),
      0u)
      << json;
  EXPECT_NE(
      json.find(
          R"("wasserstein":100,"drifted":true},{"name":"city","type":"string","baseline_count":200,"current_count":200,"psi":)"),
      std::string::npos)
      << json;
  EXPECT_EQ(json.find(R"("js")"), json.rfind(R"("js")"));  // for the string only
  ProcessResult gate = Strata(
      {"drift", "dataset/t@1", "dataset/t@3", "--fail-on-drift", "--features", "x"});
  EXPECT_EQ(gate.exit_code, 1) << gate.err;
  EXPECT_EQ(gate.err, "error: 1 feature drifted\n");
  EXPECT_NE(gate.out.find("1 of 1 features drifted"), std::string::npos) << gate.out;

  // A window: customer_id and event_timestamp are left out; its view's thresholds
  // apply.
  ApplyAndIngestFourRows();
  Ok({"put", "dataset/spend",
      WriteFile("spend.csv", "spend_7d,segment\n1,a\n2,b\n5,c\n3,d\n")});
  const std::string window =
      Ok({"drift", "dataset/spend", "featureview/customer_stats[2024-01-01..2024-02-01]",
          "--json"});
  EXPECT_EQ(
      window.rfind(
          R"({"baseline":"dataset/spend@1","current":"featureview/customer_stats[2024-01-01T00:00:00Z..2024-02-01T00:00:00Z]",)",
          0),
      0u)
      << window;
  EXPECT_NE(
      window.find(
          R"("features":[{"name":"spend_7d","type":"int64","baseline_count":4,"current_count":4,"ks":{"statistic":0,"p_value":1},"psi":0,"wasserstein":0,"drifted":false},{"name":"segment")"),
      std::string::npos)
      << window;
  Ok({"apply",
      WriteFile("defs2.yaml",
                std::regex_replace(std::string(testing::kExampleDefinitions),
                                   std::regex("name: customer_stats\n"),
                                   "name: customer_stats\n    drift: {psi: 0.5}\n"))});
  EXPECT_NE(Ok({"drift", "dataset/spend",
                "featureview/customer_stats[2024-01-01..2024-02-01]", "--json"})
                .find(R"("thresholds":{"psi":0.5,"ks_p_value":0.05,"ks_statistic":0.1})"),
            std::string::npos);

  // A saved training set: the join keys of the views it read are left out, its
  // label is compared.
  Ok({"historical", "--spine",
      WriteFile("spine.csv",
                "customer_id,event_timestamp,label\n1,2024-01-02T12:00:00Z,1\n"
                "2,2024-01-04T00:00:00Z,0\n1,2024-01-06T00:00:00Z,1\n"),
      "--features", "customer_stats:spend_7d,customer_stats:segment", "--save",
      "dataset/train", "-o", dir_.Sub("train.csv")});
  const std::string train = Ok({"drift", "dataset/train", "dataset/train", "--json"});
  EXPECT_NE(
      train.find(R"("features":[{"name":"label","type":"int64","baseline_count":3,)"),
      std::string::npos)
      << train;
  EXPECT_NE(train.find(R"({"name":"spend_7d",)"), std::string::npos) << train;
  EXPECT_EQ(train.find("customer_id"), std::string::npos) << train;

  Ok({"put", "dataset/words", WriteFile("words.csv", "spend_7d\nlow\nhigh\n")});
  ExpectBadCommands({
      {{"drift", "dataset/t", "dataset/nope"}, 2, "dataset/nope"},
      {{"drift", "dataset/t", "model/m"}, 2, "model/m"},
      {{"drift", "dataset/t", "dataset/spend"}, 2, "no feature column in common"},
      {{"drift", "dataset/t", "dataset/t", "--features", "nope"}, 2, "nope"},
      {{"drift", "dataset/words", "featureview/customer_stats[2024-01-01..2024-02-01]"},
       2,
       "feature \"spend_7d\" is string in the baseline but double in the current"},
  });
}

TEST_P(CliBothTest, ValidateIsACiGateAndIngestAppliesEachMode) {
  const std::string defs = std::string(testing::kExampleDefinitions);
  Ok({"apply", WriteFile("defs.yaml", defs)});
  std::string ruled = defs;
  ruled.replace(ruled.find("{name: spend_7d, type: double}"), 30,
                "{name: spend_7d, type: double, min: 0}");
  const std::string ruled_path = WriteFile("rules.yaml", ruled);
  // An export from a spreadsheet: BOM, CRLF, quoted fields; line 3 breaks min 0.
  const std::string rows = WriteFile(
      "rows.csv",
      "\xEF\xBB\xBF"
      "customer_id,event_timestamp,spend_7d,segment\r\n"
      "1,2024-01-01T00:00:00Z,\"10\",gold\r\n2,2024-01-02T00:00:00Z,-4,\"a, b\"\r\n"
      "3,2024-01-03T00:00:00Z,7,gold\r\n");
  Ok({"put", "dataset/raw", rows});
  // The stored view has no rules: clean, exit 0.
  EXPECT_NE(Ok({"validate", "dataset/raw", "--view", "customer_stats"})
                .find("no validation rules"),
            std::string::npos);
  ProcessResult r = Strata({"validate", "dataset/raw", "--rules", ruled_path});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("3 rows checked"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dataset/raw@1:3: column spend_7d: value \"-4\" breaks min 0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("breaks validation rules: 1 violation(s) in 1 row(s)"),
            std::string::npos)
      << r.err;
  r = Strata({"validate", "dataset/raw", "--rules", ruled_path, "--json"});
  EXPECT_EQ(r.exit_code, 1);
  // The report names the versions it read.
  EXPECT_EQ(
      r.out.rfind(
          absl::StrCat(
              R"({"dataset":"dataset/raw@1","featureview":"featureview/customer_stats@1","rules_from":")",
              ruled_path, "\""),
          0),
      0u)
      << r.out;
  EXPECT_NE(r.out.find("\"rows\":3,\"clean\":false,\"by_rule\":{\"spend_7d: min\":1}"),
            std::string::npos)
      << r.out;
  ExpectBadCommands(
      {{{"validate", "dataset/raw"}, 2, "--view or --rules"},
       {{"validate", "dataset/nope", "--view", "customer_stats"}, 2, "nope"},
       {{"validate", "dataset/raw", "--view", "nope"}, 2, "nope"}});

  // Ingest under each mode, with exact counts.
  Ok({"apply", ruled_path});
  r = Strata({"ingest", "customer_stats", rows});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("1 value(s) in 1 of 3 row(s)"), std::string::npos) << r.err;
  std::string dropping = ruled;
  dropping.replace(dropping.find("    features:"), 0, "    on_invalid: drop\n");
  Ok({"apply", WriteFile("drop.yaml", dropping)});
  r = Strata({"ingest", "customer_stats", rows, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"rows\":2,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"dropped\":1,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"quarantine\":\"dataset/customer_stats-quarantine@1\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("dropped rows quarantined as dataset/customer_stats-quarantine@1"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Ok({"get", "dataset/customer_stats-quarantine@1"}),
            "customer_id,event_timestamp,created_timestamp,spend_7d,segment,line,rule\n"
            "2,2024-01-02T00:00:00Z,,-4,\"a, b\",3,spend_7d min 0\n");
}

// Training/serving skew: a server started with --log-served 1 keeps every answer it
// gives, per entity; drift and stats read them as served:featureview/NAME[FROM..TO],
// through the server and, after it stops, on the store.
TEST_F(CliTest, DriftComparesATrainingSetWithWhatWasServed) {
  Ok({"apply", WriteFile("defs.yaml", R"(entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: scores
    entities: [customer]
    features:
      - {name: score, type: double}
      - {name: band, type: string}
)")});
  std::string rows = "customer_id,event_timestamp,score,band\r\n", train = "score,band\n";
  std::string ids;
  for (int i = 1; i <= 20; ++i) {
    absl::StrAppend(&rows, i, ",2024-01-01T00:00:00Z,", i, ",", i % 2 ? "odd" : "even",
                    "\r\n");
    absl::StrAppend(&train, i + 0.5, ",", i % 2 ? "odd" : "even", "\n");
    absl::StrAppend(&ids, i == 1 ? "" : ",", i);
  }
  Ok({"ingest", "scores", WriteFile("scores.csv", rows)});
  Ok({"put", "dataset/train", WriteFile("train.csv", train)});

  ServeStore("--log-served 1");
  const std::vector<std::string> lookup = {"online", "--features",
                                           "scores:score,scores:band", "--entity"};
  std::vector<std::string> all = lookup, few = lookup, unknown = lookup;
  all.push_back("customer_id=" + ids);
  few.push_back("customer_id=1,2,3,4,5,6,7,8,9,10");
  unknown.push_back("customer_id=99");
  Ok(all);
  Ok(few);
  Ok(unknown);  // logged, without values

  const auto expect_served = [&](const std::string& where) {
    const std::string json = Ok(
        {"drift", "dataset/train", "served:featureview/scores[2020-01-01..]", "--json"});
    EXPECT_EQ(
        json.rfind(
            R"({"baseline":"dataset/train@1","current":"served:featureview/scores[2020-01-01T00:00:00Z..]",)",
            0),
        0u)
        << where << json;
    EXPECT_NE(
        json.find(
            R"("features":[{"name":"score","type":"double","baseline_count":20,"current_count":30,)"),
        std::string::npos)
        << where << json;
    EXPECT_NE(
        json.find(
            R"({"name":"band","type":"string","baseline_count":20,"current_count":30,)"),
        std::string::npos)
        << where << json;
    EXPECT_EQ(json.find("customer_id"), std::string::npos) << where << json;
    EXPECT_EQ(json.find("served_timestamp"), std::string::npos) << where << json;
    const std::string stats = Ok({"stats", "served:featureview/scores", "--json"});
    EXPECT_EQ(
        stats.rfind(
            R"({"source":"served:featureview/scores[..]","computed":true,"rows":31,"columns":[{"name":"customer_id","type":"int64",)",
            0),
        0u)
        << where << stats;
    // 31 answers: the unknown customer's was served without values.
    EXPECT_NE(
        stats.find(
            R"({"name":"score","type":"double","count":30,"nulls":1,"distinct":20,"min":1,"max":20,)"),
        std::string::npos)
        << where << stats;
    // Nothing was served before 2020.
    EXPECT_NE(Ok({"stats", "served:featureview/scores[..2020-01-01]"}).find(": 0 rows"),
              std::string::npos);
  };
  expect_served("through the server: ");
  EXPECT_NE(Ok({"drift", "dataset/train", "served:featureview/scores"})
                .find("0 of 2 features drifted"),
            std::string::npos);

  std::vector<std::string> lines;
  server_->Kill(&lines);
  server_.reset();
  server_url_.clear();
  expect_served("on the store, after the server stopped: ");

  ExpectBadCommands({
      {{"drift", "dataset/train", "served:dataset/train"},
       2,
       "the served log is read by feature view"},
      {{"drift", "dataset/train", "served:featureview/nope"}, 2, "nope"},
      {{"stats", "served:featureview/scores", "--as-of", "2024-01-01T00:00:00Z"},
       2,
       "as_of does not apply"},
  });
}

}  // namespace
}  // namespace strata
