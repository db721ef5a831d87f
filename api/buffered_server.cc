#include "api/internal/buffered_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "api/internal/routes.h"

namespace strata::api::internal {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A receive asks for this much.
constexpr size_t kReceiveBytes = 16 << 10;
// Output gathered past this is sent at once.
constexpr size_t kOutputBytes = 64 << 10;
// A request head longer than this gets 431 (httplib allows 8 KiB per line).
constexpr size_t kMaxHeadBytes = 64 << 10;
// A body up to this long is read without blocking, from epoll, before the request
// is served.
constexpr size_t kWaitedBodyBytes = 64 << 10;
// The body deadline grows by a second per this many bytes received, so a large
// upload at a fair rate is never cut off.
constexpr double kBodyBytesPerSecond = 64 << 10;
// Accepts per wake-up, so that a flood of connections does not hold a thread long.
constexpr int kAcceptsPerWake = 64;
// Out of file descriptors with no idle connection to close: accepts pause so long.
constexpr milliseconds kAcceptPause{100};
// How long a thread that answered a request waits for the connection's next one
// before putting it back in epoll (when another thread waits on epoll): a client
// that sends at once (a busy connection) is served by the same thread, as with a
// thread per connection: through epoll, a request went to another, cold thread
// (batch-1 online lookups over one connection: p50 39 -> 56 us).
constexpr milliseconds kLinger{1};
// A thread's longest sleep in epoll; no timeout is shorter.
constexpr milliseconds kLongestSleep{1000};

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

// A whole answer sent by the server itself before it closes a connection.
std::string Refusal(int status, const char* reason, absl::StatusCode code,
                    absl::string_view message) {
  const std::string body = ErrorJson(code, message);
  return absl::StrCat("HTTP/1.1 ", status, " ", reason,
                      "\r\nContent-Type: application/json\r\nContent-Length: ",
                      body.size(), "\r\nConnection: close\r\n\r\n", body);
}

int64_t Seconds(milliseconds d) { return d.count() / 1000; }

// The bytes a request needs in the buffer before it is served, given its
// whole `head` (request line and headers, up to the blank line): its head and, for
// a small body of known length, the body. A request that streams its body
// (chunked), waits for "100 Continue", or has a large body goes with its head only.
size_t RequestBytes(absl::string_view head) {
  std::optional<size_t> length;
  size_t at = head.find("\r\n");
  while (at != absl::string_view::npos && at + 2 < head.size()) {
    const size_t begin = at + 2;
    at = head.find("\r\n", begin);
    const absl::string_view line =
        head.substr(begin, (at == absl::string_view::npos ? head.size() : at) - begin);
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view name = line.substr(0, colon);
    if (absl::EqualsIgnoreCase(name, "Transfer-Encoding") ||
        absl::EqualsIgnoreCase(name, "Expect")) {
      return head.size();
    }
    if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      size_t n = 0;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)), &n)) {
        return head.size();  // httplib's to refuse
      }
      length = n;
    }
  }
  if (!length || *length > kWaitedBodyBytes) return head.size();
  return head.size() + *length;
}

}  // namespace

// A client's connection. While it waits for a request (state kNew, kIdle, kHead,
// kBody) it is in epoll and in the deadlines, changed under mu_; while a thread
// serves it (kBusy), that thread alone touches it.
struct BufferedServer::Connection {
  enum class State { kNew, kIdle, kHead, kBody, kBusy };

  uint64_t id = 0;  // its epoll events' tag
  int sock = -1;
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;
  State state = State::kNew;
  bool armed_once = false;  // added to epoll
  Clock::time_point deadline;
  Clock::time_point started;  // of the head (kHead) or the body (kBody)
  size_t scanned = 0;         // unread bytes known not to end the head
  size_t needed = 0;          // kBody: unread bytes that make the request whole

  // Unread input: input[begin, end).
  std::unique_ptr<char[]> input;
  size_t capacity = 0, begin = 0, end = 0;

