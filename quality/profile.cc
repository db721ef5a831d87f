#include "quality/profile.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "store/excerpt.h"
#include "store/status_macros.h"

namespace strata::quality {

namespace {

std::optional<ColumnType> ParseColumnType(absl::string_view name) {
  for (ColumnType t : {ColumnType::kInt64, ColumnType::kDouble, ColumnType::kBool,
                       ColumnType::kString, ColumnType::kTimestamp}) {
    if (ColumnTypeName(t) == name) return t;
  }
  return std::nullopt;
}

// Neumaier's compensated summation: *error collects what each addition to *sum
// rounded away, so a mean of large numbers (timestamps in microseconds) comes out
// as the exact sum would give it.
void AddToSum(double x, double* sum, double* error) {
  const double t = *sum + x;
  *error += std::abs(*sum) >= std::abs(x) ? (*sum - t) + x : (x - t) + *sum;
  *sum = t;
}

}  // namespace

ColumnProfile::ColumnProfile(std::string name, ColumnType type)
    : name_(std::move(name)), type_(type) {}

void ColumnProfile::Add(const Column& column) {
  const size_t rows = column.present.size();
  if (type_ == ColumnType::kString) {
    // Counted per block first: a block's repeats cost one sketch update each.
    absl::flat_hash_map<absl::string_view, uint64_t> block;
    for (size_t i = 0; i < rows; ++i) {
      if (!column.present[i]) {
        ++nulls_;
        continue;
      }
      ++count_;
      ++block[column.strings[i]];
    }
    for (const auto& [value, n] : block) {
      distinct_.Add(StableHash(value));
      frequent_.Add(value, n);
    }
    return;
  }
  // The block's own count, min, max, sum and squared deviations (two passes, no
  // division per value), then merged in as a piece.
  uint64_t n = 0;
  double lo = 0, hi = 0, sum = 0, sum_error = 0;
  for (size_t i = 0; i < rows; ++i) {
    if (!column.present[i]) continue;
    const double x = column.numbers[i];
    if (n++ == 0) {
      lo = hi = x;
    } else {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    AddToSum(x, &sum, &sum_error);
    quantiles_.Add(x);
    distinct_.Add(StableHash(x));
  }
  nulls_ += rows - n;
  if (n == 0) return;
  const double mean = (sum + sum_error) / static_cast<double>(n);
  double m2 = 0, shift = 0;
  for (size_t i = 0; i < rows; ++i) {
    if (!column.present[i]) continue;
    const double d = column.numbers[i] - mean;
    m2 += d * d;
    shift += d;  // rounding left in the mean, taken out below
  }
  m2 -= shift * shift / static_cast<double>(n);
  MergeMoments(n, lo, hi, mean, m2, sum, sum_error);
}

void ColumnProfile::MergeMoments(uint64_t n, double lo, double hi, double mean, double m2,
                                 double sum, double sum_error) {
  if (n == 0) return;
  if (count_ == 0) {
    min_ = lo;
    max_ = hi;
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  // Chan, Golub and LeVeque's pairwise update.
  const double a = static_cast<double>(count_), b = static_cast<double>(n);
  const double delta = mean - mean_;
  mean_ += delta * b / (a + b);
  m2_ += m2 + delta * delta * a * b / (a + b);
  count_ += n;
  AddToSum(sum, &sum_, &sum_error_);
  AddToSum(sum_error, &sum_, &sum_error_);
}

absl::Status ColumnProfile::Merge(const ColumnProfile& other) {
  if (other.name_ != name_ || other.type_ != type_) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot merge the profile of column ", Excerpt(other.name_), " (",
                     ColumnTypeName(other.type_), ") into that of ", Excerpt(name_), " (",
                     ColumnTypeName(type_), ")"));
  }
  MergeMoments(other.count_, other.min_, other.max_, other.mean_, other.m2_, other.sum_,
               other.sum_error_);
  nulls_ += other.nulls_;
  quantiles_.Merge(other.quantiles_);
  distinct_.Merge(other.distinct_);
  frequent_.Merge(other.frequent_);
  return absl::OkStatus();
}

double ColumnProfile::mean() const {
  return count_ == 0 ? 0 : (sum_ + sum_error_) / static_cast<double>(count_);
}

std::optional<double> ColumnProfile::stddev() const {
  if (count_ < 2) return std::nullopt;
  return std::sqrt(m2_ / static_cast<double>(count_ - 1));
}

std::vector<HistogramBin> ColumnProfile::Histogram() const {
  std::vector<HistogramBin> bins;
  if (count_ == 0 || type_ == ColumnType::kString) return bins;
  if (min_ == max_) {
    bins.push_back({min_, max_, count_});
    return bins;
  }
  double below = 0;  // estimated values below the current bin's lower edge
  for (int i = 0; i < kHistogramBins; ++i) {
    HistogramBin bin;
    const auto edge = [this](int j) { return min_ + (max_ - min_) * j / kHistogramBins; };
    bin.lo = edge(i);
    bin.hi = i + 1 == kHistogramBins ? max_ : edge(i + 1);
    const double upto = i + 1 == kHistogramBins ? static_cast<double>(count_)
                                                : quantiles_.Rank(bin.hi, false);
    bin.count = static_cast<uint64_t>(std::llround(std::max(0.0, upto - below)));
    below = std::max(below, upto);
    bins.push_back(bin);
  }
  return bins;
}

void ColumnProfile::ToProto(ColumnProfileProto* proto) const {
  proto->set_name(name_);
  proto->set_type(std::string(ColumnTypeName(type_)));
  proto->set_count(count_);
  proto->set_nulls(nulls_);
  proto->set_min(min_);
  proto->set_max(max_);
  proto->set_mean(mean_);
  proto->set_m2(m2_);
  proto->set_sum(sum_);
  proto->set_sum_error(sum_error_);
  if (type_ != ColumnType::kString) quantiles_.ToProto(proto->mutable_quantiles());
  distinct_.ToProto(proto->mutable_distinct());
  if (type_ == ColumnType::kString) frequent_.ToProto(proto->mutable_frequent());
}

absl::StatusOr<ColumnProfile> ColumnProfile::FromProto(const ColumnProfileProto& proto) {
  std::optional<ColumnType> type = ParseColumnType(proto.type());
  if (!type.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed profile: column type ", Excerpt(proto.type())));
  }
  ColumnProfile p(proto.name(), *type);
  p.count_ = proto.count();
  p.nulls_ = proto.nulls();
  p.min_ = proto.min();
  p.max_ = proto.max();
  p.mean_ = proto.mean();
  p.m2_ = proto.m2();
  p.sum_ = proto.sum();
  p.sum_error_ = proto.sum_error();
  if (proto.has_quantiles()) {
    ASSIGN_OR_RETURN(p.quantiles_, KllSketch::FromProto(proto.quantiles()));
  }
  ASSIGN_OR_RETURN(p.distinct_, DistinctSketch::FromProto(proto.distinct()));
  if (proto.has_frequent()) p.frequent_ = FrequentValues::FromProto(proto.frequent());
  return p;
}

absl::Status TableProfile::Add(const TableBlock& block) {
  if (columns_.empty() && rows_ == 0) {
    for (const Column& c : block.columns) columns_.emplace_back(c.name, c.type);
  }
  if (block.columns.size() != columns_.size()) {
    return absl::InvalidArgumentError("a block's columns differ from the profile's");
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (block.columns[i].name != columns_[i].name() ||
        block.columns[i].type != columns_[i].type()) {
      return absl::InvalidArgumentError(absl::StrCat("a block's column ",
                                                     Excerpt(block.columns[i].name),
                                                     " differs from the profile's"));
    }
    columns_[i].Add(block.columns[i]);
  }
  rows_ += block.rows;
  return absl::OkStatus();
}

absl::Status TableProfile::Merge(const TableProfile& other) {
  if (columns_.empty() && rows_ == 0) {
    *this = other;
    return absl::OkStatus();
  }
  if (other.columns_.size() != columns_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot merge a profile of ", other.columns_.size(),
                     " columns into one of ", columns_.size()));
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    RETURN_IF_ERROR(columns_[i].Merge(other.columns_[i]));
  }
  rows_ += other.rows_;
  return absl::OkStatus();
}

