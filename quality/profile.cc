#include "quality/profile.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "quality/internal/column_sums.h"
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
  std::vector<absl::string_view> strings(column.strings.begin(), column.strings.end());
  Add(ColumnValues{
      .present = column.present, .numbers = column.numbers, .strings = strings});
}

void ColumnProfile::Add(const ColumnValues& column) {
  const size_t rows = column.present.size();
  if (type_ == ColumnType::kString) {
    // Counted per block first: a block's repeats cost one sketch update each. A
    // column whose blocks are mostly distinct values (ids, codes) gains nothing
    // from it: its values go to the sketches one by one, and every 16th block is
    // counted again to tell whether it still is.
    const bool count_first = !mostly_distinct_ || ++blocks_since_count_ % 16 == 0;
    if (!count_first) {
      // Hashed once for both sketches; the distinct sketch takes them all at once.
      std::unique_ptr<uint64_t[]> hashes(new uint64_t[rows]);
      size_t n = 0;
      for (size_t i = 0; i < rows; ++i) {
        if (!column.present[i]) continue;
        hashes[n] = StableHash(column.strings[i]);
        frequent_.Add(column.strings[i], hashes[n++], 1);
      }
      distinct_.Add(hashes.get(), n);
      count_ += n;
      nulls_ += rows - n;
      return;
    }
    // A few values (categories) are counted by comparing each with the block's
    // first kFewValues ones, without hashing; the rest in a hash map.
    constexpr size_t kFewValues = 8;
    absl::string_view few[kFewValues];
    uint64_t few_counts[kFewValues] = {};
    size_t nfew = 0;
    absl::flat_hash_map<absl::string_view, uint64_t> block;
    size_t present = 0;
    for (size_t i = 0; i < rows; ++i) {
      if (!column.present[i]) {
        ++nulls_;
        continue;
      }
      ++present;
      const absl::string_view value = column.strings[i];
      size_t f = 0;
      // Length and first byte first: most mismatches end there, without a call.
      while (f < nfew && (few[f].size() != value.size() ||
                          (!value.empty() && few[f][0] != value[0]) || few[f] != value)) {
        ++f;
      }
      if (f < nfew) {
        ++few_counts[f];
      } else if (nfew < kFewValues) {
        few[nfew] = value;
        few_counts[nfew++] = 1;
      } else {
        if (block.empty()) block.reserve(rows - i);  // not grown (rehashed) on the way
        ++block[value];
      }
    }
    count_ += present;
    for (size_t f = 0; f < nfew; ++f) {
      const uint64_t hash = StableHash(few[f]);
      distinct_.Add(hash);
      frequent_.Add(few[f], hash, few_counts[f]);
    }
    for (const auto& [value, n] : block) {
      const uint64_t hash = StableHash(value);
      distinct_.Add(hash);
      frequent_.Add(value, hash, n);
    }
    mostly_distinct_ = present >= 256 && (nfew + block.size()) * 2 > present;
    blocks_since_count_ = 0;
    return;
  }
  // The block's own count, min, max, sum and squared deviations (two passes, no
  // division per value), then merged in as a piece.
  uint64_t n = 0;
  double lo = 0, hi = 0, sum = 0, sum_error = 0;
  // Taken by the distinct sketch at once; uninitialized: only [0, n) is read.
  std::unique_ptr<uint64_t[]> hashes(new uint64_t[rows]);
  const size_t with_value =
      std::accumulate(column.present.begin(), column.present.end(), size_t{0});
  if (with_value == rows && rows > 0) {
    // No nulls: four independent lanes (quality/internal/column_sums), each sum
    // compensated, then summed so.
    const double* x = column.numbers.data();
    SumLanes lanes = {{x[0], x[0], x[0], x[0]}, {x[0], x[0], x[0], x[0]}, {}, {}};
    AddInLanes(x, rows, &lanes);
    const double(&lo4)[4] = lanes.lo;
    const double(&hi4)[4] = lanes.hi;
    lo = std::min(std::min(lo4[0], lo4[1]), std::min(lo4[2], lo4[3]));
    hi = std::max(std::max(hi4[0], hi4[1]), std::max(hi4[2], hi4[3]));
    for (int l = 0; l < 4; ++l) {
      AddToSum(lanes.sum[l], &sum, &sum_error);
      sum_error += lanes.error[l];
    }
    n = rows;
  } else {
    for (size_t i = 0; i < rows; ++i) {
      if (!column.present[i]) continue;
      const double x = column.numbers[i];
      if (n == 0) {
        lo = hi = x;
      } else {
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
      AddToSum(x, &sum, &sum_error);
      ++n;
    }
  }
  // Apart from the sums: the hash's call would keep them in memory.
  StableHashes(column.numbers.data(), rows, hashes.get());
  if (n != rows) {  // the nulls' placeholders out
    for (size_t i = 0, j = 0; i < rows; ++i) {
      if (column.present[i]) hashes[j++] = hashes[i];
    }
  }
  distinct_.Add(hashes.get(), n);
  if (n == rows) {
    quantiles_.Add(column.numbers.data(), rows);
  } else {
    for (size_t i = 0; i < rows; ++i) {
      if (column.present[i]) quantiles_.Add(column.numbers[i]);
    }
  }
  nulls_ += rows - n;
  if (n == 0) return;
  const double mean = (sum + sum_error) / static_cast<double>(n);
  // Four lanes again; a null's deviation counts as none.
  double m2_4[4] = {0, 0, 0, 0}, shift4[4] = {0, 0, 0, 0};
  const double* x = column.numbers.data();
  const uint8_t* present = column.present.data();
  // shift: the rounding left in the mean, taken out below.
  AddDeviationsInLanes(x, present, rows, mean, m2_4, shift4);
  const double shift = (shift4[0] + shift4[1]) + (shift4[2] + shift4[3]);
  const double m2 =
      (m2_4[0] + m2_4[1]) + (m2_4[2] + m2_4[3]) - shift * shift / static_cast<double>(n);
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

absl::Status TableProfile::Add(size_t rows, absl::Span<const ColumnValues> columns) {
  if (columns.size() != columns_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a block of ", columns.size(), " columns for a profile of ", columns_.size()));
  }
  for (size_t i = 0; i < columns_.size(); ++i) columns_[i].Add(columns[i]);
  rows_ += rows;
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

// The profiles of columns first, first + stride, ... of a table's blocks.
class ColumnShare {
 public:
  ColumnShare(size_t first, size_t stride) : first_(first), stride_(stride) {}

  void Add(const TableBlock& block) {
    if (columns_.empty()) {
      for (size_t i = first_; i < block.columns.size(); i += stride_) {
        columns_.emplace_back(block.columns[i].name, block.columns[i].type);
      }
    }
    for (size_t i = first_, j = 0; i < block.columns.size(); i += stride_, ++j) {
      columns_[j].Add(block.columns[i]);
    }
  }
  // Column first + j * stride.
  const ColumnProfile& column(size_t j) const { return columns_[j]; }
  size_t size() const { return columns_.size(); }

 private:
  size_t first_, stride_;
  std::vector<ColumnProfile> columns_;
};

// A thread profiling a share of each block's columns while the calling thread
// profiles the rest: Give a block, then Wait before the block goes.
class ShareWorker {
 public:
  ShareWorker(size_t first, size_t stride)
      : share_(first, stride), thread_([this] { Run(); }) {}
  ~ShareWorker() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // REQUIRES: the previous block waited for; `block` valid until Wait returns.
  void Give(const TableBlock* block) {
    std::lock_guard lock(mu_);
    block_ = block;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return block_ == nullptr; });
  }
  // Once the last block is waited for.
  const ColumnShare& share() const { return share_; }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return block_ != nullptr || done_; });
      if (block_ == nullptr) return;
      lock.unlock();
      share_.Add(*block_);
      lock.lock();
      block_ = nullptr;
      cv_.notify_all();
    }
  }

  ColumnShare share_;  // the worker's, between Give and Wait
  std::mutex mu_;
  std::condition_variable cv_;
  const TableBlock* block_ = nullptr;  // guarded by mu_: the block to profile
  bool done_ = false;                  // guarded by mu_
  std::thread thread_;                 // last: starts once the rest is built
};

}  // namespace

