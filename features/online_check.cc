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
#include "features/rocks_online_table.h"
#include "features/tables.h"
#include "features/view_catalog.h"
#include "store/database.h"
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

// What the check reads of the feature metadata at its snapshot: every committed
// ingest's view and online mode, and each view's name and id.
struct FeatureRecords {
  IngestModes ingests;
  std::vector<std::pair<std::string, uint32_t>> views;
};

absl::StatusOr<FeatureRecords> ReadFeatureRecords(const internal::Db& db,
                                                  const rocksdb::ReadOptions& ro) {
  FeatureRecords out;
  std::unique_ptr<rocksdb::Iterator> it(
      db.raw()->NewIterator(ro, db.cf(Cf::kFeatureMeta)));
  for (it->Seek("i/"); it->Valid() && it->key().starts_with("i/"); it->Next()) {
    ASSIGN_OR_RETURN(IngestRecord r,
                     internal::ParseRecord<IngestRecord>(
                         {it->value().data(), it->value().size()}, "ingest record"));
    out.ingests[r.ingest()] = {r.view(), !r.has_update_online() ? OnlineMode::kUnknown
                                         : r.update_online()    ? OnlineMode::kUpdated
                                                                : OnlineMode::kSkipped};
  }
  for (it->Seek("v/"); it->Valid() && it->key().starts_with("v/"); it->Next()) {
    ASSIGN_OR_RETURN(ViewState s,
                     internal::ParseRecord<ViewState>(
                         {it->value().data(), it->value().size()}, "feature view state"));
    if (s.id() != 0) out.views.emplace_back(it->key().ToString().substr(2), s.id());
  }
  RETURN_IF_ERROR(internal::FromRocks(it->status(), "reading feature records"));
  return out;
}

// The check of one store: the log is read at one snapshot, the online table through
// OnlineTable (which has no snapshot: online rows of ingests the snapshot does not
// include are passed over, and whether a view has had pushes is read after its
// online rows, so a row pushed during the check is never taken for a stray).
class OnlineCheck {
 public:
  OnlineCheck(Store& store, const OnlineCheckOptions& options, OnlineCheckReport& report)
      : options_(options),
        report_(report),
        rng_(report.seed),
        registry_(&store),
        embedded_(&DatabaseOf(store)),
        online_(options.table != nullptr ? *options.table : embedded_),
        tables_(&DatabaseOf(store), &online_),
        views_(&store, &registry_, &tables_),
        db_(DatabaseOf(store)),
        snapshot_(db_.raw()) {
    ro_.snapshot = snapshot_.snapshot();
  }

  absl::Status Run() {
    ASSIGN_OR_RETURN(at_, tables_.Position(snapshot_.snapshot()));
    ASSIGN_OR_RETURN(records_, ReadFeatureRecords(db_, ro_));
    for (const auto& [name, id] : records_.views) RETURN_IF_ERROR(CheckView(name, id));
    return absl::OkStatus();
  }

 private:
  // What the check knows of the view being checked.
  struct ViewCheck {
    std::string name;
    uint32_t id = 0;
    const ResolvedView* def = nullptr;  // null: its artifact is gone
    std::vector<std::string> versions;
    PlausibleTime window;
    std::set<std::string> implausible;  // online rows reported already
  };

  absl::Status CheckView(const std::string& name, uint32_t id) {
    ViewCheck v;
    v.name = name;
    v.id = id;
    // The latest definition names the join keys and the plausible time; a view
    // whose artifact is gone is still checked, its entities shown in hex.
    auto view = views_.View(name, 0);
    if (view.ok()) {
      v.def = view->get();
      v.versions = {absl::StrCat("featureview/", name, "@", v.def->version)};
      v.window = PlausibleTimeOf(v.def->def);
    }
    const FeatureLog log(db_, snapshot_.snapshot(), id, name);
    ASSIGN_OR_RETURN(std::vector<std::string> sample,
                     log.SampleEntities(options_.sample, &rng_));
    ASSIGN_OR_RETURN(std::vector<std::string> drawn, ScanOnlineRows(v));
    sample.insert(sample.end(), drawn.begin(), drawn.end());
    std::sort(sample.begin(), sample.end());
    sample.erase(std::unique(sample.begin(), sample.end()), sample.end());
    if (sample.size() > options_.sample) {  // both draws together, within the budget
      std::shuffle(sample.begin(), sample.end(), rng_);
      sample.resize(options_.sample);
    }
    if (sample.empty()) return absl::OkStatus();
    ++report_.views;
    ASSIGN_OR_RETURN(auto online, online_.LookupCopies(sample));
    ASSIGN_OR_RETURN(auto push_record, db_.Get(Cf::kFeatureMeta, OnlinePushKey(name)));
    const bool pushes = push_record.has_value();
    FeatureLog::EntityChunks chunks = log.Entities(at_, {});
    for (size_t i = 0; i < sample.size(); ++i) {
      if (v.implausible.count(sample[i]) > 0) continue;  // reported
      RETURN_IF_ERROR(CompareEntity(v, chunks, sample[i], online[i], pushes));
    }
    return absl::OkStatus();
  }

  // Whether an online row belongs to what the snapshot shows (or was pushed).
  bool Visible(const codec::RowStamp& stamp) const { return at_.Includes(stamp.ingest); }

