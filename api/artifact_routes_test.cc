// The artifact routes that write: uploads (streamed and by chunks), alias removal,
// the artifact list, lineage from runs, and the protobuf forms the CLI reads.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/api.pb.h"
#include "api/server.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "store/digest.h"
#include "store/fastcdc.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

class ArtifactRoutesTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ServerOptions options;
    options.port = 0;
    options.max_body_bytes = 1 << 20;
    server_ = std::make_unique<Server>(store_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_keep_alive(true);
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  httplib::Result Upload(const std::string& path, const std::string& body,
                         httplib::Headers headers = {}) {
    return client_->Post(path.c_str(), headers, body, "application/octet-stream");
  }

  // The store's artifacts as the list route sees them, to check nothing changed.
  std::string Listing() {
    auto r = client_->Get("/v1/artifacts");
    return r ? r->body : "no answer";
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ArtifactRoutesTest, StreamedUploadCommitsAVersion) {
  httplib::Headers headers = {{"X-Strata-Meta", "lr=0.1"},
                              {"X-Strata-Meta", "epochs=3"},
                              {"X-Strata-Creator", "alice"}};
  auto r = Upload("/v1/artifacts/model/churn?message=first%20cut&alias=candidate",
                  "weights v1", headers);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(r->get_header_value("Location"), "/v1/artifacts/model/churn@1");
  EXPECT_NE(r->body.find("\"ref\":\"model/churn@1\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"created\":true"), std::string::npos) << r->body;

  auto v = store_->artifacts().Resolve(*ParseRef("model/churn@candidate"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->number(), 1u);
  EXPECT_EQ(v->message(), "first cut");
  EXPECT_EQ(v->creator(), "alice");
  EXPECT_EQ(v->metadata().at("lr"), "0.1");
  EXPECT_EQ(v->metadata().at("epochs"), "3");
  EXPECT_EQ(v->content_id(), Sha256::Of("weights v1").Raw());

  // The same content and metadata again: the latest version, 200.
  r = Upload("/v1/artifacts/model/churn", "weights v1", headers);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"created\":false"), std::string::npos) << r->body;

  // A second version with an input, answered in protobuf.
  headers = {{"Accept", "application/x-protobuf"},
             {"X-Strata-Input", "model/churn@1"},
             {"X-Strata-Content-Sha256", Sha256::Of("weights v2").Hex()}};
  r = Upload("/v1/artifacts/model/churn", "weights v2", headers);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  PutResponse put;
  ASSERT_TRUE(put.ParseFromString(r->body));
  EXPECT_TRUE(put.created());
  EXPECT_EQ(put.version().version().number(), 2u);
  ASSERT_EQ(put.version().version().inputs_size(), 1);
  EXPECT_EQ(put.version().version().inputs(0), "model/churn@1");
  EXPECT_EQ(put.chunks(), 1u);

  // Downloaded back as uploaded.
  auto got = client_->Get("/v1/artifacts/model/churn@2/content");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, "weights v2");
}

TEST_F(ArtifactRoutesTest, ChunkProtocolSendsOnlyWhatTheServerLacks) {
  std::mt19937_64 rng(11);
  const std::string first = testing::RandomBytes(rng, 2 << 20);
  const auto cut = [](absl::string_view data) {
    FastCdc chunker;
    std::vector<std::string> chunks;
    while (!data.empty()) {
      const size_t n = chunker.NextCut(data);
      chunks.emplace_back(data.substr(0, n));
      data.remove_prefix(n);
    }
    return chunks;
  };
  const auto ids = [](const std::vector<std::string>& chunks) {
    std::string out;
    for (const auto& c : chunks) out += std::string(Sha256::Of(c).Raw());
    return out;
  };
  const auto frames = [](const std::vector<std::string>& chunks) {
    std::string out;
    for (const auto& c : chunks) {
      const uint32_t n = c.size();
      out += {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
      out += c;
    }
    return out;
  };
  // The server's body limit is 1 MiB: this 2 MiB content goes in batches.
  const auto chunks = cut(first);
  auto r = client_->Post("/v1/chunks/missing", ids(chunks), "application/octet-stream");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, ids(chunks));
  for (const auto& c : chunks) {
    r = client_->Post("/v1/chunks", frames({c}), "application/octet-stream");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, "{\"chunks\":1,\"new\":1}");
  }
  httplib::Headers headers = {{"X-Strata-Content-Sha256", Sha256::Of(first).Hex()}};
  r = client_->Post("/v1/artifacts/dataset/big", headers, ids(chunks),
                    "application/x-strata-chunk-ids");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  auto got = client_->Get("/v1/artifacts/dataset/big@1/content");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, first);

  // An edit: the server lacks only the chunks around it.
  std::string second = first;
  second.replace(first.size() / 3, 4, "edit");
  const auto chunks2 = cut(second);
  r = client_->Post("/v1/chunks/missing", ids(chunks2), "application/octet-stream");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_GE(r->body.size(), 32u);
  EXPECT_LE(r->body.size(), 3 * 32u);
  std::vector<std::string> lacking;
  for (const auto& c : chunks2) {
    if (r->body.find(std::string(Sha256::Of(c).Raw())) != std::string::npos)
      lacking.push_back(c);
  }
  r = client_->Post("/v1/chunks", frames(lacking), "application/octet-stream");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  r = client_->Post("/v1/artifacts/dataset/big", ids(chunks2),
                    "application/x-strata-chunk-ids");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  got = client_->Get("/v1/artifacts/dataset/big@2/content");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, second);
}

