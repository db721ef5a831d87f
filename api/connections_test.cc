// The server's connections: idle and slow clients do not starve it, the header and
// body deadlines, the caps on connections in total and per address, Stop with
// connections open, and pipelined requests arriving in pieces. Real sockets to a
// real server on 127.0.0.1; bounds on waits are generous and never asserted as
// durations.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/internal/testing.h"
#include "api/server.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

using internal::RawConnection;
using internal::WholeResponse;
using std::chrono::seconds;

const std::string kHealthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const std::string kOnlineBody =
    "{\"features\":[\"customer_stats:spend_7d\"],\"entities\":{\"customer_id\":[1]}}";

std::string OnlineRequest() {
  return "POST /get-online-features HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         "Content-Type: application/json\r\nContent-Length: " +
         std::to_string(kOnlineBody.size()) + "\r\n\r\n" + kOnlineBody;
}

class ConnectionsTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(
        internal::ServeCustomerOne(store_.get(), dir_.Sub("stats.csv")));
  }

  std::unique_ptr<Server> Start(ServerOptions options) {
    options.port = 0;
    auto server = std::make_unique<Server>(store_.get(), options);
    const absl::Status started = server->Start();
    EXPECT_TRUE(started.ok()) << started;
    return server;
  }

  // `n` connections that each made a request, got its answer and stay open.
  std::vector<std::unique_ptr<RawConnection>> Idle(int port, int n) {
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < n; ++i) {
      idle.push_back(std::make_unique<RawConnection>(port));
      EXPECT_TRUE(idle.back()->connected());
      EXPECT_TRUE(idle.back()->Send(kHealthz));
    }
    for (auto& c : idle) {
      std::string received;
      if (c->ReadUntil(seconds(5), &received, WholeResponse) != RawConnection::kEnough) {
        ADD_FAILURE() << "an idle connection's first request went unanswered: "
                      << received;
        break;
      }
    }
    return idle;
  }

  // `n` connections that sent `start` of a request and then nothing.
  std::vector<std::unique_ptr<RawConnection>> Stalled(int port, int n,
                                                      const std::string& start) {
    std::vector<std::unique_ptr<RawConnection>> stalled;
    for (int i = 0; i < n; ++i) {
      stalled.push_back(std::make_unique<RawConnection>(port));
      EXPECT_TRUE(stalled.back()->connected());
      EXPECT_TRUE(stalled.back()->Send(start));
    }
    return stalled;
  }

  // Sends /healthz on new connections until one is answered 200 (the server may
  // not have seen yet the change a test waits for), for at most 20 s; the last
  // answer (empty if none came).
  static std::string HealthzAnswered(int port) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    std::string received;
    while (std::chrono::steady_clock::now() < deadline &&
           received.rfind("HTTP/1.1 200", 0) != 0) {
      RawConnection c(port);
      received.clear();
      if (c.Send(kHealthz)) c.ReadUntil(seconds(5), &received, WholeResponse);
    }
    return received;
  }

  // The value of a /metrics series (NAME{LABELS}); -1 when absent. Tries new
  // connections for up to 20 s: at a cap, one closed by the test may not be closed
  // yet for the server.
  static int64_t Metric(int port, const std::string& series) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(5);
      auto r = client.Get("/metrics");
      if (!r || r->status != 200) continue;
      const size_t at = r->body.find("\n" + series + " ");
      if (at == std::string::npos) return -1;
      return std::stoll(r->body.substr(at + series.size() + 2));
    }
    return -1;
  }

  // A new connection is closed at once, after `status` naming `flag` (unless a
  // reset loses the answer).
  static void ExpectRefused(int port, const std::string& status,
                            const std::string& flag) {
    RawConnection extra(port);
    std::string received;
    ASSERT_TRUE(extra.WaitForClose(seconds(5), &received))
        << "a connection past the cap stayed open";
    if (!received.empty()) {
      EXPECT_EQ(received.rfind("HTTP/1.1 " + status, 0), 0u) << received;
      EXPECT_NE(received.find(flag), std::string::npos) << received;
    }
  }
};

// Sends `head` a byte at a time, `gap` apart, until the server closes the
// connection; what the server answered, and how many bytes went out.
struct Trickled {
  std::string received;
  size_t sent = 0;
  bool closed = false;
};
Trickled Trickle(int port, const std::string& head, std::chrono::milliseconds gap) {
  Trickled t;
  RawConnection c(port);
  for (; t.sent < head.size(); ++t.sent) {
    if (!c.Send(head.substr(t.sent, 1))) break;
    if (c.ReadUntil(gap, &t.received, nullptr) == RawConnection::kClosed) {
      t.closed = true;
      ++t.sent;
      return t;
    }
  }
  t.closed = c.WaitForClose(seconds(5), &t.received);
  return t;
}

