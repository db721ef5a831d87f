#include "features/redis_testing.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "store/status_macros.h"
#include "tests/subprocess.h"

namespace strata::testing {
namespace {

// True when `port` can be bound on loopback now.
bool Free(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// A port the kernel picks, below 55535 with port + 10000 (the cluster bus) free too.
int FreePort() {
  for (;;) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    if (port > 0 && port < 55535 && Free(port + 10000)) return port;
  }
}

// The program's path on $PATH ("" when absent).
std::string Which(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path == nullptr ? "/usr/bin" : path, ':')) {
    const std::string candidate = absl::StrCat(dir, "/", program);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

bool RedisServer::Installed() { return !Which("redis-server").empty() && !Which("redis-cli").empty(); }

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(const std::string& dir,
                                                                bool cluster_enabled) {
  std::filesystem::create_directories(dir);
  std::unique_ptr<RedisServer> server(new RedisServer(dir, FreePort(), cluster_enabled));
  RETURN_IF_ERROR(server->Spawn());
  return server;
}

absl::Status RedisServer::Spawn() {
  std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port_),
                                   "--bind", "127.0.0.1", "--dir", dir_,
                                   "--save", "", "--appendonly", "yes",
                                   "--appendfsync", "always", "--daemonize", "no",
                                   "--logfile", dir_ + "/redis.log", "--protected-mode", "no"};
  if (cluster_) {
    for (const char* word : {"--cluster-enabled", "yes", "--cluster-config-file",
                             "nodes.conf", "--cluster-node-timeout", "2000"}) {
      argv.emplace_back(word);
    }
  }
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test
    std::vector<char*> words;
    for (std::string& w : argv) words.push_back(w.data());
    words.push_back(nullptr);
    execvp("redis-server", words.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto pong = Cli({"PING"});
    if (pong.ok() && absl::StrContains(*pong, "PONG")) return absl::OkStatus();
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("redis-server on port ", port_,
                                              " exited; see ", dir_, "/redis.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat("redis-server on port ", port_,
                                                  " did not answer PING"));
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

void RedisServer::Pause() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void RedisServer::Resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

void RedisServer::Kill() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

absl::Status RedisServer::Restart() {
  Kill();
  return Spawn();
}

absl::StatusOr<std::string> RedisServer::Cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {Which("redis-cli"), "-h", "127.0.0.1", "-p", std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = RunProcess(argv);
  if (r.exit_code != 0 || absl::StartsWith(r.out, "ERR") ||
      absl::StartsWith(r.out, "Could not connect")) {
    return absl::InternalError(absl::StrCat("redis-cli ", absl::StrJoin(args, " "), ": ",
                                            r.out, r.err));
  }
  return r.out;
}

absl::StatusOr<std::unique_ptr<RedisCluster>> RedisCluster::Start(const std::string& dir) {
  auto cluster = std::make_unique<RedisCluster>();
  std::vector<std::string> create = {Which("redis-cli"), "--cluster", "create"};
  for (int i = 0; i < 3; ++i) {
    ASSIGN_OR_RETURN(auto node, RedisServer::Start(dir + "/node" + std::to_string(i), true));
    create.push_back(node->endpoint());
    cluster->nodes_.push_back(std::move(node));
  }
  for (const char* word : {"--cluster-replicas", "0", "--cluster-yes"}) create.push_back(word);
  ProcessResult r = RunProcess(create);
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("redis-cli --cluster create: ", r.out, r.err));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int i = 0; i < 3;) {
    auto info = cluster->nodes_[i]->Cli({"CLUSTER", "INFO"});
    if (info.ok() && absl::StrContains(*info, "cluster_state:ok") &&
        absl::StrContains(*info, "cluster_known_nodes:3")) {
      ++i;
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError("redis cluster did not reach cluster_state:ok");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cluster;
}

std::string RedisCluster::url() const {
  std::vector<std::string> endpoints;
  for (const auto& node : nodes_) endpoints.push_back(node->endpoint());
  return "redis-cluster://" + absl::StrJoin(endpoints, ",");
}

absl::StatusOr<std::string> RedisCluster::Id(int i) const {
  ASSIGN_OR_RETURN(std::string out, nodes_[i]->Cli({"CLUSTER", "MYID"}));
  return std::string(absl::StripAsciiWhitespace(out));
}

absl::StatusOr<int> RedisCluster::OwnerOf(int slot) const {
  ASSIGN_OR_RETURN(std::string out, nodes_[0]->Cli({"CLUSTER", "NODES"}));
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    const std::vector<absl::string_view> words = absl::StrSplit(line, ' ');
    if (words.size() < 9) continue;
    for (size_t w = 8; w < words.size(); ++w) {
      const std::vector<absl::string_view> range = absl::StrSplit(words[w], '-');
      int first = 0, last = 0;
      if (!absl::SimpleAtoi(range[0], &first)) continue;
      last = first;
      if (range.size() == 2 && !absl::SimpleAtoi(range[1], &last)) continue;
      if (slot < first || slot > last) continue;
      const std::string address(words[1].substr(0, words[1].find('@')));
      for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
        if (nodes_[i]->endpoint() == address) return i;
      }
    }
  }
  return absl::NotFoundError(absl::StrCat("no node serves slot ", slot));
}

}  // namespace strata::testing