TEST_F(ArtifactRoutesTest, BadUploadsWriteNothing) {
  ASSERT_EQ(Upload("/v1/artifacts/model/base", "base")->status, 201);
  const std::string before = Listing();
  const std::string missing_chunk(Sha256::Of("never sent").Raw());
  struct Case {
    std::string path, body, content_type;
    httplib::Headers headers;
    int status;
    std::string code, message;
  };
  const std::string bin = "application/octet-stream";
  const std::vector<Case> cases = {
      {"/v1/artifacts/model/Bad_Name", "x", bin, {}, 400, "INVALID_ARGUMENT", "name"},
      {"/v1/artifacts/nokind/x", "x", bin, {}, 400, "INVALID_ARGUMENT", "kind"},
      {"/v1/artifacts/model/../etc", "x", bin, {}, 400, "INVALID_ARGUMENT", ""},
      {"/v1/artifacts/model/m?meta=novalue",
       "x",
       bin,
       {},
       400,
       "INVALID_ARGUMENT",
       "KEY=VALUE"},
      {"/v1/artifacts/model/m?input=dataset/nope@1",
       "x",
       bin,
       {},
       404,
       "NOT_FOUND",
       "dataset/nope"},
      {"/v1/artifacts/model/m?run=nope",
       "x",
       bin,
       {},
       400,
       "INVALID_ARGUMENT",
       "not a run id"},
      {"/v1/artifacts/model/m?run=abc123", "x", bin, {}, 404, "NOT_FOUND", "abc123"},
      {"/v1/artifacts/model/m?message=a&message=b",
       "x",
       bin,
       {},
       400,
       "INVALID_ARGUMENT",
       "once"},
      {"/v1/artifacts/model/m?alias=Bad%20Alias",
       "x",
       bin,
       {},
       400,
       "INVALID_ARGUMENT",
       "alias"},
      {"/v1/artifacts/model/m",
       "x",
       bin,
       {{"X-Strata-Content-Sha256", "zz"}},
       400,
       "INVALID_ARGUMENT",
       "64 hex"},
      {"/v1/artifacts/model/m",
       "x",
       bin,
       {{"X-Strata-Content-Sha256", Sha256::Of("y").Hex()}},
       400,
       "INVALID_ARGUMENT",
       "not the X-Strata-Content-Sha256"},
      {"/v1/artifacts/model/m",
       std::string((1 << 20) + 1, 'z'),
       bin,
       {},
       413,
       "RESOURCE_EXHAUSTED",
       "1048576 bytes"},
      {"/v1/artifacts/model/m",
       "short",
       "application/x-strata-chunk-ids",
       {},
       400,
       "INVALID_ARGUMENT",
       "32-byte"},
      {"/v1/artifacts/model/m",
       "",
       "application/x-strata-chunk-ids",
       {},
       400,
       "INVALID_ARGUMENT",
       "at least one chunk"},
      {"/v1/artifacts/model/m",
       missing_chunk,
       "application/x-strata-chunk-ids",
       {},
       409,
       "FAILED_PRECONDITION",
       "is not stored"},
      {"/v1/chunks/missing", "odd", bin, {}, 400, "INVALID_ARGUMENT", "32-byte"},
      {"/v1/chunks",
       std::string("\0\0\0\x09"
                   "abc",
                   7),
       bin,
       {},
       400,
       "INVALID_ARGUMENT",
       "says 9 bytes"},
      {"/v1/chunks",
       std::string("\0\0", 2),
       bin,
       {},
       400,
       "INVALID_ARGUMENT",
       "cut short"},
      {"/v1/chunks",
       std::string("\0\0\0\0", 4),
       bin,
       {},
       400,
       "INVALID_ARGUMENT",
       "chunks are 1 to"},
  };
  for (const Case& c : cases) {
    auto r = client_->Post(c.path.c_str(), c.headers, c.body, c.content_type.c_str());
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status) << c.path << " " << r->body;
    EXPECT_NE(r->body.find("\"code\":\"" + c.code + "\""), std::string::npos)
        << c.path << " " << r->body;
    EXPECT_NE(r->body.find(c.message), std::string::npos) << c.path << " " << r->body;
    EXPECT_EQ(Listing(), before) << c.path;
  }
}

