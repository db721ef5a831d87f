#include "quality/drift_report.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "store/excerpt.h"
#include "store/ref.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::quality {
namespace {

// The key of a saved training set's metadata naming each view it read
// (features/training_sets.cc).
constexpr absl::string_view kReadsFrom = "log.reads_from.";

// One side: what it reads, the views it draws on, and their drift thresholds.
struct Side {
  SourceRef ref;
  std::string label;               // "dataset/NAME@N" or the window
  std::vector<std::string> views;  // names
};

absl::StatusOr<Side> ResolveSide(Store& store, const std::string& text) {
  Side side;
  ASSIGN_OR_RETURN(side.ref, ParseSourceRef(text));
  if (side.ref.kind == SourceRef::Kind::kWindow) {
    side.views.push_back(side.ref.name);
    side.label = side.ref.ToString();
    return side;
  }
  ASSIGN_OR_RETURN(Ref ref, ParseRef(side.ref.name));
  ASSIGN_OR_RETURN(store::Version version, store.artifacts().Resolve(ref));
  side.label = VersionRef(version);
  side.ref.name = side.label;  // the version resolved is the one read
  for (const auto& [key, value] : version.metadata()) {
    if (absl::StartsWith(key, kReadsFrom))
      side.views.push_back(key.substr(kReadsFrom.size()));
  }
  return side;
}

DriftThresholds ThresholdsOf(const features::FeatureView& view) {
  DriftThresholds t;
  if (!view.has_drift()) return t;
  const features::DriftThresholds& d = view.drift();
  if (d.has_psi()) t.psi = d.psi();
  if (d.has_ks_p_value()) t.ks_p_value = d.ks_p_value();
  if (d.has_ks_statistic()) t.ks_statistic = d.ks_statistic();
  return t;
}

Column* FindColumn(TableBlock& table, const std::string& name) {
  for (Column& c : table.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool IsNumeric(ColumnType type) {
  return type == ColumnType::kInt64 || type == ColumnType::kDouble;
}

// The column's values (taken whole when it has no null: each column is compared
// once).
std::vector<double> Numbers(Column& c) {
  if (std::all_of(c.present.begin(), c.present.end(), [](uint8_t p) { return p != 0; }))
    return std::move(c.numbers);
  std::vector<double> out;
  out.reserve(c.numbers.size());
  for (size_t i = 0; i < c.numbers.size(); ++i) {
    if (c.present[i]) out.push_back(c.numbers[i]);
  }
  return out;
}

CategoryCounts Categories(const Column& c) {
  CategoryCounts out;
  for (size_t i = 0; i < c.present.size(); ++i) {
    if (!c.present[i]) continue;
    if (c.type == ColumnType::kBool) {
      ++out[c.numbers[i] != 0 ? "true" : "false"];
    } else {
      ++out[c.strings[i]];
    }
  }
  return out;
}

// A feature's baseline and current types, checked against each other.
absl::Status CheckTypes(const Column& base, const Column& cur) {
  if (base.type == ColumnType::kTimestamp || cur.type == ColumnType::kTimestamp) {
    return absl::InvalidArgumentError(absl::StrCat("feature ", Excerpt(base.name),
                                                   " is a timestamp: drift compares "
                                                   "numbers, strings and bools"));
  }
  const bool numeric = IsNumeric(base.type);
  if (numeric != IsNumeric(cur.type) ||
      (!numeric && (base.type == ColumnType::kBool) != (cur.type == ColumnType::kBool))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feature ", Excerpt(base.name), " is ", ColumnTypeName(base.type),
        " in the baseline but ", ColumnTypeName(cur.type), " in the current"));
  }
  return absl::OkStatus();
}

// One side of a feature made ready to compare: its numbers sorted, or its
// categories counted.
struct PreparedSide {
  std::optional<NumericSample> numbers;
  CategoryCounts categories;
  uint64_t count = 0;  // values
};

PreparedSide Prepare(Column& c) {
  PreparedSide side;
  if (IsNumeric(c.type)) {
    side.numbers.emplace(Numbers(c));
    side.count = side.numbers->size();
  } else {
    side.categories = Categories(c);
    for (const auto& [v, n] : side.categories) side.count += n;
  }
  return side;
}

absl::StatusOr<FeatureDrift> Compare(const Column& column, const PreparedSide& base,
                                     const PreparedSide& cur,
                                     const DriftThresholds& thresholds) {
  FeatureDrift f;
  f.name = column.name;
  f.type = column.type;
  f.numeric = IsNumeric(column.type);
  f.baseline_count = base.count;
  f.current_count = cur.count;
  if (f.baseline_count == 0 || f.current_count == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature ", Excerpt(column.name), " has no value in the ",
                     f.baseline_count == 0 ? "baseline" : "current"));
  }
  if (f.numeric) {
    f.numbers = CompareNumeric(*base.numbers, *cur.numbers, thresholds);
    f.drifted = f.numbers.drifted;
  } else {
    f.categories = CompareCategorical(base.categories, cur.categories, thresholds);
    f.drifted = f.categories.drifted;
  }
  return f;
}