void TableProfile::ToProto(TableProfileProto* proto) const {
  proto->set_format(1);
  proto->set_rows(rows_);
  for (const ColumnProfile& c : columns_) c.ToProto(proto->add_columns());
}

std::string TableProfile::Serialize() const {
  TableProfileProto proto;
  ToProto(&proto);
  return proto.SerializeAsString();
}

absl::StatusOr<TableProfile> TableProfile::Parse(absl::string_view bytes) {
  TableProfileProto proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("not a profile of format 1");
  }
  return FromProto(proto);
}

absl::StatusOr<TableProfile> TableProfile::FromProto(const TableProfileProto& proto) {
  if (proto.format() != 1) return absl::InvalidArgumentError("not a profile of format 1");
  TableProfile profile;
  profile.rows_ = proto.rows();
  for (const ColumnProfileProto& c : proto.columns()) {
    ASSIGN_OR_RETURN(ColumnProfile column, ColumnProfile::FromProto(c));
    profile.columns_.push_back(std::move(column));
  }
  return profile;
}

namespace {

// One thread profiling its share of every block's columns, handed over one block
// at a time.
class ColumnWorker {
 public:
  ColumnWorker() : thread_([this] { Run(); }) {}
  ~ColumnWorker() { Finish().IgnoreError(); }  // the caller reads it first

