#include "quality/ingest_profile.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "features/ingest_observer.h"
#include "quality/profile_store.h"
#include "store/status_macros.h"

namespace strata::quality {
namespace {

constexpr char kFormat[] = "1";

// Rows handed to the profile at a time: its columns (and a string column's count of
// values) stay in the caches between the fill and the sketches. A whole block's
// (about 100,000 rows) cost a third more, in memory traffic and fresh pages.
constexpr size_t kRowsPerAdd = 4096;

// Profiles one ingest's rows, block by block out of turn, and stores the profile
// once the ingest committed.
class IngestProfiler : public features::IngestObserver {
 public:
  explicit IngestProfiler(Store* store) : store_(store) {}

  absl::Status OnStart(const features::IngestStart& start) override {
    view_ = start.view->name();
    view_version_ = start.view_version;
    created_default_ = start.created_default;
    for (const features::IngestColumn& c : start.columns) {
      columns_.push_back({c.name, ColumnTypeOf(c.type)});
      if (c.role == features::IngestColumn::Role::kCreatedTime) {
        created_column_ = columns_.size() - 1;
      }
    }
    return absl::OkStatus();
  }

  absl::Status OnBlock(features::IngestBlock&) override { return absl::OkStatus(); }

  absl::Status OnBlockConcurrent(const features::IngestBlock& block) override {
    Shard& shard = ThreadShard();
    for (size_t begin = 0; begin < block.rows(); begin += kRowsPerAdd) {
      const size_t end = std::min(block.rows(), begin + kRowsPerAdd);
      const size_t rows = Fill(block, begin, end, &shard);
      RETURN_IF_ERROR(shard.profile.Add(rows, shard.values));
    }
    return absl::OkStatus();
  }

  absl::Status AfterCommit(features::IngestResult& result) override {
    TableProfile profile;
    RETURN_IF_ERROR(profile.Add(TableBlock{Empty(), 0}));  // the columns, if no block
    for (const auto& [thread, shard] : shards_)
      RETURN_IF_ERROR(profile.Merge(shard->profile));
    const std::string bytes = profile.Serialize();
    auto source = StringSource(bytes);
    ASSIGN_OR_RETURN(PutStats put, store_->content().Put(*source));
    NewVersion version;
    version.artifact = {Kind::kProfile, IngestProfilesName(view_)};
    version.content_id = put.content_id;
    const uint64_t hidden = result.rows - result.written + result.shadowed;
    version.metadata = {{kIngestKey, absl::StrCat(result.ingest)},
                        {kViewKey, view_version_},
                        {kMinEventKey, absl::StrCat(result.min_event)},
                        {kMaxEventKey, absl::StrCat(result.max_event)},
                        {kHiddenKey, absl::StrCat(hidden)},
                        {kFormatKey, kFormat}};
    if (!result.dataset.empty()) {
      version.metadata[kDescribesKey] = result.dataset;
      version.inputs.push_back(result.dataset);
    }
    version.message =
        absl::StrCat("profile of ingest ", result.ingest, " into ", view_version_);
    ASSIGN_OR_RETURN(CommitResult commit, store_->artifacts().Commit(version));
    (void)commit;
    return absl::OkStatus();
  }

 private:
  std::vector<Column> Empty() const {
    std::vector<Column> out;
    for (const auto& [name, type] : columns_) out.push_back({name, type, {}, {}, {}});
    return out;
  }

  // A worker thread's share of the ingest's rows: its profile, and where it puts
  // what a column's values need besides the block's own arrays (kept: fresh vectors
  // cost page faults).
  struct Scratch {
    std::vector<uint8_t> present;
    std::vector<double> numbers;
    std::vector<absl::string_view> strings;
  };
  struct Shard {
    TableProfile profile;
    std::vector<Scratch> scratch;      // per column
    std::vector<ColumnValues> values;  // per column: what the profile adds
  };

  // The calling thread's shard: a worker's blocks never overlap one another.
  Shard& ThreadShard() {
    const std::thread::id self = std::this_thread::get_id();
    std::lock_guard lock(mu_);
    for (auto& [thread, shard] : shards_) {
      if (thread == self) return *shard;
    }
    auto& added = shards_.emplace_back(self, std::make_unique<Shard>());
    Shard& shard = *added.second;
    (void)shard.profile.Add(TableBlock{Empty(), 0});  // names the columns
    shard.scratch.resize(columns_.size());
    shard.values.resize(columns_.size());
    return shard;
  }