  size_t Unread() const { return end - begin; }
  const char* Data() const { return input.get() + begin; }
  void Consume(size_t n) {
    begin += n;
    if (begin == end) begin = end = 0;
  }
  // Room for `n` more bytes at the end.
  char* Reserve(size_t n) {
    if (capacity - end >= n) return input.get() + end;
    const size_t unread = Unread();
    if (capacity >= unread + n && begin > 0) {
      std::memmove(input.get(), Data(), unread);
    } else {
      capacity = std::max(unread + n, 2 * capacity);
      std::unique_ptr<char[]> grown(new char[capacity]);  // not zeroed
      if (unread > 0) std::memcpy(grown.get(), Data(), unread);
      input = std::move(grown);
    }
    begin = 0;
    end = unread;
    return input.get() + end;
  }
  // Frees the buffer when nothing is unread: an idle connection keeps none.
  void Release() {
    if (Unread() > 0) return;
    input.reset();
    capacity = begin = end = 0;
  }
  // Where the unread bytes' head ends (past its blank line), or npos.
  size_t HeadEnd() {
    const absl::string_view unread(Data(), Unread());
    const size_t from = scanned > 3 ? scanned - 3 : 0;
    const size_t at = unread.find("\r\n\r\n", from);
    scanned = Unread();
    return at == absl::string_view::npos ? at : at + 4;
  }
};

namespace {

// A connection's stream while a thread serves it: see buffered_server.h. Reads come from
// the connection's buffer, refilled by one recv when empty; the socket is non-blocking,
// so a receive waits in poll for at most the I/O timeout and never past the
// request's body deadline.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(BufferedServer::Connection& c, const ConnectionLimits& limits)
      : c_(c), limits_(limits) {
    output_.reserve(kOutputBytes);
  }

  // A new request: its body deadline starts now.
  void StartRequest() { deadline_ = Clock::now() + limits_.body_timeout; }

  bool is_readable() const override {
    if (c_.Unread() > 0) return true;
    pollfd p{c_.sock, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(limits_.io_timeout.count())) > 0;
  }
  bool is_writable() const override { return !failed_; }
  // Whether a receive failed or ran out of time: the rest of the request is lost,
  // so the connection cannot serve another.
  bool receive_failed() const { return receive_failed_; }

  ssize_t read(char* ptr, size_t size) override {
    if (c_.Unread() == 0) {
      if (size >= kReceiveBytes) return Receive(ptr, size);
      const ssize_t n = Receive(c_.Reserve(kReceiveBytes), kReceiveBytes);
      if (n <= 0) return n;
      c_.end += static_cast<size_t>(n);
    }
    const size_t n = std::min(size, c_.Unread());
    std::memcpy(ptr, c_.Data(), n);
    c_.Consume(n);
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
    ip = c_.remote_ip;
    port = c_.remote_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.local_ip;
    port = c_.local_port;
  }
  socket_t socket() const override { return c_.sock; }

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
  // for it before it sends more). 0 at the end of the stream, -1 on an error, the
  // I/O timeout or the body deadline.
  ssize_t Receive(char* ptr, size_t size) {
    if (!Flush()) return -1;
    while (true) {
      const ssize_t n = recv(c_.sock, ptr, size, 0);
      if (n > 0) {
        deadline_ += std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(static_cast<double>(n) / kBodyBytesPerSecond));
      }
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) break;
      const auto left =
          std::min<Clock::duration>(deadline_ - Clock::now(), limits_.io_timeout);
      const auto wait = std::chrono::ceil<milliseconds>(left).count();
      pollfd p{c_.sock, POLLIN, 0};
      if (wait <= 0 || poll(&p, 1, static_cast<int>(wait)) == 0) break;
    }
    receive_failed_ = true;
    return -1;
  }

  // Sends the `n` parts whole (advancing them), or fails the stream.
  bool SendAll(iovec* parts, int n) {
    while (n > 0) {
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = static_cast<size_t>(n);
      ssize_t sent = sendmsg(c_.sock, &message, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{c_.sock, POLLOUT, 0};
        if (poll(&p, 1, static_cast<int>(limits_.io_timeout.count())) > 0) continue;
      }
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

  BufferedServer::Connection& c_;
  const ConnectionLimits& limits_;
  Clock::time_point deadline_;
  std::string output_;
  bool failed_ = false;
  bool receive_failed_ = false;
};

}  // namespace

