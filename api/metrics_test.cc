// What the server counts: /metrics' store size and online cache counters, bytes of
// streamed responses, JSON error bodies under a Range header, and each request
// timed and labelled on its own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "api/server.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

class MetricsTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto defs = features::ParseDefinitions(testing::kExampleDefinitions, "defs");
    ASSERT_TRUE(defs.ok()) << defs.status();
    {
      features::FeatureStore fs(store_.get());
      ASSERT_TRUE(fs.registry().Apply(*defs, "test", "").ok());
      csv_ = "customer_id,event_timestamp,spend_7d,segment\n1," +
             std::to_string(absl::ToUnixSeconds(absl::Now()) - 60) + ",12.5,gold\n";
      std::ofstream(dir_.Sub("stats.csv")) << csv_;
      features::IngestOptions ingest;
      ingest.bulk_threshold_rows = 1;  // SST files: the store has a size on disk
      ASSERT_TRUE(fs.Ingest("customer_stats", dir_.Sub("stats.csv"), ingest).ok());
    }
    ServerOptions options;
    options.port = 0;
    options.access_log = [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      log_.push_back(line);
      logged_.notify_all();
    };
    server_ = std::make_unique<Server>(store_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    // One connection: each request is logged and counted before the next is read.
    client_->set_keep_alive(true);
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  // The value of the unlabelled metric `name` in a fresh /metrics; -1 if absent.
  double Metric(const std::string& name) {
    auto r = client_->Get("/metrics");
    if (!r || r->status != 200) return -1;
    for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, ' ');
      double value;
      if (kv.first == name && absl::SimpleAtod(kv.second, &value)) return value;
    }
    return -1;
  }

  // The access log once it has at least `lines` lines (a request is logged after
  // its answer is sent), or after 10 s.
  std::vector<std::string> Log(size_t lines = 0) {
    std::unique_lock lock(log_mu_);
    logged_.wait_for(lock, std::chrono::seconds(10),
                     [&] { return log_.size() >= lines; });
    return log_;
  }

  std::string csv_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  std::mutex log_mu_;
  std::condition_variable logged_;
  std::vector<std::string> log_;
};