TEST_F(ConnectionsTest, IdleAndSlowClientsDoNotStarveTheServer) {
  // The default threads (8 here): before the event loop, 8 idle keep-alive
  // connections left every other client unanswered until they timed out.
  auto server = Start(ServerOptions());
  const int port = server->port();
  auto idle = Idle(port, 50);
  auto slow_heads = Stalled(port, 10, "GET /healthz HTTP/1.1\r\nHo");
  auto slow_bodies = Stalled(port, 10,
                             "POST /get-online-features HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\nContent-Length: 200\r\n"
                             "\r\n{\"features\":");
  // The slow ones keep sending, a byte at a time.
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    while (!done) {
      for (auto& c : slow_heads) c->Send("X");
      for (auto& c : slow_bodies) c->Send(" ");
      for (int i = 0; i < 10 && !done; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
  for (int i = 0; i < 5; ++i) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    auto health = client.Get("/healthz");
    ASSERT_TRUE(health) << httplib::to_string(health.error());
    EXPECT_EQ(health->status, 200);
    auto online = client.Post("/get-online-features", kOnlineBody, "application/json");
    ASSERT_TRUE(online) << httplib::to_string(online.error());
    EXPECT_EQ(online->status, 200) << online->body;
    EXPECT_NE(online->body.find("\"PRESENT\""), std::string::npos) << online->body;
  }
  // The idle ones are still served.
  for (auto& c : idle) {
    ASSERT_TRUE(c->Send(kHealthz));
    std::string received;
    EXPECT_EQ(c->ReadUntil(seconds(5), &received, WholeResponse), RawConnection::kEnough);
    EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << received;
  }
  done = true;
  trickle.join();
}

TEST_F(ConnectionsTest, SlowHeadIsCutOffAtTheHeaderDeadline) {
  ServerOptions options;
  options.header_timeout_seconds = 1;  // the I/O timeout stays 30 s
  auto server = Start(options);
  // A byte every 200 ms: each read is quick, the head would take 20 s.
  const std::string head =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(50, 'a') +
      "\r\n\r\n";
  const Trickled t = Trickle(server->port(), head, std::chrono::milliseconds(200));
  EXPECT_TRUE(t.closed);
  EXPECT_LT(t.sent, head.size()) << "the whole head went out: " << t.received;
  if (!t.received.empty()) {  // 408, or a reset that lost it
    EXPECT_EQ(t.received.rfind("HTTP/1.1 408", 0), 0u) << t.received;
    EXPECT_NE(t.received.find("--header-timeout"), std::string::npos) << t.received;
  }
  EXPECT_EQ(Metric(server->port(),
                   "strata_http_connections_closed_total{reason=\"header_timeout\"}"),
            1);
}

TEST_F(ConnectionsTest, SlowBodyIsCutOffAtTheBodyDeadline) {
  ServerOptions options;
  options.body_timeout_seconds = 1;  // the I/O timeout stays 30 s
  auto server = Start(options);
  // A small body, read by the event loop, and a large one, read by a worker (the
  // upload route streams it); each a byte every 200 ms after its head.
  for (const std::string& head :
       {std::string("POST /get-online-features HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"),
        std::string("POST /v1/artifacts/model/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: application/octet-stream\r\n"
                    "Content-Length: 1000000\r\n\r\n")}) {
    RawConnection c(server->port());
    ASSERT_TRUE(c.Send(head));
    std::string received;
    bool closed = false;
    for (int i = 0; i < 100 && !closed; ++i) {
      if (!c.Send("x")) break;
      closed = c.ReadUntil(std::chrono::milliseconds(200), &received, nullptr) ==
               RawConnection::kClosed;
    }
    if (!closed) closed = c.WaitForClose(seconds(5), &received);
    EXPECT_TRUE(closed) << head << "the slow body was not cut off";
    if (!received.empty()) {  // a 4xx, or a reset that lost it
      EXPECT_EQ(received.rfind("HTTP/1.1 4", 0), 0u) << received;
    }
  }
  // The small body's (the large one's route answered it).
  EXPECT_EQ(Metric(server->port(),
                   "strata_http_connections_closed_total{reason=\"body_timeout\"}"),
            1);
}

TEST_F(ConnectionsTest, ConnectionsPerAddressAreCapped) {
  ServerOptions options;
  options.max_connections_per_address = 3;
  auto server = Start(options);
  const int port = server->port();
  auto idle = Idle(port, 3);
  ExpectRefused(port, "429", "--max-connections-per-address");
  // Once one closes, a new one is served.
  idle.pop_back();
  const std::string received = HealthzAnswered(port);
  EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << received;
  EXPECT_GE(
      Metric(port,
             "strata_http_connections_closed_total{reason=\"refused_per_address\"}"),
      1);
}

TEST_F(ConnectionsTest, AtTheTotalCapIdleConnectionsCloseFirst) {
  ServerOptions options;
  options.max_connections = 3;
  {
    auto server = Start(options);
    const int port = server->port();
    auto idle = Idle(port, 1);
    // Two connections mid-request: not idle.
    auto busy = Stalled(port, 2, "GET /healthz HTTP/1.1\r\n");
    // A fourth connection closes the idle one and is served. (Its first try may
    // come before the idle one's thread has put it back in epoll: then 503.)
    std::string received = HealthzAnswered(port);
    EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << received;
    received.clear();
    EXPECT_TRUE(idle[0]->WaitForClose(seconds(5), &received))
        << "the idle connection stayed open";
    EXPECT_EQ(received, "");
    EXPECT_GE(
        Metric(port, "strata_http_connections_closed_total{reason=\"idle_at_cap\"}"), 1);
    // The two mid-request were left alone.
    for (auto& c : busy) {
      ASSERT_TRUE(c->Send("Host: 127.0.0.1\r\n\r\n"));
      received.clear();
      EXPECT_EQ(c->ReadUntil(seconds(5), &received, WholeResponse),
                RawConnection::kEnough);
      EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << received;
    }
  }
  {
    // None idle: the new connection is refused.
    auto server = Start(options);
    auto busy = Stalled(server->port(), 3, "GET /healthz HTTP/1.1\r\n");
    ExpectRefused(server->port(), "503", "--max-connections");
    busy.pop_back();  // room for /metrics
    EXPECT_GE(Metric(server->port(),
                     "strata_http_connections_closed_total{reason=\"refused_at_cap\"}"),
              1);
  }
}

TEST_F(ConnectionsTest, StopReturnsWithIdleAndSlowConnectionsOpen) {
  ServerOptions options;
  options.io_timeout_seconds = 3600;  // none times out on its own
  options.header_timeout_seconds = 3600;
  options.body_timeout_seconds = 3600;
  auto server = Start(options);
  const int port = server->port();
  auto idle = Idle(port, 100);
  auto slow = Stalled(port, 10, "GET /healthz HTTP/1.1\r\nHo");
  auto slow_body = Stalled(port, 1,
                           "POST /v1/artifacts/model/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Type: application/octet-stream\r\n"
                           "Content-Length: 1000000\r\n\r\nabc");
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server->Stop();
    stopped = true;
  });
  for (auto* group : {&idle, &slow}) {
    for (auto& c : *group) {
      std::string received;
      EXPECT_TRUE(c->WaitForClose(seconds(20), &received))
          << "Stop left a connection open";
      EXPECT_EQ(received, "");
    }
  }
  // The upload in progress is a request: Stop waits for it. Its client gives up.
  slow_body.clear();
  stopper.join();
  EXPECT_TRUE(stopped);
}

