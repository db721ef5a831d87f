// How gc's reports look to programs: the JSON objects that `strata fsck`, `strata gc`
// and `strata retention` print with --json and the HTTP API returns.
#ifndef STRATA_GC_RENDER_H_
#define STRATA_GC_RENDER_H_

#include <map>
#include <string>

#include "gc/fsck.h"
#include "gc/gc.h"
#include "gc/retention.h"

namespace strata::gc {

// {"deep","versions","contents","chunks","bytes_read","edges","aliases",
//  "problems":[{"kind","detail","versions":[]}]}
std::string FsckReportJson(const FsckReport& report, bool deep);

// {"dry_run","grace_seconds", and every counter}
std::string GcReportJson(const GcReport& report);

// [{"target","keep_last","keep_within_seconds","log_keep_seconds","updated_by",
//   "on_behalf_of":null|NAME,"updated"}]
std::string RetentionPoliciesJson(
    const std::map<std::string, store::RetentionPolicy>& policies);

// {"dry_run","bytes_freed","deleted":[{"version","policy","size","created"}],
//  "protected":[{..., "kept_by"}], "logs":[{"view","policy","horizon",
//  "rows_before","rows_dropped","bytes_before","bytes_after","held_back_by":[...],
//  "trimmed_to"}]} (trimmed_to: the horizon used, null when held back entirely)
std::string RetentionReportJson(const RetentionReport& report);

}  // namespace strata::gc

#endif  // STRATA_GC_RENDER_H_
