#include "features/training_sets.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

constexpr absl::string_view kSpineEarliest = "log.spine_earliest";
constexpr absl::string_view kReadsFrom = "log.reads_from.";
constexpr absl::string_view kUnbounded = "unbounded";

std::string Get(const store::Version& v, absl::string_view key) {
  auto it = v.metadata().find(std::string(key));
  return it == v.metadata().end() ? std::string() : it->second;
}

}  // namespace

void RecordLogReads(const HistoricalResult& result,
                    std::map<std::string, std::string>* metadata) {
  if (!result.earliest_spine.has_value()) return;  // an empty spine reads nothing
  (*metadata)[std::string(kSpineEarliest)] = FormatTimestamp(*result.earliest_spine);
  for (const auto& [view, from] : result.reads_from) {
    (*metadata)[absl::StrCat(kReadsFrom, view)] =
        from == INT64_MIN ? std::string(kUnbounded) : FormatTimestamp(from);
  }
}

absl::StatusOr<HistoricalRequest> SavedRequest(const store::Version& v) {
  const auto get = [&](absl::string_view key) { return Get(v, key); };
  const auto bad = [&](absl::string_view what) {
    return absl::FailedPreconditionError(
        absl::StrCat(VersionRef(v), " is not a saved historical result (", what,
                     "); save one with `strata historical --save`"));
  };
  if (get("request.features").empty() || get("request.spine").empty()) {
    return bad("it records no request");
  }
  HistoricalRequest request;
  request.spine_name = get("request.spine");
  request.features = absl::StrSplit(get("request.features"), ',');
  for (absl::string_view pinned :
       absl::StrSplit(get("request.views"), ',', absl::SkipEmpty())) {
    const size_t at = pinned.rfind('@');
    uint64_t n;
    if (at == absl::string_view::npos || !absl::SimpleAtoi(pinned.substr(at + 1), &n)) {
      return bad(absl::StrCat("bad request.views entry ", pinned));
    }
    request.view_versions[std::string(pinned.substr(0, at))] = n;
  }
  if (std::string as_of = get("request.as_of"); !as_of.empty()) {
    ASSIGN_OR_RETURN(request.as_of, ParseTimestamp(as_of, TimeUnit::kMicros));
  }
  request.created_cutoff = get("request.created_cutoff") == "true";
  request.full_names = get("request.full_names") == "true";
  ASSIGN_OR_RETURN(request.timestamp_unit, ParseTimeUnit(get("request.timestamp_unit")));
  IngestPosition at;
  if (!absl::SimpleAtoi(get("request.ingest_position"), &at.position)) {
    return bad("no request.ingest_position");
  }
  for (absl::string_view p :
       absl::StrSplit(get("request.ingest_pending"), ',', absl::SkipEmpty())) {
    uint64_t n;
    if (!absl::SimpleAtoi(p, &n)) return bad("bad request.ingest_pending");
    at.pending.push_back(n);
  }
  request.at = at;
  return request;
}

bool SeesTrim(const IngestPosition& at, const LogHorizon& h) {
  if (at.position < h.position()) return false;
  for (uint64_t p : at.pending) {
    if (p <= h.position() &&
        std::find(h.pending().begin(), h.pending().end(), p) == h.pending().end()) {
      return false;
    }
  }
  return true;
}

bool Reproduces(const LogReader& reader, const std::optional<LogHorizon>& h) {
  if (!h.has_value() || !reader.earliest_spine.has_value()) return true;
  const Micros horizon = h->horizon_us();
  if (*reader.earliest_spine < horizon) return false;
  const bool sees =
      SeesTrim(reader.at, *h) && (!reader.as_of.has_value() || *reader.as_of >= horizon);
  return sees || reader.reads_from > horizon;
}

Micros LatestSafeHorizon(const LogReader& reader, const IngestPosition& trim_at) {
  if (!reader.earliest_spine.has_value()) return INT64_MAX;
  LogHorizon h;
  h.set_position(trim_at.position);
  for (uint64_t p : trim_at.pending) h.add_pending(p);
  // Answers read at or before the horizon are lost unless the request sees the trim.
  const Micros before_reads =
      reader.reads_from == INT64_MIN ? INT64_MIN : reader.reads_from - 1;
  Micros unseen_limit = before_reads;
  if (SeesTrim(reader.at, h)) {
    unseen_limit =
        reader.as_of.has_value() ? std::max(*reader.as_of, before_reads) : INT64_MAX;
  }
  return std::min(*reader.earliest_spine, unseen_limit);
}

absl::StatusOr<std::vector<LogReader>> KeptLogReaders(
    Store& store, const FeatureStore& features, const std::string& view,
    const std::optional<LogHorizon>& current, const std::vector<std::string>& expiring) {
  const absl::flat_hash_set<std::string> skip(expiring.begin(), expiring.end());
  std::vector<LogReader> out;
  ArtifactStore& artifacts = store.artifacts();
  ASSIGN_OR_RETURN(std::vector<ArtifactSummary> datasets, artifacts.List(Kind::kDataset));
  for (const ArtifactSummary& summary : datasets) {
    ASSIGN_OR_RETURN(std::vector<store::Version> versions,
                     artifacts.Versions(summary.artifact));
    for (const store::Version& v : versions) {
      if (v.has_deleted() || Get(v, "request.features").empty()) continue;
      LogReader reader;
      reader.dataset = VersionRef(v);
      if (skip.contains(reader.dataset)) continue;
      absl::StatusOr<HistoricalRequest> request = SavedRequest(v);
      if (!request.ok() || !request->view_versions.contains(view)) continue;
      reader.as_of = request->as_of;
      reader.at = *request->at;
      const std::string earliest = Get(v, kSpineEarliest);
      const std::string from = Get(v, absl::StrCat(kReadsFrom, view));
      if (!earliest.empty() && !from.empty()) {
        ASSIGN_OR_RETURN(reader.earliest_spine,
                         ParseTimestamp(earliest, TimeUnit::kMicros));
        if (from == kUnbounded) {
          reader.reads_from = INT64_MIN;
        } else {
          ASSIGN_OR_RETURN(reader.reads_from, ParseTimestamp(from, TimeUnit::kMicros));
        }
      } else if (Get(v, "rows") != "0") {
        // Saved before what it reads was recorded: reproduce it to find out. One
        // that no longer reproduces has nothing left to lose.
        absl::StatusOr<ReproduceResult> r = features.Reproduce(reader.dataset, nullptr);
        if (absl::IsFailedPrecondition(r.status()) || absl::IsNotFound(r.status())) {
          continue;
        }
        RETURN_IF_ERROR(r.status());
        reader.earliest_spine = r->result.earliest_spine;
        reader.reads_from = r->result.reads_from[view];
      }
      if (Reproduces(reader, current)) out.push_back(std::move(reader));
    }
  }
  return out;
}

}  // namespace strata::features
