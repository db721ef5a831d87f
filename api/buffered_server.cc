#include "api/internal/buffered_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace strata::api::internal {
namespace {

constexpr size_t kInputBytes = 16 << 10;
// Output gathered past this is sent at once.
constexpr size_t kOutputBytes = 64 << 10;

// "IP", port of a socket address, as httplib reports them.
void Describe(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    port = ntohs(in.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    port = ntohs(in6.sin6_port);
  } else {
    port = 0;
  }
  ip = text;
}

// One connection's stream: see buffered_server.h.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(socket_t sock, time_t read_timeout_sec)
      : sock_(sock),
        read_timeout_ms_(read_timeout_sec * 1000),
        input_(new char[kInputBytes]) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      Describe(addr, remote_ip_, remote_port_);
    }
    len = sizeof(addr);
    if (getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      Describe(addr, local_ip_, local_port_);
    }
    output_.reserve(kOutputBytes);
  }

  // httplib's own reads do not ask; kept true to SocketStream's meaning.
  bool is_readable() const override {
    if (begin_ < end_) return true;
    pollfd p{sock_, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(read_timeout_ms_)) > 0;
  }
  bool is_writable() const override { return !failed_; }

  ssize_t read(char* ptr, size_t size) override {
    if (begin_ == end_) {
      if (size >= kInputBytes) return Receive(ptr, size);
      const ssize_t n = Receive(input_.get(), kInputBytes);
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, input_.get() + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (failed_) return -1;
    if (output_.size() + size <= kOutputBytes) {
      output_.append(ptr, size);
      return static_cast<ssize_t>(size);
    }
    // What is gathered and these bytes, in one send.
    iovec parts[2] = {{output_.data(), output_.size()}, {const_cast<char*>(ptr), size}};
    const bool ok = SendAll(parts, 2);
    output_.clear();
    return ok ? static_cast<ssize_t>(size) : -1;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return sock_; }

  // Waits for the first bytes of the next request unless some are buffered.
  // False when the client closed the connection, or on a timeout or error.
  bool AwaitRequest() {
    if (begin_ < end_) return true;
    const ssize_t n = Receive(input_.get(), kInputBytes);
    if (n <= 0) return false;
    begin_ = 0;
    end_ = static_cast<size_t>(n);
    return true;
  }

  // Sends what is gathered. False once a send has failed.
  bool Flush() {
    if (failed_) return false;
    if (output_.empty()) return true;
    iovec all{output_.data(), output_.size()};
    const bool ok = SendAll(&all, 1);
    output_.clear();
    return ok;
  }

 private:
  // One recv into `ptr`, after sending what is gathered (the client may be waiting
  // for it before it sends more). 0 at the end of the stream, -1 on an error or
  // the receive timeout.
  ssize_t Receive(char* ptr, size_t size) {
    if (!Flush()) return -1;
    while (true) {
      const ssize_t n = recv(sock_, ptr, size, 0);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  // Sends the `n` parts whole (advancing them), or fails the stream.
  bool SendAll(iovec* parts, int n) {
    while (n > 0) {
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = static_cast<size_t>(n);
      ssize_t sent = sendmsg(sock_, &message, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) {
        failed_ = true;
        return false;
      }
      for (; n > 0 && static_cast<size_t>(sent) >= parts->iov_len; ++parts, --n) {
        sent -= static_cast<ssize_t>(parts->iov_len);
      }
      if (n > 0) {
        parts->iov_base = static_cast<char*>(parts->iov_base) + sent;
        parts->iov_len -= static_cast<size_t>(sent);
      }
    }
    return true;
  }

  socket_t sock_;
  time_t read_timeout_ms_;
  std::unique_ptr<char[]> input_;
  size_t begin_ = 0, end_ = 0;  // the unread bytes of input_
  std::string output_;
  bool failed_ = false;
  std::string remote_ip_, local_ip_;
  int remote_port_ = 0, local_port_ = 0;
};

}  // namespace

void BufferedServer::CloseIdleConnections() {
  stopping_ = true;
  std::lock_guard lock(mu_);
  for (Connection* c : connections_) {
    // Either this sees a connection idle, or the connection sees stopping_ before
    // it waits (both sequentially consistent).
    if (c->idle) shutdown(c->sock, SHUT_RD);  // wakes its recv with 0
  }
}

bool BufferedServer::process_and_close_socket(socket_t sock) {
  const int one = 1;
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  Connection connection{sock};
  {
    std::lock_guard lock(mu_);
    connections_.insert(&connection);
  }
  bool ok = true;
  {
    ConnectionStream stream(sock, read_timeout_sec_);
    for (size_t left = keep_alive_max_count_; left > 0; --left) {
      connection.idle = true;
      if (stopping_) break;
      const bool request = stream.AwaitRequest();
      connection.idle.store(false, std::memory_order_relaxed);
      if (!request) break;
      bool closed = false;
      ok = process_request(stream, left == 1, closed, nullptr);
      // A request httplib refused mid-way (ok false) may still have its answer
      // gathered, e.g. an error before an unread body.
      ok = stream.Flush() && ok;
      if (!ok || closed) break;
    }
  }
  {
    std::lock_guard lock(mu_);
    connections_.erase(&connection);
  }
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return ok;
}

}  // namespace strata::api::internal