BufferedServer::BufferedServer(ConnectionLimits limits) : limits_(limits) {}

BufferedServer::~BufferedServer() {
  Stop();
  if (epoll_ >= 0) close(epoll_);
  if (wake_ >= 0) close(wake_);
}

absl::Status BufferedServer::Serve() {
  const int listener = svr_sock_;
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wake_ < 0) {
    return absl::InternalError(
        absl::StrCat("cannot create the server's epoll set: ", std::strerror(errno)));
  }
  // httplib listens with a backlog of 5: a burst of clients would wait out SYN
  // retransmissions.
  ::listen(listener, SOMAXCONN);
  fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;  // one thread accepts at a time
  ev.data.u64 = kListener;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, listener, &ev);
  ev.events = EPOLLIN;  // never read: once written, it wakes every thread
  ev.data.u64 = kWake;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  for (int i = 0; i < limits_.threads; ++i) threads_.emplace_back([this] { Loop(); });
  return absl::OkStatus();
}

void BufferedServer::Stop() {
  std::lock_guard stop(stop_mu_);
  if (threads_.empty()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    // Those waiting for a request close now; those served, after their request.
    std::vector<Connection*> waiting;
    for (const auto& [id, c] : connections_) {
      if (c->state != Connection::State::kBusy) waiting.push_back(c.get());
    }
    for (Connection* c : waiting) Close(c);
    close(svr_sock_.exchange(INVALID_SOCKET));
  }
  const uint64_t one = 1;
  (void)!write(wake_, &one, sizeof(one));
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void BufferedServer::Loop() {
  while (true) {
    int timeout_ms;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      // At most a second: every timeout is a second or more, so a deadline set
      // while this thread sleeps is met by some thread's next wake-up.
      const Clock::time_point now = Clock::now();
      Clock::time_point wake = now + kLongestSleep;
      if (!deadlines_.empty()) wake = std::min(wake, deadlines_.begin()->first);
      if (accept_paused_) wake = std::min(wake, accept_resume_);
      timeout_ms = static_cast<int>(
          std::max<int64_t>(0, std::chrono::ceil<milliseconds>(wake - now).count()));
    }
    epoll_event event{};
    ++waiting_;
    const int n = epoll_wait(epoll_, &event, 1, timeout_ms);
    --waiting_;
    const Clock::time_point now = Clock::now();
    std::unique_lock lock(mu_);
    if (stopping_) return;
    Expire(now);
    // A copy: epoll_event is packed on x86-64, and find() binds a reference (the
    // http fuzz target's UBSAN run caught the misaligned read).
    const uint64_t id = event.data.u64;
    if (n <= 0 || id == kWake) continue;
    if (id == kListener) {
      Accept(now);
      continue;
    }
    // Gone when a deadline closed it after epoll had this event.
    const auto it = connections_.find(id);
    if (it == connections_.end() || it->second->state == Connection::State::kBusy) {
      continue;
    }
    Connection* c = it->second.get();
    if (!Receive(c, now)) continue;
    lock.unlock();
    ServeRequests(c);
  }
}