TEST_F(MetricsTest, StoreSizeAndOnlineCacheCounts) {
  EXPECT_GT(Metric("strata_store_size_bytes"), 0);
  EXPECT_EQ(Metric("strata_online_cache_hits_total"), 0);
  EXPECT_EQ(Metric("strata_online_cache_misses_total"), 0);
  EXPECT_EQ(Metric("strata_online_cache_hit_ratio"), 0);
  // A known and an unknown entity: two lookups, both read from the table, then
  // both answered from memory (the row, and the known absence).
  const std::string body =
      "{\"features\":[\"customer_stats:spend_7d\"],\"entities\":{\"customer_id\":[1,42]}"
      "}";
  for (int round = 0; round < 2; ++round) {
    auto r = client_->Post("/get-online-features", body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  EXPECT_EQ(Metric("strata_online_cache_misses_total"), 2);
  EXPECT_EQ(Metric("strata_online_cache_hits_total"), 2);
  EXPECT_EQ(Metric("strata_online_cache_hit_ratio"), 0.5);
  auto r = client_->Get("/metrics");
  ASSERT_TRUE(r);
  for (const char* type : {"# TYPE strata_store_size_bytes gauge",
                           "# TYPE strata_online_cache_hits_total counter",
                           "# TYPE strata_online_cache_misses_total counter",
                           "# TYPE strata_online_cache_hit_ratio gauge"}) {
    EXPECT_NE(r->body.find(type), std::string::npos) << type;
  }
}

TEST_F(MetricsTest, StreamedContentCountsInBytesOut) {
  const std::string path = "/v1/artifacts/dataset/customer_stats-ingest@1/content";
  const double before = Metric("strata_http_response_bytes_total");
  auto r = client_->Get(path.c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(r->body, csv_);
  r = client_->Get(path.c_str(), {{"Range", "bytes=2-5"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  const double after = Metric("strata_http_response_bytes_total");
  // The log: /metrics, the content whole and 4 bytes of it, /metrics.
  const std::vector<std::string> log = Log(4);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_NE(log[1].find(" 200 "), std::string::npos) << log[1];
  EXPECT_NE(log[1].find(" out=" + std::to_string(csv_.size())), std::string::npos)
      << log[1];
  EXPECT_NE(log[2].find(" 206 "), std::string::npos) << log[2];
  EXPECT_NE(log[2].find(" out=4"), std::string::npos) << log[2];
  // The counter grew by what the log says was sent before the last /metrics.
  int64_t logged = 0;
  for (int i = 0; i < 3; ++i) {
    int64_t out = 0;
    ASSERT_TRUE(absl::SimpleAtoi(log[i].substr(log[i].find(" out=") + 5), &out))
        << log[i];
    logged += out;
  }
  EXPECT_EQ(after - before, logged);
}

TEST_F(MetricsTest, ErrorsUnderARangeHeaderKeepTheirJsonBody) {
  const std::string path = "/v1/artifacts/dataset/customer_stats-ingest@1/content";
  auto r = client_->Get(path.c_str(), {{"Range", "bytes=100000-"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 416);
  EXPECT_EQ(r->get_header_value("Content-Range"),
            "bytes */" + std::to_string(csv_.size()));
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->body.rfind("{\"error\":{\"code\":\"OUT_OF_RANGE\",\"message\":\"the range "
                          "is past the end of the content",
                          0),
            0u)
      << r->body;
  // Other errors are not cut to the range either.
  r = client_->Get("/v1/artifacts/dataset/missing@1/content", {{"Range", "bytes=2-5"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body.rfind("{\"error\":{\"code\":\"NOT_FOUND\"", 0), 0u) << r->body;
  EXPECT_FALSE(r->has_header("Content-Range"));
  r = client_->Get("/nope", {{"Range", "bytes=2-5"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body.rfind("{\"error\":{\"code\":\"NOT_FOUND\"", 0), 0u) << r->body;
}

// Sends `requests` on one connection and reads until `responses` status lines came.
std::string Exchange(int port, const std::vector<std::string>& requests, int responses,
                     std::chrono::milliseconds stall_after_first_headers) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string received;
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return received;
  }
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  int seen = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    std::string request = requests[i];
    if (i == 0 && stall_after_first_headers.count() > 0) {
      // Headers, a stall the server must time, then the body.
      const size_t body = request.find("\r\n\r\n") + 4;
      send(fd, request.data(), body, MSG_NOSIGNAL);
      std::this_thread::sleep_for(stall_after_first_headers);
      request = request.substr(body);
    }
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    // Wait for this request's answer, so the next one is read after it.
    while (seen <= static_cast<int>(i)) {
      char buf[4096];
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      received.append(buf, n);
      seen = 0;
      for (size_t at = received.find("HTTP/1.1 "); at != std::string::npos;
           at = received.find("HTTP/1.1 ", at + 1)) {
        ++seen;
      }
    }
  }
  close(fd);
  EXPECT_EQ(seen, responses) << received;
  return received;
}

// Microseconds of an access log line ("GET /healthz 200 35us in=0 out=15").
int64_t Micros(const std::string& line) {
  std::vector<std::string> parts = absl::StrSplit(line, ' ');
  int64_t us = -1;
  if (parts.size() > 3 && parts[3].size() > 2) {
    EXPECT_TRUE(absl::SimpleAtoi(parts[3].substr(0, parts[3].size() - 2), &us)) << line;
  }
  return us;
}

TEST_F(MetricsTest, RequestsRefusedBeforeRoutingAreTimedAndLabelledOnTheirOwn) {
  const std::string body =
      "{\"features\":[\"customer_stats:spend_7d\"],\"entities\":{\"customer_id\":[1]}}";
  // A slow request, then one httplib refuses before routing (no HTTP version), on
  // the same connection and so on the same server thread.
  Exchange(server_->port(),
           {"POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Type: "
            "application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body,
            "GET /healthz\r\n\r\n"},
           2, std::chrono::milliseconds(200));
  const std::vector<std::string> log = Log(2);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].rfind("POST /get-online-features 200 ", 0), 0u) << log[0];
  EXPECT_NE(log[1].find(" other 400 "), std::string::npos) << log[1];
  // With the previous request's start, the refusal would take longer than it.
  EXPECT_LT(Micros(log[1]), Micros(log[0])) << log[0] << "\n" << log[1];
}

}  // namespace
}  // namespace strata::api
