#include "features/online_check.h"

#include <algorithm>
#include <random>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "features/codec.h"
#include "features/definitions.h"
#include "features/feature_log.h"
#include "features/impl.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;

// Whether a committed ingest wrote its newest rows to the online table.
enum class OnlineMode { kUpdated, kSkipped, kUnknown };

// The newest row of some of an entity's log chunks: the row in force at the end
// of time.
struct Newest {
  codec::RowStamp stamp{0, 0, 0};
  std::string row;
  bool found = false;
};

std::string StampText(const codec::RowStamp& s) {
  return absl::StrCat("event ", FormatTimestamp(s.event), ", created ",
                      FormatTimestamp(s.created), ", ingest ", s.ingest);
}

// The join keys of `entity` (without the view id) as "k=v,k2=v2"; hex when the
// bytes do not decode as the view's join keys.
std::string EntityText(absl::string_view entity, const ResolvedView* view) {
  std::string out;
  const char* p = entity.data();
  const char* end = p + entity.size();
  bool ok = view != nullptr;
  for (size_t k = 0; ok && k < view->join_key_types.size(); ++k) {
    if (!out.empty()) out.push_back(',');
    absl::StrAppend(&out, view->join_key_names[k], "=");
    if (view->join_key_types[k] == VALUE_TYPE_INT64) {
      ok = end - p >= 8;
      if (ok) absl::StrAppend(&out, codec::Unordered(codec::GetBE64(p)));
      p += ok ? 8 : 0;
    } else {
      uint64_t n;
      ok = codec::GetVarint(&p, end, &n) && static_cast<uint64_t>(end - p) >= n;
      if (ok) out.append(p, n);
      p += ok ? n : 0;
    }
  }
  if (ok && p == end) return out;
  return absl::StrCat("0x", absl::BytesToHexString(entity));
}

// What repairs an entity's online row: "strata online rebuild VIEW --entity K=V ..."
// (every entity when `who` is not join keys: a view whose definition is gone).
std::string RepairHint(absl::string_view view, absl::string_view who) {
  if (absl::StartsWith(who, "0x")) {
    return absl::StrCat("repair with strata online rebuild ", view);
  }
  std::string flags;
  for (absl::string_view part : absl::StrSplit(who, ',')) {
    absl::StrAppend(&flags, " --entity ", part);
  }
  return absl::StrCat("repair with strata online rebuild ", view, flags,
                      " (or remove it: strata online rm ", view, flags, ")");
}

// Every committed ingest's view and whether it updated the online table.
using IngestModes = absl::flat_hash_map<uint64_t, std::pair<std::string, OnlineMode>>;

// The newest log rows of `entity` (VIEW ENTITY) among the ingests that updated the
// online table (`updated`) and those that may have (`unknown`), of the chunks
// `chunks` shows.
// Errors: the log's (DataLoss for a malformed chunk).
absl::Status NewestLogRows(FeatureLog::EntityChunks& chunks, const IngestModes& ingests,
                           absl::string_view entity, Newest* updated, Newest* unknown) {
  RowInForce in_force[2];  // updated, unknown
  chunks.Seek(entity);
  while (chunks.Next()) {
    auto mode = ingests.find(chunks.ingest());
    if (mode == ingests.end() || mode->second.second == OnlineMode::kSkipped) continue;
    const int k = mode->second.second == OnlineMode::kUpdated ? 0 : 1;
    const size_t r = in_force[k].Offer(chunks.chunk(), chunks.ingest(), INT64_MAX,
                                       INT64_MIN, LogVisibility());
    if (r == SIZE_MAX) continue;
    Newest& n = k == 0 ? *updated : *unknown;
    n.stamp = {in_force[k].event, in_force[k].created, in_force[k].ingest};
    n.row.assign(chunks.chunk().row(r).data(), chunks.chunk().row(r).size());
    n.found = true;
  }
  return chunks.status();
}

}  // namespace