// Every route refuses a query parameter it does not take, naming it, before it does
// anything: a misspelt option is never silently ignored.
TEST_F(ArtifactRoutesTest, UnknownQueryParametersAreRefusedEverywhere) {
  ASSERT_EQ(Upload("/v1/artifacts/dataset/raw", "raw")->status, 201);
  NewRun run;
  run.name = "train";
  auto started = store_->runs().Start(run);
  ASSERT_TRUE(started.ok());
  const std::string run_path = "/v1/runs/" + started->id();
  const std::string before = Listing();
  const std::string runs_before = client_->Get("/v1/runs")->body;
  struct Case {
    std::string method, path;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/artifacts/config/x?mesage=typo&input=dataset/raw@1"},
      {"POST", "/v1/artifacts/config/x?inputs=dataset/raw@1"},
      {"GET", "/v1/artifacts?knd=model"},
      {"GET", "/v1/artifacts/dataset/raw/versions?limit=1"},
      {"GET", "/v1/artifacts/dataset/raw@1?verbose=1"},
      {"GET", "/v1/artifacts/dataset/raw@1/content?offset=1"},
      {"GET", "/v1/artifacts/dataset/raw@1/why-kept?x=1"},
      {"DELETE", "/v1/artifacts/dataset/raw@1?forse=true"},
      {"PUT", "/v1/artifacts/dataset/raw/aliases/prod?reson=x&version=1"},
      {"DELETE", "/v1/artifacts/dataset/raw/aliases/prod?x=1"},
      {"GET", "/v1/artifacts/dataset/raw/aliases?all=1"},
      {"GET", "/v1/artifacts/dataset/raw/alias-log?since=1"},
      {"GET", "/v1/lineage/dataset/raw@1?direcion=down"},
      {"POST", "/v1/runs?name=train"},
      {"POST", run_path + "/metrics?step=1"},
      {"POST", run_path + "/finish?state=failed"},
      {"GET", run_path + "?x=1"},
      {"GET", "/v1/runs?status=ok"},
      {"GET", "/v1/fsck?dep=true"},
      {"POST", "/v1/gc?dryrun=true"},
      {"GET", "/v1/retention?x=1"},
      {"PUT", "/v1/retention/dataset/raw?keep=3"},
      {"DELETE", "/v1/retention/dataset/raw?x=1"},
      {"POST", "/v1/retention/apply?dry-run=true"},
  };
  for (const Case& c : cases) {
    auto send = [&]() -> httplib::Result {
      if (c.method == "GET") return client_->Get(c.path.c_str());
      if (c.method == "POST") return client_->Post(c.path.c_str(), "{}", "application/json");
      if (c.method == "PUT") return client_->Put(c.path.c_str(), "", "text/plain");
      return client_->Delete(c.path.c_str());
    };
    httplib::Result r = send();
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, 400) << c.method << " " << c.path << " -> " << r->body;
    const size_t q = c.path.find('?');
    const std::string name = c.path.substr(q + 1, c.path.find('=', q) - q - 1);
    EXPECT_NE(r->body.find("unknown query parameter \\\"" + name + "\\\""),
              std::string::npos)
        << c.path << " -> " << r->body;
  }
  EXPECT_EQ(Listing(), before);
  EXPECT_EQ(client_->Get("/v1/runs")->body, runs_before);
  EXPECT_FALSE(store_->artifacts().Resolve(*ParseRef("config/x")).ok());
}

// A reference without @REF means the latest version on the read routes, as in the CLI.
TEST_F(ArtifactRoutesTest, ReadsWithoutARefReadTheLatestVersion) {
  ASSERT_EQ(Upload("/v1/artifacts/dataset/raw", "one")->status, 201);
  ASSERT_EQ(Upload("/v1/artifacts/dataset/raw", "two")->status, 201);
  auto r = client_->Get("/v1/artifacts/dataset/raw/content");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "two");
  r = client_->Get("/v1/artifacts/dataset/raw@1/content");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "one");
  r = client_->Get("/v1/artifacts/dataset/raw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"ref\":\"dataset/raw@2\""), std::string::npos) << r->body;
  r = client_->Get("/v1/artifacts/dataset/raw/why-kept");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"version\":\"dataset/raw@2\""), std::string::npos) << r->body;
  r = client_->Get("/v1/artifacts/dataset/raw/versions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = client_->Get("/v1/artifacts/dataset/nothing/content");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
}

