// The mergeable summaries a profile is made of (docs/quality.md, "Statistics"):
// quantiles (KLL), distinct values (exact, then HyperLogLog) and frequent values
// (Misra-Gries). Each takes values one at a time or in weighted batches, merges
// with another of the same parameters, and round-trips through its proto
// (quality/quality.proto). Not thread-safe; value types.
#ifndef STRATA_QUALITY_SKETCHES_H_
#define STRATA_QUALITY_SKETCHES_H_

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "quality/quality.pb.h"

namespace strata::quality {

// A 64-bit hash that is the same in every process and build (profiles are stored
// and merged later): absl::Hash is seeded per process.
uint64_t StableHash(absl::string_view bytes);
inline uint64_t StableHash(double number);

namespace sketches_internal {
// SplitMix64's finalizer: every input bit flips about half the output bits.
inline uint64_t Mix(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace sketches_internal

// Inline: profiles hash every number of a column.
inline uint64_t StableHash(double number) {
  if (number == 0) number = 0;  // -0.0 and 0.0 are one value
  uint64_t bits;
  std::memcpy(&bits, &number, 8);
  return sketches_internal::Mix(sketches_internal::Mix(bits) ^ 0xd6e8feb86659fd93ULL);
}

// StableHash of each of numbers[0..n), into hashes[0..n): the same values, in a loop
// the compiler vectorizes where the processor multiplies 64-bit lanes (AVX-512DQ,
// chosen at run time), about three times as fast as one at a time.
void StableHashes(const double* numbers, size_t n, uint64_t* hashes);

// Quantiles of a stream of numbers: Karnin, Lang and Liberty's KLL sketch. Levels
// of sorted items of weight 2^level; a full level is compacted by keeping every
// other item (a random half) at the next level up. With k = 2048 the rank error
// of a quantile is about 0.1% (at most 0.5% with overwhelming probability), and
// a stream of fewer than k + kLevelZeroBatch items (18,432) is kept whole: its
// quantiles are exact. Memory: about 3k + kLevelZeroBatch numbers plus
// kMinLevelCapacity per level (a level per doubling of the stream past k), whatever
// the stream's length. Compactions draw from a
// generator seeded by the sketch: the same input gives the same sketch.
class KllSketch {
 public:
  static constexpr uint32_t kDefaultK = 2048;
  // The least capacity of a level. KLL's lowest levels would hold a few items and
  // be sorted and halved every few values; at 256 a level is compacted once per
  // ~128 values, for a few thousand more numbers of memory and slightly smaller
  // errors.
  static constexpr size_t kMinLevelCapacity = 256;
  // Items the lowest level gathers past the sketch's capacity before a compaction:
  // new items are sorted in runs of at least this many, and compacted in fewer,
  // larger steps, which only lowers the error. 16,384 was 8% faster per number
  // than 4,096 (bench/profile_bench), 32,768 no faster; it costs as many numbers of
  // memory (128 KiB a sketch).
  static constexpr size_t kLevelZeroBatch = 16384;
  // Numbers after which the lowest level is halved before it is sorted (one of
  // each two neighbours in arrival order, at random, with twice the weight): a
  // sort of half the items, for a rank error that grows by at most
  // sqrt((n - kSampleFrom) / 2) items, at most 0.07% of n at any n (its largest,
  // at n = 2 kSampleFrom; about 0.05% for numbers in random order), beside the
  // sketch's own.
  static constexpr uint64_t kSampleFrom = uint64_t{1} << 18;
  explicit KllSketch(uint32_t k = kDefaultK);

  void Add(double value);
  // Adds values[0..n) in order: the same as one at a time, copied in runs.
  void Add(const double* values, size_t n);
  // Adds `other`'s items. REQUIRES: the same k.
  void Merge(const KllSketch& other);

  uint64_t count() const { return n_; }
  // The weight of the items < x (below = true) or <= x, estimated.
  double Rank(double x, bool inclusive) const;
  // The smallest item whose inclusive rank reaches q * count(), for q in [0, 1].
  // REQUIRES: count() > 0.
  double Quantile(double q) const;

  void ToProto(KllProto* proto) const;
  // Errors: InvalidArgument for a malformed proto.
  static absl::StatusOr<KllSketch> FromProto(const KllProto& proto);

 private:
  size_t Capacity(size_t level) const;
  void UpdateCapacities();
  void Compress();
  // Every item with its weight, sorted by value.
  std::vector<std::pair<double, uint64_t>> Weighted() const;

  uint32_t k_;
  uint64_t n_ = 0;
  size_t size_ = 0;  // items held, all levels
  // Capacity(h) of each level and their sum, cached: Add reads the sum per item.
  std::vector<size_t> capacities_;
  size_t total_capacity_ = 0;
  // Level 0 in arrival order; every level above sorted (a compaction merges its
  // sorted half in, instead of sorting the level again).
  std::vector<std::vector<double>> levels_;
  std::mt19937_64 rng_;
  std::vector<double> merged_;  // scratch of a compaction's merge
};

// Distinct values, by their StableHash: exact (a set of hashes) up to kExactLimit,
// then a HyperLogLog of 2^16 registers read with Ertl's improved estimator (2017),
// unbiased from 1 to billions: relative standard error 1.04 / 256 = 0.4%, so
// within 2% with overwhelming probability. Memory: 64 KiB once past the limit.
class DistinctSketch {
 public:
  static constexpr size_t kExactLimit = 4096;
  static constexpr int kPrecision = 16;

  void Add(uint64_t hash);
  // Adds hashes[0..n): the same as one at a time, faster past the exact limit (the
  // registers are fetched ahead).
  void Add(const uint64_t* hashes, size_t n);
  void Merge(const DistinctSketch& other);
  // Exact while exact(), else the estimate, rounded.
  uint64_t Estimate() const;
  bool exact() const { return registers_.empty(); }

  void ToProto(DistinctProto* proto) const;
  // Errors: InvalidArgument for a malformed proto.
  static absl::StatusOr<DistinctSketch> FromProto(const DistinctProto& proto);

 private:
  void AddToRegisters(uint64_t hash);
  absl::flat_hash_set<uint64_t> exact_;
  std::vector<uint8_t> registers_;  // empty while exact
};

// Frequent values (Misra-Gries, in the mergeable form of Agarwal et al.): up to
// `capacity` counters; when a new value finds them full, the median count is
// subtracted from every counter and those left at zero or below are dropped. A
// value's count is then a lower bound within `offset()` of the truth, offset being
// at most 2n / capacity; with at most `capacity` distinct values, counts are exact.
// Values are told apart by their StableHash (two values of one 64-bit hash would
// count as one): the counters are a table of hashes, the values' bytes kept beside
// it, so a column of mostly distinct values costs a hash probe per value.
class FrequentValues {
 public:
  static constexpr size_t kDefaultCapacity = 1024;
  explicit FrequentValues(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  void Add(absl::string_view value, uint64_t count = 1) {
    Add(value, StableHash(value), count);
  }
  // The same, for a caller that has StableHash(value) already.
  void Add(absl::string_view value, uint64_t hash, uint64_t count);
  void Merge(const FrequentValues& other);
  // The `n` values of largest count (ties by value), with their counts.
  std::vector<std::pair<std::string, uint64_t>> Top(size_t n) const;
  // What a count may lack: 0 while exact.
  uint64_t offset() const { return offset_; }

  void ToProto(FrequentProto* proto) const;
  static FrequentValues FromProto(const FrequentProto& proto);

 private:
  struct Counter {
    int64_t count;
    uint64_t begin, size;  // the value's bytes in values_
  };
  // StableHash is mixed already: the table takes it as it is.
  struct Identity {
    size_t operator()(uint64_t hash) const { return hash; }
  };
  absl::string_view value(const Counter& c) const {
    return absl::string_view(values_.data() + c.begin, c.size);
  }
  void Purge();
  void Clear();
  size_t capacity_;
  uint64_t offset_ = 0;
  absl::flat_hash_map<uint64_t, Counter, Identity> counts_;
  std::string values_;  // the counters' values, end to end (and dropped ones' until
                        // the next purge)
  std::vector<int64_t> purge_counts_;  // Purge's scratch (not part of the summary)
  bool ones_ = true;  // every count is 1 (when false, they may be or not)
};

}  // namespace strata::quality

#endif  // STRATA_QUALITY_SKETCHES_H_