// Calls fn(i) for every i in [0, n), on up to one thread per core.
void ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  const size_t threads =
      std::min<size_t>(n, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& t : helpers) t.join();
}

}  // namespace

absl::StatusOr<DriftResult> Drift(Store& store, features::FeatureStore& fs,
                                  const DriftRequest& request) {
  ASSIGN_OR_RETURN(Side baseline, ResolveSide(store, request.baseline));
  ASSIGN_OR_RETURN(Side current, ResolveSide(store, request.current));
  DriftResult result;
  result.baseline = baseline.label;
  result.current = current.label;

  absl::flat_hash_set<std::string> excluded = {"event_timestamp", "created_timestamp"};
  for (const Side* side : {&baseline, &current}) {
    for (const std::string& name : side->views) {
      ASSIGN_OR_RETURN(features::FeatureView view, fs.registry().Get(name));
      for (const features::Entity& e : view.entities()) {
        for (const features::JoinKey& k : e.join_keys()) excluded.insert(k.name());
      }
    }
  }
  result.view = current.label.substr(0, current.label.find('@'));  // "dataset/NAME"
  for (const Side* side : {&current, &baseline}) {
    if (side->ref.kind != SourceRef::Kind::kWindow) continue;
    ASSIGN_OR_RETURN(features::FeatureView view, fs.registry().Get(side->ref.name));
    result.thresholds = ThresholdsOf(view);
    result.view = side->ref.name;
    break;
  }

  // Both sides read at once (each parses on threads of its own too); the baseline's
  // error first, as if read first.
  std::future<absl::StatusOr<TableBlock>> baseline_read = std::async(
      std::launch::async,
      [&] { return ReadSource(store, fs, baseline.ref, {}, request.features); });
  absl::StatusOr<TableBlock> current_read =
      ReadSource(store, fs, current.ref, {}, request.features);
  ASSIGN_OR_RETURN(TableBlock base, baseline_read.get());
  ASSIGN_OR_RETURN(TableBlock cur, std::move(current_read));
  std::vector<std::pair<Column*, Column*>> pairs;
  for (Column& b : base.columns) {
    Column* c = FindColumn(cur, b.name);
    if (c == nullptr) continue;
    if (request.features.empty() &&
        (excluded.contains(b.name) || b.type == ColumnType::kTimestamp ||
         c->type == ColumnType::kTimestamp)) {
      continue;
    }
    pairs.emplace_back(&b, c);
  }
  // Each side of each feature is sorted (or counted) as a task of its own, then
  // each feature compared, spread over the cores: sorting dominates, and a task per
  // side balances two cores better than one per feature. The first error in column
  // order is the one returned.
  std::vector<absl::Status> checked;
  for (const auto& [b, c] : pairs) checked.push_back(CheckTypes(*b, *c));
  std::vector<PreparedSide> sides(2 * pairs.size());
  ParallelFor(sides.size(), [&](size_t k) {
    if (!checked[k / 2].ok()) return;
    sides[k] = Prepare(k % 2 == 0 ? *pairs[k / 2].first : *pairs[k / 2].second);
  });
  std::vector<absl::StatusOr<FeatureDrift>> compared(pairs.size(),
                                                     absl::InternalError("not compared"));
  ParallelFor(pairs.size(), [&](size_t i) {
    compared[i] = checked[i].ok() ? Compare(*pairs[i].first, sides[2 * i],
                                            sides[2 * i + 1], result.thresholds)
                                  : checked[i];
  });
  for (absl::StatusOr<FeatureDrift>& f : compared) {
    RETURN_IF_ERROR(f.status());
    result.features.push_back(*std::move(f));
  }
  if (result.features.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        result.baseline, " and ", result.current, " have no feature column in common"));
  }
  return result;
}

}  // namespace strata::quality
