// An httplib::Server (plain HTTP) served from epoll: idle and slow clients hold no
// thread. Internal to api/.
//
// httplib 0.11 serves each connection on one pool thread for its whole life, so as
// many idle keep-alive connections as threads (a model server's connection pool)
// or as many clients sending a byte every few seconds left every other client,
// /healthz included, unanswered. Here the listening socket and every connection
// that waits for a request are in one epoll set (one-shot: each readiness goes to
// one thread), on which every serving thread waits. A thread woken by
// - the listening socket accepts, enforcing the caps on connections in total and
//   per client address (at the total cap it closes the longest-idle keep-alive
//   connection first, and refuses the new one with 503 only when none is idle;
//   over the per-address cap, 429);
// - a connection reads what it sent without blocking: the whole request head
//   within the header deadline (from the connection's accept, or from the first
//   byte of a kept-alive connection's next request), and a small body
//   (Content-Length up to 64 KiB, without Expect or Transfer-Encoding) within the
//   body deadline, then puts the connection back in epoll; a client too slow gets
//   408 and is closed, and a keep-alive connection idle for the I/O timeout is
//   closed (whichever thread wakes first closes what is past its deadline);
// - a connection whose request is whole in its buffer serves it on that thread,
//   with no hand-off (a request costs the one wake-up it cost with a thread per
//   connection): httplib's own parsing, routing and handlers
//   (Server::process_request) over the buffered bytes, any larger body read under
//   the body deadline, the answer, the pipelined requests already whole in the
//   buffer; then the connection goes back to epoll.
// A handler that blocks holds its thread, as before: `threads` bounds the requests
// served at once, not the connections.
//
// Reads come from the connection's buffer, refilled by one receive when empty;
// writes gather in an output buffer, sent when it passes 64 KiB, before the
// connection waits for more of the body (so "100 Continue" reaches the client), and
// after each request. Bytes a client sends past the end of a request stay in the
// buffer for the next one, so pipelined requests are answered in order (httplib
// 0.11 dropped them). TLS keeps httplib's SSLServer and its thread per connection
// (docs/http-api.md).
#ifndef STRATA_API_INTERNAL_BUFFERED_SERVER_H_
#define STRATA_API_INTERNAL_BUFFERED_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "httplib.h"

namespace strata::api::internal {

// The bounds of BufferedServer's connections (ServerOptions documents each).
struct ConnectionLimits {
  int threads = 8;
  std::chrono::milliseconds io_timeout{30000};      // each read or write; idle time
  std::chrono::milliseconds header_timeout{10000};  // a whole request head
  std::chrono::milliseconds body_timeout{60000};    // a body, plus 1 s per 64 KiB
  size_t max_connections = 10000;
  size_t max_connections_per_address = 2000;
};

// What BufferedServer's connections are doing and what closed them, for /metrics.
struct ConnectionCounts {
  size_t open = 0;  // now, waiting or being served
  size_t idle = 0;  // now, keep-alive ones between requests
  // Since the start: closed at their header deadline, at their body deadline, idle
  // for the I/O timeout, closed idle to make room at the total cap; refused at the
  // total cap (none idle) and over the per-address cap.
  uint64_t header_timeouts = 0, body_timeouts = 0, idle_timeouts = 0;
  uint64_t closed_idle_at_cap = 0, refused_at_cap = 0, refused_per_address = 0;
};

class BufferedServer : public httplib::Server {
 public:
  explicit BufferedServer(ConnectionLimits limits);
  ~BufferedServer() override;  // Stop()s

  // Serves on the socket bound by bind_to_port or bind_to_any_port, on `threads`
  // threads of its own, until Stop. Call once.
  // Errors: Internal when epoll or the threads' wake-up cannot be created.
  absl::Status Serve();

  // The connections' counts now. Thread-safe.
  ConnectionCounts Counts();

  // Stops accepting, closes every connection that waits for a request, and returns
  // once the requests in progress are answered (their connections then close).
  // Thread-safe; later calls do nothing.
  void Stop();

  struct Connection;  // buffered_server.cc

 private:
  using Clock = std::chrono::steady_clock;
  using Deadlines = std::set<std::pair<Clock::time_point, Connection*>>;

  // Each serving thread: waits on epoll, acts on what woke it (see the top).
  void Loop();
  // Closes the connections past their deadline; resumes accepting after a pause.
  // REQUIRES: mu_.
  void Expire(Clock::time_point now);
  // Accepts what the listening socket has queued. REQUIRES: mu_.
  void Accept(Clock::time_point now);
  // Watches the listening socket again (one-shot).
  void ArmListener();
  // Reads what `c` has sent; true when its request is whole (`c` is then kBusy,
  // for this thread to serve), else `c` waits again or is closed. REQUIRES: mu_.
  bool Receive(Connection* c, Clock::time_point now);
  // Serves `c`'s whole requests, then puts it back in epoll or closes it.
  void ServeRequests(Connection* c);
  // Waits briefly for `c`'s next bytes and reads them: true when some came; `keep`
  // false when the client closed the connection.
  bool Linger(Connection* c, bool& keep);
  // Whether `c`'s buffer holds a whole request (head, and body if small).
  static bool WholeRequest(Connection* c);
  // Moves `c` to a waiting state with its deadline; `idle` for a keep-alive
  // connection that waits for its next request (closed first at the total cap).
  // REQUIRES: mu_.
  void Wait(Connection* c, Clock::time_point deadline, bool idle);
  // Takes `c` out of the deadlines. REQUIRES: mu_.
  void Unschedule(Connection* c);
  // Sends `answer` if it fits at once, then closes `c`. REQUIRES: mu_.
  void Close(Connection* c, const std::string& answer = "");
  // Closes the longest-idle keep-alive connection; false when none is idle.
  // REQUIRES: mu_.
  bool CloseIdlest();
  // Watches `c` for its next bytes (one-shot). REQUIRES: mu_.
  void Arm(Connection* c);

  // epoll tags besides connection ids.
  static constexpr uint64_t kListener = 0, kWake = 1;

  const ConnectionLimits limits_;
  int epoll_ = -1;
  int wake_ = -1;  // an eventfd, written by Stop
  std::vector<std::thread> threads_;
  std::atomic<int> waiting_{0};  // threads in epoll_wait
  std::mutex stop_mu_;           // serializes Stop

  std::mutex mu_;
  std::atomic<bool> stopping_{false};  // set under mu_
  uint64_t next_id_ = 2;               // guarded by mu_
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;  // mu_
  std::unordered_map<std::string, size_t> per_address_;  // guarded by mu_
  Deadlines deadlines_;      // every connection waiting for a request; guarded by mu_
  Deadlines idle_;           // keep-alive ones without a byte of their next request; mu_
  ConnectionCounts counts_;  // but open and idle; guarded by mu_
  bool accept_paused_ = false;       // out of file descriptors; guarded by mu_
  Clock::time_point accept_resume_;  // guarded by mu_
};

}  // namespace strata::api::internal

#endif  // STRATA_API_INTERNAL_BUFFERED_SERVER_H_
