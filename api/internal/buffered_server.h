// An httplib::Server (plain HTTP) whose connections read and write through a
// buffer kept for the connection's life. Internal to api/.
//
// httplib 0.11's own connection loop makes about eleven system calls per request:
// a poll before every receive and every send, the headers and the body in two
// sends, and getpeername/getsockname each time. On a virtual machine a system call
// costs a microsecond or two and wakes the hypervisor; for a small online lookup
// they are most of the server's time. Here a request costs one receive (blocking,
// bounded by the socket's receive timeout) and its answer one send:
// - reads come from the connection's buffer, refilled by one recv when empty;
// - writes gather in an output buffer, sent when it passes 64 KiB, before the
//   connection blocks on a read (so "100 Continue" reaches the client), and after
//   each request;
// - the peer's and this end's addresses are read once per connection.
// Bytes a client sends past the end of a request stay in the buffer for the next
// one, so pipelined requests are answered in order (httplib 0.11 dropped them).
//
// Routing, parsing and every handler are httplib's own (Server::process_request);
// only the transport differs. TLS keeps httplib's SSLServer.
#ifndef STRATA_API_INTERNAL_BUFFERED_SERVER_H_
#define STRATA_API_INTERNAL_BUFFERED_SERVER_H_

#include <atomic>
#include <cstddef>
#include <mutex>
#include <set>

#include "httplib.h"

namespace strata::api::internal {

class BufferedServer : public httplib::Server {
 public:
  // Closes every connection that waits for its next request and makes the others
  // close after their current request. Call after stop(), so that the listener's
  // shutdown does not wait out idle keep-alive connections (httplib's loop polls
  // them until their keep-alive timeout).
  void CloseIdleConnections();

 private:
  // Serves `sock` until the client closes it, a read or write fails or times out
  // (the socket's SO_RCVTIMEO/SO_SNDTIMEO, set by httplib to the read and write
  // timeouts: an idle connection is closed after the read timeout, not the
  // keep-alive timeout), the keep-alive count is reached, or the server stops; then
  // closes it.
  bool process_and_close_socket(socket_t sock) override;

  // A connection being served; `idle` while it waits for its next request.
  struct Connection {
    socket_t sock;
    std::atomic<bool> idle{false};
  };

  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::set<Connection*> connections_;  // guarded by mu_
};

}  // namespace strata::api::internal

#endif  // STRATA_API_INTERNAL_BUFFERED_SERVER_H_
