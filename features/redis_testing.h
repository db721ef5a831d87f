// Real Redis servers for tests: one redis-server, or a 3-master Redis Cluster, on
// free loopback ports, every file in a scratch directory, stopped on destruction.
// Tests skip (GTEST_SKIP) when RedisServer::Installed() is false.
#ifndef STRATA_FEATURES_REDIS_TESTING_H_
#define STRATA_FEATURES_REDIS_TESTING_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strata::testing {

// One redis-server process (append-only file fsynced on every write, so a killed
// server restarted keeps every acknowledged write).
class RedisServer {
 public:
  // True when redis-server and redis-cli are on the PATH (Debian: redis-server).
  static bool Installed();
  // Starts a server in `dir` (created) on a free port and waits until it answers.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(const std::string& dir,
                                                            bool cluster_enabled = false);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  // SIGSTOP / SIGCONT: a server that accepts connections but answers nothing.
  void Pause();
  void Resume();
  // SIGKILL, at once (no shutdown).
  void Kill();
  // Starts it again on the same port and directory; waits until it answers.
  absl::Status Restart();
  // Runs redis-cli against it; returns its output. Errors: the command failed.
  absl::StatusOr<std::string> Cli(const std::vector<std::string>& args) const;

 private:
  RedisServer(std::string dir, int port, bool cluster) : dir_(std::move(dir)), port_(port),
                                                         cluster_(cluster) {}
  absl::Status Spawn();
  std::string dir_;
  int port_;
  bool cluster_;
  pid_t pid_ = -1;
};

// Three masters, no replicas, all slots assigned, cluster_state:ok.
class RedisCluster {
 public:
  static absl::StatusOr<std::unique_ptr<RedisCluster>> Start(const std::string& dir);
  // redis-cluster://HOST:PORT,HOST:PORT,HOST:PORT
  std::string url() const;
  RedisServer& node(int i) { return *nodes_[i]; }
  int size() const { return static_cast<int>(nodes_.size()); }
  // The node-id of node `i` (CLUSTER MYID).
  absl::StatusOr<std::string> Id(int i) const;
  // The index of the node serving `slot`.
  absl::StatusOr<int> OwnerOf(int slot) const;

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

}  // namespace strata::testing

#endif  // STRATA_FEATURES_REDIS_TESTING_H_