void BufferedServer::Expire(Clock::time_point now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Connection* c = deadlines_.begin()->second;
    if (c->state == Connection::State::kIdle) {
      ++counts_.idle_timeouts;
      Close(c);
    } else if (c->state == Connection::State::kBody) {
      ++counts_.body_timeouts;
      Close(c, Refusal(408, "Request Timeout", absl::StatusCode::kDeadlineExceeded,
                       absl::StrCat("the request body did not arrive within ",
                                    Seconds(limits_.body_timeout),
                                    " s (--body-timeout) or stalled for ",
                                    Seconds(limits_.io_timeout), " s (--io-timeout)")));
    } else if (c->Unread() == 0) {  // not a byte since its accept
      ++counts_.header_timeouts;
      Close(c);
    } else {
      ++counts_.header_timeouts;
      Close(c, Refusal(408, "Request Timeout", absl::StatusCode::kDeadlineExceeded,
                       absl::StrCat("the request head did not arrive within ",
                                    Seconds(limits_.header_timeout),
                                    " s (--header-timeout)")));
    }
  }
  if (accept_paused_ && now >= accept_resume_) {
    accept_paused_ = false;
    ArmListener();
  }
}

void BufferedServer::ArmListener() {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = kListener;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, svr_sock_, &ev);
}

void BufferedServer::Accept(Clock::time_point now) {
  for (int i = 0; i < kAcceptsPerWake; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    const int sock = accept4(svr_sock_, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (sock < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        if (CloseIdlest()) continue;
        accept_paused_ = true;  // Expire arms the listener again
        accept_resume_ = now + kAcceptPause;
        return;
      }
      break;  // nothing more queued
    }
    auto c = std::make_unique<Connection>();
    c->id = next_id_++;
    c->sock = sock;
    Describe(addr, c->remote_ip, c->remote_port);
    len = sizeof(addr);
    if (getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      Describe(addr, c->local_ip, c->local_port);
    }
    std::string refusal;
    const auto from_address = per_address_.find(c->remote_ip);
    if (from_address != per_address_.end() &&
        from_address->second >= limits_.max_connections_per_address) {
      ++counts_.refused_per_address;
      refusal = Refusal(429, "Too Many Requests", absl::StatusCode::kResourceExhausted,
                        absl::StrCat("too many connections from ", c->remote_ip, " (",
                                     limits_.max_connections_per_address,
                                     ", --max-connections-per-address)"));
    } else if (connections_.size() >= limits_.max_connections && !CloseIdlest()) {
      ++counts_.refused_at_cap;
      refusal = Refusal(503, "Service Unavailable", absl::StatusCode::kUnavailable,
                        absl::StrCat("the server has ", connections_.size(),
                                     " connections, none idle (--max-connections)"));
    }
    if (!refusal.empty()) {
      (void)!send(sock, refusal.data(), refusal.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      close(sock);
      continue;
    }
    ++per_address_[c->remote_ip];  // after CloseIdlest, which may erase entries
    const int one = 1;
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Connection* raw = c.get();
    connections_.emplace(raw->id, std::move(c));
    raw->started = now;
    Wait(raw, now + limits_.header_timeout, false);
    Arm(raw);
  }
  ArmListener();
}

bool BufferedServer::Receive(Connection* c, Clock::time_point now) {
  // Into the thread's buffer first: a slow client's buffer grows only by what it
  // sent.
  thread_local char scratch[kReceiveBytes];
  const ssize_t n = recv(c->sock, scratch, sizeof(scratch), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    Arm(c);
    return false;
  }
  if (n <= 0) {  // closed by the client, or reset
    Close(c);
    return false;
  }
  std::memcpy(c->Reserve(static_cast<size_t>(n)), scratch, static_cast<size_t>(n));
  c->end += static_cast<size_t>(n);
  if (c->state == Connection::State::kIdle || c->state == Connection::State::kNew) {
    if (c->state == Connection::State::kIdle) c->started = now;
    c->state = Connection::State::kHead;
  }
  if (c->state == Connection::State::kHead) {
    const size_t head = c->HeadEnd();
    if (head == absl::string_view::npos || head > kMaxHeadBytes) {
      if (c->Unread() > kMaxHeadBytes) {
        Close(c, Refusal(431, "Request Header Fields Too Large",
                         absl::StatusCode::kResourceExhausted,
                         absl::StrCat("the request head is larger than ", kMaxHeadBytes,
                                      " bytes")));
        return false;
      }
      Wait(c, c->started + limits_.header_timeout, false);
      Arm(c);
      return false;
    }
    c->needed = RequestBytes(absl::string_view(c->Data(), head));
    c->state = Connection::State::kBody;
    c->started = now;
  }
  if (c->Unread() < c->needed) {
    const auto received = static_cast<double>(c->Unread());
    const Clock::time_point whole =
        c->started + limits_.body_timeout +
        std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(received / kBodyBytesPerSecond));
    Wait(c, std::min(whole, now + limits_.io_timeout), false);
    Arm(c);
    return false;
  }
  Unschedule(c);
  c->state = Connection::State::kBusy;
  return true;
}