TEST_F(ConnectionsTest, RequestsInPiecesAndPipelinedAreAnsweredInOrder) {
  auto server = Start(ServerOptions());
  RawConnection c(server->port());
  const std::string online = OnlineRequest();
  // The first request whole and half of the second; the rest, with a third.
  ASSERT_TRUE(c.Send(kHealthz + online.substr(0, 40)));
  std::string received;
  ASSERT_EQ(c.ReadUntil(seconds(5), &received, WholeResponse), RawConnection::kEnough);
  EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << received;
  // The body split too.
  ASSERT_TRUE(c.Send(online.substr(40, online.size() - 45)));
  ASSERT_TRUE(
      c.Send(online.substr(online.size() - 5) +
             "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  received.clear();
  ASSERT_TRUE(c.WaitForClose(seconds(5), &received));
  const size_t second = received.find("\"PRESENT\"");
  ASSERT_NE(second, std::string::npos) << received;
  EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << received;
  EXPECT_NE(received.find("{\"status\":\"ok\"}", second), std::string::npos) << received;
}

TEST_F(ConnectionsTest, OversizeHeadIsRefused) {
  auto server = Start(ServerOptions());
  std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  while (head.size() < (70 << 10)) head += "X-Pad: " + std::string(1000, 'a') + "\r\n";
  RawConnection c(server->port());
  ASSERT_TRUE(c.Send(head + "\r\n"));
  std::string received;
  ASSERT_TRUE(c.WaitForClose(seconds(5), &received));
  if (!received.empty()) {
    EXPECT_EQ(received.rfind("HTTP/1.1 431", 0), 0u) << received;
  }
}

TEST_F(ConnectionsTest, OptionsAreRangeChecked) {
  const auto refused = [&](ServerOptions options, const std::string& flag) {
    options.port = 0;
    Server server(store_.get(), options);
    const absl::Status s = server.Start();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << flag;
    EXPECT_NE(s.message().find(flag), std::string::npos) << s;
  };
  for (int bad : {0, -1, 3601}) {
    ServerOptions o;
    o.header_timeout_seconds = bad;
    refused(o, "--header-timeout");
  }
  for (int bad : {0, -1, 86401}) {
    ServerOptions o;
    o.body_timeout_seconds = bad;
    refused(o, "--body-timeout");
  }
  for (size_t bad : {size_t{0}, size_t{1'000'001}, static_cast<size_t>(-1)}) {
    ServerOptions o;
    o.max_connections = bad;
    refused(o, "--max-connections");
    o = ServerOptions();
    o.max_connections_per_address = bad;
    refused(o, "--max-connections-per-address");
  }
}

}  // namespace
}  // namespace strata::api
