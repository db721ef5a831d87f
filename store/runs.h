// RunStore: executions (training jobs, pipelines) with parameters, metrics, status,
// and lineage edges from the versions they read.
#ifndef STRATA_STORE_RUNS_H_
#define STRATA_STORE_RUNS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/actor.h"
#include "store/artifacts.h"
#include "store/store.pb.h"

namespace strata {
namespace internal {
class Db;
}

struct NewRun {
  std::string name;
  std::map<std::string, std::string> params;
  std::vector<std::string> inputs;  // references, resolved to KIND/NAME@N
  Actor creator;
};

// Thread-safe. Outputs are attached by ArtifactStore::Commit with a run id.
class RunStore {
 public:
  // `db` and `artifacts` must outlive this object.
  RunStore(internal::Db* db, const ArtifactStore* artifacts)
      : db_(db), artifacts_(artifacts) {}

  // Starts a run (status RUNNING) with a new id, and edges input -> run.
  // Errors: InvalidArgument for an empty or overlong name or param key; NotFound for
  // an unknown input.
  absl::StatusOr<store::Run> Start(const NewRun& request);

  // Records metric values (the latest per name, and the history).
  // Errors: NotFound for an unknown run; FailedPrecondition when it has finished;
  // InvalidArgument for an empty name or a non-finite value.
  absl::StatusOr<store::Run> LogMetrics(const std::string& run_id,
                                        const std::map<std::string, double>& metrics);

  // Sets the final status (OK or FAILED) and end time.
  // Errors: NotFound; FailedPrecondition when already finished; InvalidArgument for a
  // status other than OK or FAILED.
  absl::StatusOr<store::Run> Finish(const std::string& run_id, store::RunStatus status);

  // Errors: NotFound.
  absl::StatusOr<store::Run> Get(const std::string& run_id) const;

  // Whether a run with this id is stored (its record is not read; an id no run can
  // have is false). Errors: Unavailable on I/O failure.
  absl::StatusOr<bool> Exists(const std::string& run_id) const;

  // Every run, oldest first.
  absl::StatusOr<std::vector<store::Run>> List() const;

 private:
  internal::Db* db_;
  const ArtifactStore* artifacts_;
};

// Run ids are lower-case hex, 1 to 64 characters. Errors: InvalidArgument.
absl::Status ValidateRunId(absl::string_view id);

// "RUNNING", "OK", "FAILED".
absl::string_view RunStatusName(store::RunStatus status);

}  // namespace strata

#endif  // STRATA_STORE_RUNS_H_