absl::StatusOr<OnlineCheckReport> CheckOnlineAgainstLog(
    Store& store, const OnlineCheckOptions& options) {
  OnlineCheckReport report;
  report.seed = options.seed != 0 ? options.seed
                                  : (static_cast<uint64_t>(std::random_device()()) << 32 |
                                     std::random_device()()) |
                                        1;
  std::mt19937_64 rng(report.seed);
  FeatureRegistry registry(&store);
  FeatureStore::Impl impl(&store, &registry, {});
  internal::Db& db = store.internal_db();
  rocksdb::ManagedSnapshot snapshot(db.raw());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  ASSIGN_OR_RETURN(IngestPosition at, impl.tables.Position(snapshot.snapshot()));

  // Every committed ingest's view and whether it updated the online table.
  IngestModes ingests;
  // View name and id, from the column dictionaries.
  std::vector<std::pair<std::string, uint32_t>> views;
  // Views that have had rows pushed online only: their online rows may be newer
  // than the log.
  std::set<std::string> pushed;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db.raw()->NewIterator(ro, db.cf(Cf::kFeatureMeta)));
    for (it->Seek("i/"); it->Valid() && it->key().starts_with("i/"); it->Next()) {
      ASSIGN_OR_RETURN(IngestRecord r,
                       internal::ParseRecord<IngestRecord>(
                           {it->value().data(), it->value().size()}, "ingest record"));
      ingests[r.ingest()] = {r.view(), !r.has_update_online() ? OnlineMode::kUnknown
                                       : r.update_online()    ? OnlineMode::kUpdated
                                                              : OnlineMode::kSkipped};
    }
    for (it->Seek("v/"); it->Valid() && it->key().starts_with("v/"); it->Next()) {
      ASSIGN_OR_RETURN(ViewState s, internal::ParseRecord<ViewState>(
                                        {it->value().data(), it->value().size()},
                                        "feature view state"));
      if (s.id() != 0) views.emplace_back(it->key().ToString().substr(2), s.id());
    }
    for (it->Seek("o/"); it->Valid() && it->key().starts_with("o/"); it->Next()) {
      pushed.insert(it->key().ToString().substr(2));
    }
    RETURN_IF_ERROR(internal::FromRocks(it->status(), "reading feature records"));
  }

  std::string online;
  for (const auto& [name, id] : views) {
    std::string prefix, prefix_end;
    codec::PutBE32(&prefix, id);
    codec::PutBE32(&prefix_end, id + 1);
    rocksdb::ReadOptions log_ro = ro;
    const rocksdb::Slice upper(prefix_end);
    log_ro.iterate_upper_bound = &upper;
    const FeatureLog log(db, snapshot.snapshot(), id, name);
    ASSIGN_OR_RETURN(std::vector<std::string> sample,
                     log.SampleEntities(options.sample, &rng));
    // The latest definition names the join keys and the plausible time; a view
    // whose artifact is gone is still checked, its entities shown in hex.
    auto view = impl.View(name, 0);
    const ResolvedView* def = view.ok() ? view->get() : nullptr;
    const std::vector<std::string> versions =
        def != nullptr ? std::vector<std::string>{absl::StrCat("featureview/", name, "@",
                                                               def->version)}
                       : std::vector<std::string>{};
    const PlausibleTime window =
        def != nullptr ? PlausibleTimeOf(def->def) : PlausibleTime();
    const bool pushes = pushed.count(name) > 0;
    const auto problem = [&](absl::string_view entity, std::string kind,
                             std::string detail, bool repair) {
      const std::string who = EntityText(entity.substr(4), def);
      std::string text =
          absl::StrCat("feature view ", name, " entity ", who, ": ", detail);
      if (repair) absl::StrAppend(&text, "; ", RepairHint(name, who));
      report.problems.push_back({std::move(kind), std::move(text), versions, name, who});
    };

    // Every online row's event time; and online rows drawn for the comparison
    // below, which reaches entities the log lacks.
    std::set<std::string> implausible;
    {
      std::unique_ptr<rocksdb::Iterator> rows(
          db.raw()->NewIterator(log_ro, db.cf(Cf::kFeatureOnline)));
      std::vector<std::string> drawn;
      uint64_t seen = 0;
      for (rows->Seek(prefix); rows->Valid(); rows->Next()) {
        const absl::string_view entity(rows->key().data(), rows->key().size());
        if (rows->value().size() < codec::kOnlineHeaderBytes) continue;
        ++report.online_rows;
        const codec::RowStamp stamp =
            codec::DecodeOnlineHeader({rows->value().data(), rows->value().size()});
        if (!window.Contains(stamp.event)) {
          implausible.emplace(entity);
          problem(entity, "implausible online row",
                  absl::StrCat("online row event time ", FormatTimestamp(stamp.event),
                               " is outside the plausible time ", window.Text()),
                  true);
        }
        if (options.sample == 0) continue;
        // Reservoir sampling: each row drawn with equal chance.
        if (drawn.size() < options.sample) {
          drawn.emplace_back(entity);
        } else if (const uint64_t j = std::uniform_int_distribution<uint64_t>(0, seen)(rng);
                   j < options.sample) {
          drawn[j] = std::string(entity);
        }
        ++seen;
      }
      RETURN_IF_ERROR(internal::FromRocks(rows->status(), "reading the online table"));
      sample.insert(sample.end(), drawn.begin(), drawn.end());
      std::sort(sample.begin(), sample.end());
      sample.erase(std::unique(sample.begin(), sample.end()), sample.end());
      if (sample.size() > options.sample) {  // both draws together, within the budget
        std::shuffle(sample.begin(), sample.end(), rng);
        sample.resize(options.sample);
      }
    }
    if (sample.empty()) continue;
    ++report.views;
    FeatureLog::EntityChunks chunks = log.Entities(at, {});
    for (const std::string& entity : sample) {
      if (implausible.count(entity) > 0) continue;  // reported
      ++report.entities;
      // The newest row of the ingests that updated the online table, and of those
      // that may have.
      Newest updated, unknown;
      RETURN_IF_ERROR(NewestLogRows(chunks, ingests, entity, &updated, &unknown));

      rocksdb::Status s = db.raw()->Get(ro, db.cf(Cf::kFeatureOnline), entity, &online);
      if (!s.ok() && !s.IsNotFound()) {
        return internal::FromRocks(s, "reading the online table");
      }
      const bool has_online = s.ok() && online.size() >= codec::kOnlineHeaderBytes;
      if (!has_online) {
        if (updated.found) {
          problem(entity, "online row missing",
                  absl::StrCat("no online row, but the log's newest row is (",
                               StampText(updated.stamp), ")"),
                  false);
        }
        continue;
      }
      const codec::RowStamp stamp = codec::DecodeOnlineHeader(online);
      const absl::string_view row =
          absl::string_view(online).substr(codec::kOnlineHeaderBytes);
      if (updated.found && updated.stamp > stamp) {
        problem(entity, "stale online row",
                absl::StrCat("online row (", StampText(stamp),
                             ") is older than the log's newest row (",
                             StampText(updated.stamp), ")"),
                false);
        continue;
      }
      const Newest* same = updated.found && updated.stamp == stamp   ? &updated
                           : unknown.found && unknown.stamp == stamp ? &unknown
                                                                     : nullptr;
      if (same != nullptr) {
        if (same->row != row) {
          problem(entity, "online row differs",
                  absl::StrCat("online row (", StampText(stamp),
                               ") holds other values than the log's row with those times"),
                  false);
        }
      } else if (pushes) {
        ++report.online_only;  // pushed online only, as the view's pushes do
      } else {
        const Newest& newest = updated.found ? updated : unknown;
        problem(entity, "online row newer than the log",
                absl::StrCat("online row (", StampText(stamp), ") is newer than ",
                             newest.found ? absl::StrCat("the log's newest row (",
                                                         StampText(newest.stamp), ")")
                                          : std::string("any log row (there are none)"),
                             ", and nothing was ever pushed to the view"),
                true);
      }
    }
  }
  return report;
}

void AddOnlineProblems(const OnlineCheckReport& online, gc::FsckReport* report) {
  for (const OnlineCheckProblem& p : online.problems) {
    // Every online row's time is read: that finding owes nothing to the sample.
    report->problems.push_back(
        {p.kind,
         p.kind == "implausible online row"
             ? p.detail
             : absl::StrCat(p.detail, " (sample seed ", online.seed, ")"),
         p.versions});
  }
}

}  // namespace strata::features