  // Waits until the previous block is taken, then hands over `block`.
  void Give(TableBlock block) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !pending_.has_value(); });
    pending_ = std::move(block);
    cv_.notify_all();
  }
  // Waits for the blocks given to be profiled; returns the profile's status.
  absl::Status Finish() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  const TableProfile& profile() const { return profile_; }

 private:
  void Run() {
    while (true) {
      TableBlock block;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return pending_.has_value() || done_; });
        if (!pending_.has_value()) return;
        block = *std::move(pending_);
        pending_.reset();
      }
      cv_.notify_all();
      if (status_.ok()) status_ = profile_.Add(block);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<TableBlock> pending_;  // guarded by mu_
  bool done_ = false;                  // guarded by mu_
  TableProfile profile_;               // the worker's, until Finish
  absl::Status status_;                // the worker's, until Finish
  std::thread thread_;                 // last: starts once the rest is built
};

}  // namespace

absl::StatusOr<TableProfile> ComputeProfile(Store& store, features::FeatureStore& fs,
                                            const SourceRef& ref,
                                            const ScanOptions& options) {
  // Two threads profile alternate columns of each block while the scan reads and
  // parses the next one: the sketches cost more than the parse.
  constexpr size_t kWorkers = 2;
  std::unique_ptr<ColumnWorker> workers[kWorkers];
  for (auto& w : workers) w = std::make_unique<ColumnWorker>();
  // The scan reads a CSV once, starting over if a late value changes a type.
  ScanOptions once = options;
  once.restart = [&] {
    if (options.restart) options.restart();
    for (auto& w : workers) {
      w->Finish().IgnoreError();  // void: what it profiled goes
      w = std::make_unique<ColumnWorker>();
    }
  };
  absl::Status scan = ScanSource(store, fs, ref, once, [&](const TableBlock& block) {
    for (size_t w = 0; w < kWorkers; ++w) {
      TableBlock share;
      share.rows = block.rows;
      for (size_t i = w; i < block.columns.size(); i += kWorkers) {
        share.columns.push_back(block.columns[i]);
      }
      workers[w]->Give(std::move(share));
    }
    return absl::OkStatus();
  });
  absl::Status profiled;
  for (auto& w : workers) profiled.Update(w->Finish());
  RETURN_IF_ERROR(scan);
  RETURN_IF_ERROR(profiled);
  // The shares' columns, back in the table's order.
  TableProfileProto shares[kWorkers], whole;
  for (size_t w = 0; w < kWorkers; ++w) workers[w]->profile().ToProto(&shares[w]);
  whole.set_format(1);
  whole.set_rows(shares[0].rows());
  for (int i = 0; i < shares[0].columns_size(); ++i) {
    for (size_t w = 0; w < kWorkers; ++w) {
      if (i < shares[w].columns_size())
        *whole.add_columns() = std::move(shares[w].columns()[i]);
    }
  }
  return TableProfile::FromProto(whole);
}

}  // namespace strata::quality
