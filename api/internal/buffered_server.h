// An httplib::Server (plain HTTP) served by an event loop: idle and slow clients
// hold no thread. Internal to api/.
//
// httplib 0.11 serves each connection on one pool thread for its whole life, so as
// many idle keep-alive connections as threads (a model server's connection pool)
// or as many clients sending a byte every few seconds left every other client,
// /healthz included, unanswered. Here one thread (the loop) owns the listening
// socket and every connection that waits for a request, in epoll:
// - it accepts, enforcing the caps on connections in total and per client address
//   (at the total cap it closes the longest-idle keep-alive connection first, and
//   refuses the new one with 503 only when none is idle; over the per-address cap,
//   429);
// - it reads request heads without blocking, the whole head within the header
//   deadline (from the connection's accept, or from the first byte of a kept-alive
//   connection's next request), and a small body (Content-Length up to 64 KiB,
//   without Expect or Transfer-Encoding) within the body deadline; a client too
//   slow gets 408 and is closed; a keep-alive connection idle for the idle timeout
//   is closed;
// - a connection with a whole request head (and small body) in its buffer goes to a
//   worker thread, which runs httplib's own parsing, routing and handlers
//   (Server::process_request) over the buffered bytes, reads any larger body under
//   the body deadline, answers, serves pipelined requests already whole in the
//   buffer, and gives the connection back to the loop.
//
// On a worker, a request costs one receive only when the body is not yet buffered,
// and its answer one send: writes gather in an output buffer, sent when it passes
// 64 KiB, before the connection waits for more of the body (so "100 Continue"
// reaches the client), and after each request. Bytes a client sends past the end of
// a request stay in the buffer for the next one, so pipelined requests are answered
// in order (httplib 0.11 dropped them). TLS keeps httplib's SSLServer and its
// thread per connection (docs/http-api.md).
#ifndef STRATA_API_INTERNAL_BUFFERED_SERVER_H_
#define STRATA_API_INTERNAL_BUFFERED_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstddef>
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

class BufferedServer : public httplib::Server {
 public:
  explicit BufferedServer(ConnectionLimits limits);
  ~BufferedServer() override;  // Stop()s

  // Serves on the socket bound by bind_to_port or bind_to_any_port, on the loop's
  // thread and `threads` workers, until Stop. Call once.
  // Errors: Internal when epoll or the loop's wake-up cannot be created.
  absl::Status Serve();

  // Stops accepting, closes every connection that waits for a request, and returns
  // once the requests in progress are answered (their connections then close).
  // Thread-safe; later calls do nothing.
  void Stop();

  struct Connection;  // buffered_server.cc

 private:
  using Clock = std::chrono::steady_clock;
  using Deadlines = std::set<std::pair<Clock::time_point, Connection*>>;

  // The loop's thread.
  void Loop();
  // Accepts what the listening socket has queued.
  void Accept(Clock::time_point now);
  // Reads what `c` has sent; dispatches it once its request is whole.
  void Receive(Connection* c, Clock::time_point now);
  // Serves `c`'s requests on a worker, then gives it back to the loop or closes it.
  void Serve(Connection* c);
  // Moves `c` to a state with its deadline; `idle` for a keep-alive connection that
  // waits for its next request (closed first at the total cap). REQUIRES: mu_.
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
  // Wakes the loop if it sleeps past `deadline`. REQUIRES: mu_.
  void WakeBy(Clock::time_point deadline);

  const ConnectionLimits limits_;
  int epoll_ = -1;
  int wake_ = -1;  // an eventfd: Stop, or an earlier deadline
  std::unique_ptr<httplib::ThreadPool> workers_;
  std::thread loop_;
  std::mutex stop_mu_;  // serializes Stop

  std::vector<char> scratch_;  // the loop's receive buffer

  std::mutex mu_;
  std::atomic<bool> stopping_{false};  // set under mu_
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;  // mu_
  std::unordered_map<std::string, size_t> per_address_;  // guarded by mu_
  Deadlines deadlines_;  // every connection the loop holds; guarded by mu_
  Deadlines idle_;       // keep-alive ones without a byte of their next request; mu_
  Clock::time_point wake_at_ = Clock::time_point::max();  // guarded by mu_
  bool accept_paused_ = false;  // out of file descriptors; loop only
  Clock::time_point accept_resume_;
};

}  // namespace strata::api::internal

#endif  // STRATA_API_INTERNAL_BUFFERED_SERVER_H_