  // Reads every online row of the view: each one's event time is checked against
  // the plausible time; returns rows drawn for the comparison (reservoir sampling,
  // each row with equal chance), which reaches entities the log lacks.
  absl::StatusOr<std::vector<std::string>> ScanOnlineRows(ViewCheck& v) {
    std::vector<std::string> drawn;
    uint64_t seen = 0;
    std::string from;
    do {
      ASSIGN_OR_RETURN(OnlinePage page, online_.Scan(v.id, from, kScanPageRows));
      for (size_t i = 0; i < page.size(); ++i) {
        const absl::string_view entity = page.key(i), value = page.value(i);
        if (value.size() < codec::kOnlineHeaderBytes) continue;
        const codec::RowStamp stamp = codec::DecodeOnlineHeader(value);
        if (!Visible(stamp)) continue;
        ++report_.online_rows;
        if (!v.window.Contains(stamp.event)) {
          v.implausible.emplace(entity);
          Problem(v, entity, "implausible online row",
                  absl::StrCat("online row event time ", FormatTimestamp(stamp.event),
                               " is outside the plausible time ", v.window.Text()),
                  true);
        }
        if (options_.sample == 0) continue;
        if (drawn.size() < options_.sample) {
          drawn.emplace_back(entity);
        } else if (const uint64_t j =
                       std::uniform_int_distribution<uint64_t>(0, seen)(rng_);
                   j < options_.sample) {
          drawn[j] = std::string(entity);
        }
        ++seen;
      }
      from = std::move(page.resume);
    } while (!from.empty());
    return drawn;
  }

  // Compares one entity's online row with the newest rows of its log.
  absl::Status CompareEntity(const ViewCheck& v, FeatureLog::EntityChunks& chunks,
                             const std::string& entity,
                             const std::optional<std::string>& online, bool pushes) {
    const bool has_online =
        online.has_value() && online->size() >= codec::kOnlineHeaderBytes;
    if (has_online && !Visible(codec::DecodeOnlineHeader(*online)))
      return absl::OkStatus();
    ++report_.entities;
    // The newest row of the ingests that updated the online table, and of those
    // that may have.
    Newest updated, unknown;
    RETURN_IF_ERROR(NewestLogRows(chunks, records_.ingests, entity, &updated, &unknown));
    if (!has_online) {
      if (updated.found) {
        Problem(v, entity, "online row missing",
                absl::StrCat("no online row, but the log's newest row is (",
                             StampText(updated.stamp), ")"),
                false);
      }
      return absl::OkStatus();
    }
    const codec::RowStamp stamp = codec::DecodeOnlineHeader(*online);
    const absl::string_view row =
        absl::string_view(*online).substr(codec::kOnlineHeaderBytes);
    if (updated.found && updated.stamp > stamp) {
      Problem(v, entity, "stale online row",
              absl::StrCat("online row (", StampText(stamp),
                           ") is older than the log's newest row (",
                           StampText(updated.stamp), ")"),
              false);
      return absl::OkStatus();
    }
    const Newest* same = updated.found && updated.stamp == stamp   ? &updated
                         : unknown.found && unknown.stamp == stamp ? &unknown
                                                                   : nullptr;
    if (same != nullptr) {
      if (same->row != row) {
        Problem(v, entity, "online row differs",
                absl::StrCat("online row (", StampText(stamp),
                             ") holds other values than the log's row with those times"),
                false);
      }
    } else if (pushes) {
      ++report_.online_only;  // pushed online only, as the view's pushes do
    } else {
      const Newest& newest = updated.found ? updated : unknown;
      Problem(v, entity, "online row newer than the log",
              absl::StrCat("online row (", StampText(stamp), ") is newer than ",
                           newest.found ? absl::StrCat("the log's newest row (",
                                                       StampText(newest.stamp), ")")
                                        : std::string("any log row (there are none)"),
                           ", and nothing was ever pushed to the view"),
              true);
    }
    return absl::OkStatus();
  }

  void Problem(const ViewCheck& v, absl::string_view entity, std::string kind,
               absl::string_view detail, bool repair) {
    const std::string who = EntityText(entity.substr(4), v.def);
    std::string text =
        absl::StrCat("feature view ", v.name, " entity ", who, ": ", detail);
    if (repair) absl::StrAppend(&text, "; ", RepairHint(v.name, who));
    report_.problems.push_back(
        {std::move(kind), std::move(text), v.versions, v.name, who});
  }

  static constexpr size_t kScanPageRows = 1024;

  const OnlineCheckOptions& options_;
  OnlineCheckReport& report_;
  std::mt19937_64 rng_;
  FeatureRegistry registry_;
  RocksOnlineTable embedded_;
  OnlineTable& online_;  // read only: the check bypasses any cache
  FeatureTables tables_;
  ViewCatalog views_;
  internal::Db& db_;
  rocksdb::ManagedSnapshot snapshot_;
  rocksdb::ReadOptions ro_;
  IngestPosition at_;
  FeatureRecords records_;
};

}  // namespace

absl::StatusOr<OnlineCheckReport> CheckOnlineAgainstLog(
    Store& store, const OnlineCheckOptions& options) {
  OnlineCheckReport report;
  report.seed = options.seed != 0 ? options.seed
                                  : (static_cast<uint64_t>(std::random_device()()) << 32 |
                                     std::random_device()()) |
                                        1;
  OnlineCheck check(store, options, report);
  RETURN_IF_ERROR(check.Run());
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
