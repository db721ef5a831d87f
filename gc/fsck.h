// Fsck: checks that a store is whole (strata fsck, docs/operations.md).
//
//   FsckOptions options;
//   options.deep = true;
//   ASSIGN_OR_RETURN(FsckReport report, Fsck(*store, options));
//   for (const FsckProblem& p : report.problems) ...
#ifndef STRATA_GC_FSCK_H_
#define STRATA_GC_FSCK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace strata::gc {

struct FsckOptions {
  // Also read every chunk of every live version's content, check each chunk's
  // SHA-256 and recompute each content id. Default false: only that every record
  // and chunk a live version needs exists.
  bool deep = false;
  // Called after each content checked with the bytes of content checked so far and
  // in all (live versions' distinct contents), for a progress bar.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// One thing wrong, with the objects it touches.
struct FsckProblem {
  // What is wrong: "missing manifest", "malformed manifest", "size mismatch",
  // "missing chunk", "corrupt content", "dangling edge", "one-way edge",
  // "dangling alias", "alias to a deleted version".
  std::string kind;
  std::string detail;  // one line, naming the objects
  // The versions it touches ("KIND/NAME@N"), sorted: every live version whose
  // content is affected, or the version an alias or edge names.
  std::vector<std::string> versions;
};

struct FsckReport {
  uint64_t versions = 0;            // version records read (deleted ones included)
  uint64_t contents = 0;            // distinct contents of live versions checked
  uint64_t chunks = 0;              // distinct chunks checked
  uint64_t bytes_read = 0;          // content bytes read and hashed (deep)
  uint64_t edges = 0, aliases = 0;  // lineage edges (each once) and aliases read
  std::vector<FsckProblem> problems;
};

// Checks, for every version that is not deleted: its manifest exists and parses,
// its sizes agree, and every chunk it names is stored (deep: and hashes to its id,
// and the whole to the content id). For every lineage edge: both ends exist and
// the edge is recorded in both directions. For every alias: it points at an
// existing, live version. Reads only; safe beside other readers and writers of
// the same Store object (what they write meanwhile may or may not be checked).
// Errors: only a failure to read (Unavailable) or records that cannot be parsed
// at all (DataLoss); everything else is a problem in the report.
absl::StatusOr<FsckReport> Fsck(Store& store, const FsckOptions& options);

}  // namespace strata::gc

#endif  // STRATA_GC_FSCK_H_