  // Rows [begin, end) of the block that the ingest writes, as ColumnValues in
  // shard->values: the block's own arrays where they serve as they are (a double
  // column, the presence bytes, with no row dropped), else the shard's scratch.
  // Returns how many rows.
  size_t Fill(const features::IngestBlock& block, size_t begin, size_t end,
              Shard* shard) const {
    const bool all = block.dropped_count() == 0;
    size_t rows = end - begin;
    if (!all) {
      for (size_t r = begin; r < end; ++r) rows -= block.dropped(r);
    }
    for (size_t c = 0; c < columns_.size(); ++c) {
      const features::IngestColumnValues& in = block.column(c);
      Scratch& scratch = shard->scratch[c];
      ColumnValues& out = shard->values[c];
      const bool text = columns_[c].second == ColumnType::kString;
      const bool patch_created = c == created_column_;
      // The rows kept, as indexes into the block; identity when all are.
      auto kept = [&](auto&& each) {
        size_t i = 0;
        for (size_t r = begin; r < end; ++r) {
          if (all || !block.dropped(r)) each(i++, r);
        }
      };
      if (all && !patch_created) {
        out.present = absl::MakeConstSpan(in.present).subspan(begin, rows);
      } else {
        scratch.present.resize(rows);
        kept([&](size_t i, size_t r) { scratch.present[i] = in.present[r]; });
        out.present = scratch.present;
      }
      out.numbers = {};
      out.strings = {};
      if (text) {
        scratch.strings.resize(rows);
        kept([&](size_t i, size_t r) { scratch.strings[i] = in.string(r); });
        out.strings = scratch.strings;
      } else if (in.type == features::VALUE_TYPE_DOUBLE && all && !patch_created) {
        out.numbers = absl::MakeConstSpan(in.doubles).subspan(begin, rows);
      } else {
        scratch.numbers.resize(rows);
        double* numbers = scratch.numbers.data();
        if (in.type == features::VALUE_TYPE_DOUBLE) {
          kept([&](size_t i, size_t r) { numbers[i] = in.doubles[r]; });
        } else {
          kept([&](size_t i, size_t r) { numbers[i] = static_cast<double>(in.ints[r]); });
        }
        out.numbers = scratch.numbers;
      }
      // A null created_timestamp is the time the ingest recorded.
      if (patch_created) {
        for (size_t i = 0; i < rows; ++i) {
          if (scratch.present[i]) continue;
          scratch.present[i] = 1;
          scratch.numbers[i] = static_cast<double>(created_default_);
        }
      }
    }
    return rows;
  }

