// Profiles: what a table's columns hold (docs/quality.md, "Statistics"), computed
// in one streaming pass over its blocks with bounded memory, and mergeable: the
// profile of two pieces merged is the profile of both (within the sketches'
// stated errors).
//
//   TableProfile profile;
//   RETURN_IF_ERROR(ScanSource(store, fs, ref, {}, [&](const TableBlock& b) {
//     return profile.Add(b);
//   }));
//   profile.column(0).Quantile(0.5);
#ifndef STRATA_QUALITY_PROFILE_H_
#define STRATA_QUALITY_PROFILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "quality/quality.pb.h"
#include "quality/sketches.h"
#include "quality/table_source.h"

namespace strata::quality {

// The quantiles every profile reports: p1, p5, p25, p50, p75, p95, p99.
inline constexpr double kQuantiles[] = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};
inline constexpr int kHistogramBins = 20;
inline constexpr size_t kTopValues = 10;

// One bin of a histogram: values in [lo, hi) (the last bin: [lo, hi]).
struct HistogramBin {
  double lo = 0, hi = 0;
  uint64_t count = 0;
};

// One column's values over a stretch of rows, read in place: what a profile adds.
// `present` has one entry per row (1: the row has a value); a numeric column's
// `numbers`, or a string column's `strings`, one per row too (placeholders where
// present is 0). The spans must outlive the Add they are given to.
struct ColumnValues {
  absl::Span<const uint8_t> present;
  absl::Span<const double> numbers;
  absl::Span<const absl::string_view> strings;
};

// One column's profile. Numbers (int64, double, bool, timestamp in microseconds)
// get min, max, mean, standard deviation, quantiles and a histogram; strings get
// their most frequent values. Every column gets count, nulls and distinct. Value
// type; not thread-safe.
class ColumnProfile {
 public:
  ColumnProfile(std::string name, ColumnType type);

  // Adds a block's values of this column. REQUIRES: column.type == type().
  void Add(const Column& column);
  // As Add(Column), without copying the values. REQUIRES: values hold the column's
  // kind (numbers or strings) for every row of values.present.
  void Add(const ColumnValues& values);
  // Adds `other`'s values: the profile of both. Errors: InvalidArgument when the
  // name or type differ.
  absl::Status Merge(const ColumnProfile& other);

  const std::string& name() const { return name_; }
  ColumnType type() const { return type_; }
  bool numeric() const { return type_ != ColumnType::kString; }
  uint64_t count() const { return count_; }  // rows with a value
  uint64_t nulls() const { return nulls_; }
  // Distinct values: exact up to DistinctSketch::kExactLimit, else within 2%.
  uint64_t distinct() const { return distinct_.Estimate(); }
  // Numbers, with count() > 0:
  double min() const { return min_; }
  double max() const { return max_; }
  // The sum (compensated) over count().
  double mean() const;
  // The sample standard deviation (n - 1 in the denominator, as pandas and
  // DuckDB); none below 2 values.
  std::optional<double> stddev() const;
  // The smallest value whose rank reaches q (rank error within 0.5%).
  double Quantile(double q) const { return quantiles_.Quantile(q); }
  // kHistogramBins bins of equal width between min and max (one bin when they are
  // equal), counts estimated from the quantile sketch (exact while it holds every
  // value; else each bin edge's rank within 0.5% of count()).
  std::vector<HistogramBin> Histogram() const;
  // Strings: the most frequent values with their counts (exact while the column
  // has at most FrequentValues::kDefaultCapacity distinct values).
  std::vector<std::pair<std::string, uint64_t>> Top(size_t n = kTopValues) const {
    return frequent_.Top(n);
  }

  void ToProto(ColumnProfileProto* proto) const;
  // Errors: InvalidArgument for a malformed record.
  static absl::StatusOr<ColumnProfile> FromProto(const ColumnProfileProto& proto);

 private:
  // Adds a piece's count, min, max, mean, squared deviations and compensated sum.
  void MergeMoments(uint64_t n, double lo, double hi, double mean, double m2, double sum,
                    double sum_error);

  std::string name_;
  ColumnType type_;
  uint64_t count_ = 0, nulls_ = 0;
  double min_ = 0, max_ = 0;
  double mean_ = 0, m2_ = 0;        // Welford's running mean, for m2_
  double sum_ = 0, sum_error_ = 0;  // the values' sum, compensated
  KllSketch quantiles_;
  DistinctSketch distinct_;
  FrequentValues frequent_;
  // How Add takes a string column's block (not part of the profile): whether the
  // last block counted had more distinct values than repeats, and blocks since.
  bool mostly_distinct_ = false;
  uint32_t blocks_since_count_ = 0;
};

// A table's profile: its rows and a profile per column. Value type.
class TableProfile {
 public:
  // Adds a block. The first block names the columns.
  // Errors: InvalidArgument when a later block's columns differ.
  absl::Status Add(const TableBlock& block);
  // Adds `rows` rows given as one ColumnValues per column, in the columns' order.
  // REQUIRES: the columns are named (by an Add of a TableBlock, rows or none).
  // Errors: InvalidArgument when the number of columns differs.
  absl::Status Add(size_t rows, absl::Span<const ColumnValues> columns);
  // Adds `other`'s rows (a table with the same columns). An empty profile takes
  // the other's columns. Errors: InvalidArgument when the columns differ.
  absl::Status Merge(const TableProfile& other);

  uint64_t rows() const { return rows_; }
  const std::vector<ColumnProfile>& columns() const { return columns_; }

  void ToProto(TableProfileProto* proto) const;
  // Errors: InvalidArgument for a malformed record or another format.
  static absl::StatusOr<TableProfile> FromProto(const TableProfileProto& proto);
  std::string Serialize() const;
  // Errors: InvalidArgument for bytes that are not a profile of this format.
  static absl::StatusOr<TableProfile> Parse(absl::string_view bytes);

 private:
  uint64_t rows_ = 0;
  std::vector<ColumnProfile> columns_;
};

// The profile of everything `ref` names, in one pass (ScanSource).
// Errors: as ScanSource.
absl::StatusOr<TableProfile> ComputeProfile(Store& store, features::FeatureStore& fs,
                                            const SourceRef& ref,
                                            const ScanOptions& options);

}  // namespace strata::quality

#endif  // STRATA_QUALITY_PROFILE_H_
