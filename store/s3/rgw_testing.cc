#include "store/s3/rgw_testing.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/testing.h"
#include "absl/strings/strip.h"

namespace strata::testing {
namespace {

std::string Script() { return std::string(STRATA_SOURCE_DIR) + "/scripts/rgw-local.sh"; }

// Runs `command`; its output (stdout and stderr) in *out. Returns the exit status.
int Run(const std::string& command, std::string* out) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out->append(buf, n);
  return pclose(pipe);
}

}  // namespace

bool RgwServer::Installed() {
  std::string out;
  return Run("command -v radosgw ceph-mon ceph-osd ceph-mgr radosgw-admin", &out) == 0;
}

absl::StatusOr<std::unique_ptr<RgwServer>> RgwServer::Start(const std::string& dir) {
  std::unique_ptr<RgwServer> server(new RgwServer(dir));
  std::string out;
  if (Run(absl::StrCat("bash '", Script(), "' start '", dir, "'"), &out) != 0) {
    return absl::UnavailableError(absl::StrCat("rgw-local.sh start failed: ", out));
  }
  std::ifstream env(dir + "/s3.env");
  std::string line;
  while (std::getline(env, line)) {
    absl::string_view v = line;
    if (absl::ConsumePrefix(&v, "S3_ENDPOINT=")) server->endpoint_ = std::string(v);
    if (absl::ConsumePrefix(&v, "AWS_ACCESS_KEY_ID="))
      server->access_key_ = std::string(v);
    if (absl::ConsumePrefix(&v, "AWS_SECRET_ACCESS_KEY="))
      server->secret_key_ = std::string(v);
  }
  if (server->endpoint_.empty()) {
    return absl::UnavailableError(absl::StrCat("rgw-local.sh wrote no endpoint: ", out));
  }
  return server;
}

absl::StatusOr<RgwServer*> RgwServer::Shared() {
  struct Holder {
    ScratchDir dir;
    absl::StatusOr<std::unique_ptr<RgwServer>> server = Start(dir.Sub("rgw"));
  };
  static Holder* holder = new Holder();  // NOLINT: stopped by the atexit below
  static const bool registered = [] {
    std::atexit([] { delete holder; });
    return true;
  }();
  (void)registered;
  if (!holder->server.ok()) return holder->server.status();
  return holder->server->get();
}

absl::Status RgwServer::StopGateway() {
  std::string out;
  if (Run(absl::StrCat("bash '", Script(), "' stop-gateway '", dir_, "'"), &out) != 0) {
    return absl::UnavailableError(absl::StrCat("rgw-local.sh stop-gateway failed: ", out));
  }
  return absl::OkStatus();
}

absl::Status RgwServer::StartGateway() {
  std::string out;
  if (Run(absl::StrCat("bash '", Script(), "' start-gateway '", dir_, "'"), &out) != 0) {
    return absl::UnavailableError(absl::StrCat("rgw-local.sh start-gateway failed: ", out));
  }
  return absl::OkStatus();
}

RgwServer::~RgwServer() {
  std::string out;
  Run(absl::StrCat("bash '", Script(), "' stop '", dir_, "'"), &out);
}

}  // namespace strata::testing