absl::StatusOr<TableProfile> ComputeProfile(Store& store, features::FeatureStore& fs,
                                            const SourceRef& ref,
                                            const ScanOptions& options) {
  // The calling thread and a worker profile alternate columns of each block (the
  // sketches cost about what the parse does) while the scan's threads parse the
  // next blocks. Blocks as parsed: none is copied.
  std::optional<ColumnShare> mine;
  std::optional<ShareWorker> worker;
  uint64_t rows = 0;
  const auto start = [&] {
    mine.emplace(0, 2);
    worker.emplace(1, 2);
    rows = 0;
  };
  start();
  ScanOptions once = options;
  once.block_rows = 0;
  // The scan reads a CSV once, starting over if a late value changes a type.
  once.restart = [&] {
    if (options.restart) options.restart();
    worker.reset();
    start();
  };
  RETURN_IF_ERROR(ScanSource(store, fs, ref, once, [&](const TableBlock& block) {
    worker->Give(&block);
    mine->Add(block);
    worker->Wait();
    rows += block.rows;
    return absl::OkStatus();
  }));
  // The shares' columns, back in the table's order.
  TableProfileProto whole;
  whole.set_format(1);
  whole.set_rows(rows);
  const ColumnShare& theirs = worker->share();
  for (size_t j = 0; j < mine->size(); ++j) {
    mine->column(j).ToProto(whole.add_columns());
    if (j < theirs.size()) theirs.column(j).ToProto(whole.add_columns());
  }
  return TableProfile::FromProto(whole);
}

}  // namespace strata::quality
