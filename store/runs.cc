#include "store/runs.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/internal/records.h"
#include "store/status_macros.h"

namespace strata {
namespace {

using internal::Cf;

// 11 hex digits of milliseconds since the epoch, then 5 random ones: ids sort by
// start time.
std::string NewRunId(int64_t now_us) {
  uint8_t random[3];
  RAND_bytes(random, sizeof(random));
  std::string hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%011llx",
                static_cast<unsigned long long>(now_us / 1000) & 0xfffffffffffULL);
  return absl::StrCat(buf, hex.substr(0, 5));
}

}  // namespace

absl::Status ValidateRunId(absl::string_view id) {
  if (id.empty() || id.size() > 64 ||
      id.find_first_not_of("0123456789abcdef") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", id, "' is not a run id"));
  }
  return absl::OkStatus();
}

absl::string_view RunStatusName(store::RunStatus status) {
  switch (status) {
    case store::RUN_STATUS_RUNNING:
      return "RUNNING";
    case store::RUN_STATUS_OK:
      return "OK";
    case store::RUN_STATUS_FAILED:
      return "FAILED";
    default:
      return "UNKNOWN";
  }
}

absl::StatusOr<store::Run> RunStore::Start(const NewRun& request) {
  if (request.name.empty() || request.name.size() > 200) {
    return absl::InvalidArgumentError("a run name has 1 to 200 characters");
  }
  for (const auto& [k, v] : request.params) {
    if (k.empty() || k.size() > 256) {
      return absl::InvalidArgumentError("a param name has 1 to 256 characters");
    }
  }
  std::vector<std::string> inputs;
  for (const auto& text : request.inputs) {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(text));
    ASSIGN_OR_RETURN(store::Version v, artifacts_->Resolve(ref));
    inputs.push_back(internal::VersionNode(v.kind(), v.name(), v.number()));
  }
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());

  Change change{ChangeKind::kStartRun, {}};
  return internal::CommitChange(
      *db_, change, [&](rocksdb::Transaction* txn) -> absl::StatusOr<store::Run> {
        const int64_t now = internal::NowMicros();
        std::string id;
        for (int attempt = 0; attempt < 8 && id.empty(); ++attempt) {
          std::string candidate = NewRunId(now);
          ASSIGN_OR_RETURN(auto existing,
                           internal::GetForUpdate(txn, *db_, Cf::kRuns, candidate));
          if (!existing.has_value()) id = candidate;
        }
        if (id.empty()) return absl::AbortedError("could not allocate a run id");
        store::Run run;
        run.set_id(id);
        run.set_name(request.name);
        run.mutable_params()->insert(request.params.begin(), request.params.end());
        run.set_status(store::RUN_STATUS_RUNNING);
        run.set_start_us(now);
        run.set_creator(request.creator.who);
        run.set_on_behalf_of(request.creator.on_behalf_of);
        for (const auto& in : inputs) {
          run.add_inputs(in);
          RETURN_IF_ERROR(internal::PutEdge(txn, *db_, in, internal::RunNode(id),
                                            store::EDGE_KIND_INPUT, now));
        }
        RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kRuns, id, run));
        change.subject = internal::RunNode(id);
        return run;
      });
}

absl::StatusOr<store::Run> RunStore::LogMetrics(
    const std::string& run_id, const std::map<std::string, double>& metrics) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  for (const auto& [k, v] : metrics) {
    if (k.empty() || k.size() > 256) {
      return absl::InvalidArgumentError("a metric name has 1 to 256 characters");
    }
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", k, " is not a finite number"));
    }
  }
  return internal::CommitChange(
      *db_, Change{ChangeKind::kLogMetrics, internal::RunNode(run_id)},
      [&](rocksdb::Transaction* txn) -> absl::StatusOr<store::Run> {
        ASSIGN_OR_RETURN(auto run, internal::LockRecord<store::Run>(txn, *db_, Cf::kRuns,
                                                                    run_id, "run"));
        if (!run.has_value()) return absl::NotFoundError(absl::StrCat("no run ", run_id));
        if (run->status() != store::RUN_STATUS_RUNNING) {
          return absl::FailedPreconditionError(absl::StrCat(
              "run ", run_id, " has finished (", RunStatusName(run->status()), ")"));
        }
        const int64_t now = internal::NowMicros();
        for (const auto& [k, v] : metrics) {
          (*run->mutable_metrics())[k] = v;
          auto* point = (*run->mutable_metric_history())[k].add_points();
          point->set_value(v);
          point->set_at_us(now);
        }
        RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kRuns, run_id, *run));
        return *run;
      });
}

absl::StatusOr<store::Run> RunStore::Finish(const std::string& run_id,
                                            store::RunStatus status) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  if (status != store::RUN_STATUS_OK && status != store::RUN_STATUS_FAILED) {
    return absl::InvalidArgumentError("a run finishes with status ok or failed");
  }
  return internal::CommitChange(
      *db_, Change{ChangeKind::kFinishRun, internal::RunNode(run_id)},
      [&](rocksdb::Transaction* txn) -> absl::StatusOr<store::Run> {
        ASSIGN_OR_RETURN(auto run, internal::LockRecord<store::Run>(txn, *db_, Cf::kRuns,
                                                                    run_id, "run"));
        if (!run.has_value()) return absl::NotFoundError(absl::StrCat("no run ", run_id));
        if (run->status() != store::RUN_STATUS_RUNNING) {
          return absl::FailedPreconditionError(
              absl::StrCat("run ", run_id, " has already finished (",
                           RunStatusName(run->status()), ")"));
        }
        run->set_status(status);
        run->set_end_us(internal::NowMicros());
        RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kRuns, run_id, *run));
        return *run;
      });
}

absl::StatusOr<store::Run> RunStore::Get(const std::string& run_id) const {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  ASSIGN_OR_RETURN(auto run,
                   internal::ReadRecord<store::Run>(*db_, Cf::kRuns, run_id, "run"));
  if (!run.has_value()) return absl::NotFoundError(absl::StrCat("no run ", run_id));
  return *run;
}

absl::StatusOr<bool> RunStore::Exists(const std::string& run_id) const {
  ASSIGN_OR_RETURN(auto run, db_->Get(Cf::kRuns, run_id));
  return run.has_value();
}

absl::StatusOr<std::vector<store::Run>> RunStore::List() const {
  std::vector<store::Run> out;
  auto it = db_->Scan(Cf::kRuns, "");
  for (; it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(auto run, internal::ParseRecord<store::Run>(it->value(), "run"));
    out.push_back(std::move(run));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace strata