void BufferedServer::ServeRequests(Connection* c) {
  bool keep = true;
  {
    ConnectionStream stream(*c, limits_);
    while (true) {
      const bool closing = stopping_;
      stream.StartRequest();
      bool closed = false;
      // A request httplib refused mid-way (false) may still have its answer
      // gathered, e.g. an error before an unread body.
      bool ok = process_request(stream, closing, closed, nullptr);
      ok = stream.Flush() && ok;
      keep = ok && !closed && !closing && !stream.receive_failed();
      c->scanned = 0;
      if (!keep) break;
      // A client that sends its next request at once (a busy connection) gets it
      // served by this thread, as fast as a thread per connection would, while
      // another thread waits on epoll for everyone else.
      if (c->Unread() == 0 && !Linger(c, keep)) break;
      if (!keep || !WholeRequest(c)) break;
    }
  }
  const Clock::time_point now = Clock::now();
  std::lock_guard lock(mu_);
  if (!keep || stopping_) {
    Close(c);
    return;
  }
  c->started = now;
  if (c->Unread() > 0) {
    c->state = Connection::State::kHead;
    c->scanned = 0;
    Wait(c, now + limits_.header_timeout, false);
  } else {
    c->Release();
    c->state = Connection::State::kIdle;
    Wait(c, now + limits_.io_timeout, true);
  }
  Arm(c);
}

bool BufferedServer::Linger(Connection* c, bool& keep) {
  if (waiting_ == 0) return false;
  pollfd p{c->sock, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(kLinger.count())) <= 0) return false;
  const ssize_t n = recv(c->sock, c->Reserve(kReceiveBytes), kReceiveBytes, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  if (n <= 0) {
    keep = false;  // closed by the client
    return false;
  }
  c->end += static_cast<size_t>(n);
  return true;
}

bool BufferedServer::WholeRequest(Connection* c) {
  const size_t head = c->HeadEnd();
  return head != absl::string_view::npos && head <= kMaxHeadBytes &&
         c->Unread() >= RequestBytes(absl::string_view(c->Data(), head));
}

void BufferedServer::Wait(Connection* c, Clock::time_point deadline, bool idle) {
  Unschedule(c);
  c->deadline = deadline;
  deadlines_.emplace(deadline, c);
  if (idle) idle_.emplace(deadline, c);
}

void BufferedServer::Unschedule(Connection* c) {
  deadlines_.erase({c->deadline, c});
  idle_.erase({c->deadline, c});
}

void BufferedServer::Close(Connection* c, const std::string& answer) {
  if (!answer.empty()) {
    (void)!send(c->sock, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  Unschedule(c);
  close(c->sock);
  if (auto it = per_address_.find(c->remote_ip); it != per_address_.end()) {
    if (--it->second == 0) per_address_.erase(it);
  }
  connections_.erase(c->id);  // destroys c
}

bool BufferedServer::CloseIdlest() {
  if (idle_.empty()) return false;
  ++counts_.closed_idle_at_cap;
  Close(idle_.begin()->second);
  return true;
}

ConnectionCounts BufferedServer::Counts() {
  std::lock_guard lock(mu_);
  ConnectionCounts counts = counts_;
  counts.open = connections_.size();
  counts.idle = idle_.size();
  return counts;
}

void BufferedServer::Arm(Connection* c) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = c->id;
  epoll_ctl(epoll_, c->armed_once ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->sock, &ev);
  c->armed_once = true;
}

}  // namespace strata::api::internal
