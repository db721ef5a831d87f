// RgwServer: a real S3 endpoint for tests, Ceph's RADOS Gateway on loopback, started
// by scripts/rgw-local.sh in a scratch directory (about 4 s) and stopped with the
// object. Tests skip, naming the packages, when radosgw is not installed.
#ifndef STRATA_STORE_S3_RGW_TESTING_H_
#define STRATA_STORE_S3_RGW_TESTING_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace strata::testing {

class RgwServer {
 public:
  // True when radosgw and the Ceph daemons are on the PATH.
  static bool Installed();
  // What to tell a test that skips for want of them.
  static constexpr char kMissing[] =
      "Ceph's radosgw is not installed (Debian packages ceph-mon ceph-osd ceph-mgr "
      "radosgw "
      "ceph-common; scripts/install-deps.sh installs them)";
  // Starts a cluster in `dir` (made). Errors: Unavailable with the script's output.
  static absl::StatusOr<std::unique_ptr<RgwServer>> Start(const std::string& dir);
  // One gateway for the whole test binary, started on first use in a scratch
  // directory and stopped at exit (starting one takes seconds). Errors: as Start,
  // every call after a failed start.
  static absl::StatusOr<RgwServer*> Shared();

  // Kills the gateway (radosgw alone, SIGKILL: a crash), and starts it again on the
  // same port; the cluster keeps its objects. Errors: Unavailable with the output.
  absl::Status StopGateway();
  absl::Status StartGateway();
  ~RgwServer();
  RgwServer(const RgwServer&) = delete;
  RgwServer& operator=(const RgwServer&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  const std::string& access_key() const { return access_key_; }
  const std::string& secret_key() const { return secret_key_; }

 private:
  explicit RgwServer(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_, endpoint_, access_key_, secret_key_;
};

}  // namespace strata::testing

#endif  // STRATA_STORE_S3_RGW_TESTING_H_