  Store* store_;
  std::string view_, view_version_;
  features::Micros created_default_ = 0;
  std::vector<std::pair<std::string, ColumnType>> columns_;
  size_t created_column_ = SIZE_MAX;
  std::mutex mu_;
  // By worker thread; the list guarded by mu_, each shard by its thread.
  std::vector<std::pair<std::thread::id, std::unique_ptr<Shard>>> shards_;
};

// A stored ingest profile's version, as the window merge needs it.
struct Piece {
  features::Micros min_event = 0, max_event = 0;
  uint64_t hidden = 0;
  std::string content;  // raw content id
};

// The view's stored ingest profiles by ingest number (the newest of each).
absl::StatusOr<std::map<uint64_t, Piece>> StoredPieces(Store& store,
                                                       const std::string& view) {
  std::map<uint64_t, Piece> pieces;
  absl::StatusOr<std::vector<store::Version>> versions =
      store.artifacts().Versions({Kind::kProfile, IngestProfilesName(view)});
  if (absl::IsNotFound(versions.status())) return pieces;
  RETURN_IF_ERROR(versions.status());
  for (const store::Version& v : *versions) {
    const auto& meta = v.metadata();
    const auto get = [&meta](const char* key) {
      auto it = meta.find(key);
      return it == meta.end() ? std::string() : it->second;
    };
    uint64_t ingest;
    Piece p;
    if (v.has_deleted() || get(kFormatKey) != kFormat ||
        !absl::SimpleAtoi(get(kIngestKey), &ingest) ||
        !absl::SimpleAtoi(get(kMinEventKey), &p.min_event) ||
        !absl::SimpleAtoi(get(kMaxEventKey), &p.max_event) ||
        !absl::SimpleAtoi(get(kHiddenKey), &p.hidden)) {
      continue;
    }
    p.content = v.content_id();
    pieces[ingest] = std::move(p);
  }
  return pieces;
}

// The window's columns as its scan gives them (FeatureStore::ScanWindow), without
// reading a row.
absl::StatusOr<std::vector<std::pair<std::string, ColumnType>>> WindowColumns(
    features::FeatureStore& fs, const SourceRef& window) {
  std::vector<std::pair<std::string, ColumnType>> out;
  const absl::Status stop = absl::CancelledError("columns read");
  features::WindowScanRequest request;
  request.view = window.name;
  absl::Status s = fs.ScanWindow(
      request,
      [&](const std::vector<features::WindowColumn>& columns) {
        for (const auto& c : columns) out.emplace_back(c.name, ColumnTypeOf(c.type));
        return stop;
      },
      [](const std::vector<features::Value>&) { return absl::OkStatus(); });
  if (s != stop) RETURN_IF_ERROR(s);
  return out;
}

}  // namespace

std::string IngestProfilesName(const std::string& view) {
  return absl::StrCat(view, ".ingests");
}

features::IngestObserverFactory IngestProfiles(Store* store) {
  return [store]() -> std::unique_ptr<features::IngestObserver> {
    return std::make_unique<IngestProfiler>(store);
  };
}

absl::StatusOr<std::optional<TableProfile>> MergedWindowProfile(
    Store& store, features::FeatureStore& fs, const SourceRef& window, uint64_t* pieces) {
  *pieces = 0;
  const std::optional<TableProfile> scan;
  // Ingest profiles describe the offline log, not the answers a server gave.
  if (window.as_of.has_value() || window.served) return scan;
  ASSIGN_OR_RETURN(auto columns, WindowColumns(fs, window));
  ASSIGN_OR_RETURN(std::optional<features::Micros> horizon,
                   fs.LogRetentionHorizon(window.name));
  ASSIGN_OR_RETURN(std::vector<features::IngestRecord> ingests, fs.Ingests());
  // The ingests with rows in the window, each wholly inside it.
  std::vector<const features::IngestRecord*> in;
  for (const features::IngestRecord& r : ingests) {
    if (r.view() != window.name || r.rows() == 0) continue;
    if (r.max_event_us() < window.from || r.min_event_us() >= window.to) continue;
    if (r.min_event_us() < window.from || r.max_event_us() >= window.to) return scan;
    if (horizon.has_value() && r.min_event_us() <= *horizon) return scan;
    in.push_back(&r);
  }
  if (in.empty()) return scan;
  std::sort(in.begin(), in.end(), [](const auto* a, const auto* b) {
    return a->min_event_us() < b->min_event_us();
  });
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i]->min_event_us() <= in[i - 1]->max_event_us()) return scan;
  }
  ASSIGN_OR_RETURN(auto stored, StoredPieces(store, window.name));
  std::vector<const Piece*> found;
  for (const features::IngestRecord* r : in) {
    auto it = stored.find(r->ingest());
    if (it == stored.end() || it->second.hidden != 0 ||
        it->second.min_event != r->min_event_us() ||
        it->second.max_event != r->max_event_us()) {
      return scan;
    }
    found.push_back(&it->second);
  }
  TableProfile merged;
  for (const Piece* p : found) {
    ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(p->content));
    std::string bytes;
    auto sink = StringSink(&bytes);
    RETURN_IF_ERROR(store.content().Get(id, *sink));
    absl::StatusOr<TableProfile> piece = TableProfile::Parse(bytes);
    if (!piece.ok()) {
      return absl::DataLossError(absl::StrCat("profile/", IngestProfilesName(window.name),
                                              ": ", piece.status().message()));
    }
    // A piece profiled under another definition of the view has other columns.
    if (piece->columns().size() != columns.size()) return scan;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (piece->columns()[c].name() != columns[c].first ||
          piece->columns()[c].type() != columns[c].second) {
        return scan;
      }
    }
    RETURN_IF_ERROR(merged.Merge(*piece));
  }
  *pieces = found.size();
  return std::optional<TableProfile>(std::move(merged));
}

}  // namespace strata::quality
