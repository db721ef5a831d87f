// For api/'s tests: a raw TCP client of the server (exact bytes out, whatever
// arrives back), and the example feature view with one row to serve.
#ifndef STRATA_API_INTERNAL_TESTING_H_
#define STRATA_API_INTERNAL_TESTING_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <string>

#include "absl/time/clock.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "tests/testing.h"

namespace strata::api::internal {

// A TCP connection to 127.0.0.1:`port`, closed on destruction. Not thread-safe.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool Send(const std::string& data) {
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(data.size());
  }
  // Reads until the peer closes the connection (true) or `bound` passes (false),
  // appending what arrives to `received`.
  bool WaitForClose(std::chrono::seconds bound, std::string* received) {
    return ReadUntil(bound, received, nullptr) == kClosed;
  }
  // Reads until `enough` says what arrived is enough, the peer closes the
  // connection, or `bound` passes.
  enum Outcome { kEnough, kClosed, kTimedOut };
  Outcome ReadUntil(std::chrono::milliseconds bound, std::string* received,
                    const std::function<bool(const std::string&)>& enough) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (true) {
      if (enough && enough(*received)) return kEnough;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return kTimedOut;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) {
        continue;
      }
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return kClosed;  // closed (0) or reset
      received->append(buf, n);
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

// Whether `received` holds a whole response whose body has a Content-Length.
inline bool WholeResponse(const std::string& received) {
  const size_t end = received.find("\r\n\r\n");
  const size_t at = received.find("Content-Length: ");
  if (end == std::string::npos || at == std::string::npos) return false;
  return received.size() >= end + 4 + std::stoul(received.substr(at + 16));
}

// Applies testing::kExampleDefinitions to `store` and ingests customer 1 (spend_7d
// 12.5, segment gold, a minute ago) from `csv`, a file it writes. Fails the test
// on error.
inline void ServeCustomerOne(Store* store, const std::string& csv) {
  auto defs = features::ParseDefinitions(testing::kExampleDefinitions, "defs");
  ASSERT_TRUE(defs.ok()) << defs.status();
  features::FeatureStore fs(store);
  ASSERT_TRUE(fs.registry().Apply(*defs, "test", "").ok());
  std::ofstream(csv) << "customer_id,event_timestamp,spend_7d,segment\n"
                     << "1," << absl::ToUnixSeconds(absl::Now()) - 60 << ",12.5,gold\n";
  ASSERT_TRUE(fs.Ingest("customer_stats", csv, features::IngestOptions()).ok());
}

}  // namespace strata::api::internal

#endif  // STRATA_API_INTERNAL_TESTING_H_