TEST_F(ArtifactRoutesTest, TruncatedUploadIsNotCommitted) {
  // A client that promises 100000 bytes, sends 1000 and hangs up.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string request =
      "POST /v1/artifacts/model/cut HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n" +
      std::string(1000, 'a');
  ASSERT_EQ(::write(fd, request.data(), request.size()), ssize_t(request.size()));
  ::shutdown(fd, SHUT_WR);
  char buf[4096];
  while (::read(fd, buf, sizeof(buf)) > 0) {
  }  // the server closes the connection once it has given up on the body
  ::close(fd);
  // A request on another connection is served after the failed one finished.
  auto r = client_->Get("/v1/artifacts/model/cut/versions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
}

TEST_F(ArtifactRoutesTest, AliasRemovalListAndRunLineage) {
  ASSERT_EQ(Upload("/v1/artifacts/model/m?alias=production", "one")->status, 201);
  auto r = client_->Get("/v1/artifacts?kind=model");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.rfind("[{\"artifact\":\"model/m\",\"kind\":\"model\",\"name\":\"m\","
                          "\"latest\":1,",
                          0),
            0u)
      << r->body;
  EXPECT_NE(r->body.find("\"aliases\":{\"production\":1}"), std::string::npos);
  r = client_->Get("/v1/artifacts?kind=dataset");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "[]");
  r = client_->Get("/v1/artifacts?kind=widget");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;

  // Removal with a stale If-Match: 412, nothing moved.
  httplib::Headers stale = {{"If-Match", "7"}};
  r = client_->Delete("/v1/artifacts/model/m/aliases/production", stale);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 412) << r->body;
  httplib::Headers fresh = {{"If-Match", "1"}, {"X-Strata-Creator", "bob"}};
  r = client_->Delete("/v1/artifacts/model/m/aliases/production?reason=retired", fresh);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"to\":null"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"who\":\"bob\""), std::string::npos) << r->body;
  r = client_->Delete("/v1/artifacts/model/m/aliases/production");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;

  // Lineage from a run, in protobuf.
  NewRun run;
  run.name = "train";
  run.inputs = {"model/m@1"};
  auto started = store_->runs().Start(run);
  ASSERT_TRUE(started.ok());
  httplib::Headers proto = {{"Accept", "application/x-protobuf"}};
  r = client_->Get(("/v1/lineage/run/" + started->id() + "?direction=up").c_str(), proto);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  LineageGraphView graph;
  ASSERT_TRUE(graph.ParseFromString(r->body));
  EXPECT_EQ(graph.root(), "run/" + started->id());
  ASSERT_EQ(graph.nodes_size(), 2);
  EXPECT_EQ(graph.nodes(1).id(), "model/m@1");
  EXPECT_EQ(graph.nodes(1).version().number(), 1u);
  r = client_->Get("/v1/lineage/run/abc123");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  r = client_->Get("/v1/lineage/run/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;

  // The alias log in protobuf holds the two moves.
  r = client_->Get("/v1/artifacts/model/m/alias-log", proto);
  ASSERT_TRUE(r);
  AliasMoveList moves;
  ASSERT_TRUE(moves.ParseFromString(r->body));
  ASSERT_EQ(moves.moves_size(), 2);
  EXPECT_EQ(moves.moves(1).reason(), "retired");
}

TEST(ArtifactRoutesAuthTest, ARefusedUploadLeavesTheConnectionUsable) {
  testing::ScratchDir dir;
  auto store = testing::OpenTestStore(dir.Sub("store"));
  const std::string token = "strata_" + std::string(64, 'c');
  std::ofstream(dir.Sub("tokens")) << "write " << token << "\n";
  ServerOptions options;
  options.port = 0;
  options.tokens_file = dir.Sub("tokens");
  Server server(store.get(), options);
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  // Refused before its body is read: the body must not be taken for a request.
  auto r = client.Post("/v1/artifacts/model/m", std::string(5000, 'x'),
                       "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  r = client.Post("/v1/artifacts/model/m", auth, "weights", "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  r = client.Get("/v1/artifacts/model/m/versions", auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

}  // namespace
}  // namespace strata::api
