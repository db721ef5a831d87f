#include "quality/sketches.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "quality/internal/sort_numbers.h"

namespace strata::quality {
namespace {

using sketches_internal::Mix;

// The n < 8 bytes at p as a little-endian number (the bytes past them zero), in
// two overlapping loads instead of a call to copy n bytes: the same number, as an
// overlap's bytes are the same in both.
uint64_t Tail(const char* p, size_t n) {
  const auto byte = [p](size_t i) { return uint64_t{static_cast<uint8_t>(p[i])}; };
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return uint64_t{lo} | uint64_t{hi} << (8 * (n - 4));
  }
  if (n == 0) return 0;
  return byte(0) | byte(n / 2) << (8 * (n / 2)) | byte(n - 1) << (8 * (n - 1));
}

}  // namespace

uint64_t StableHash(absl::string_view bytes) {
  uint64_t h = Mix(0x9e3779b97f4a7c15ULL ^ bytes.size());
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = Mix(h ^ Mix(w + 0x632be59bd9b4e019ULL));
  }
  const size_t rest = bytes.size() - i;
  return Mix(h ^ Mix(Tail(bytes.data() + i, rest) ^ (uint64_t{rest} << 59)));
}

// One clone per instruction set; glibc's ifunc picks the best at load time. The
// results are the same whatever clone runs: integer operations only.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
StableHashes(const double* numbers, size_t n, uint64_t* hashes) {
  for (size_t i = 0; i < n; ++i) {
    double x = numbers[i];
    uint64_t bits;
    std::memcpy(&bits, &x, 8);
    // -0.0 and 0.0 are one value: only their sign bit differs.
    bits = (bits << 1) == 0 ? 0 : bits;
    hashes[i] = Mix(Mix(bits) ^ 0xd6e8feb86659fd93ULL);
  }
}

// ---- KllSketch

KllSketch::KllSketch(uint32_t k) : k_(std::max<uint32_t>(k, 8)), rng_(k) {}

size_t KllSketch::Capacity(size_t level) const {
  const size_t depth = levels_.size() - 1 - level;
  return std::max<size_t>(kMinLevelCapacity,
                          static_cast<size_t>(std::ceil(k_ * std::pow(2.0 / 3, depth))));
}

void KllSketch::UpdateCapacities() {
  capacities_.resize(levels_.size());
  total_capacity_ = 0;
  for (size_t h = 0; h < levels_.size(); ++h) {
    capacities_[h] = Capacity(h);
    total_capacity_ += capacities_[h];
  }
}

void KllSketch::Add(double value) {
  if (levels_.empty()) {
    levels_.emplace_back();
    UpdateCapacities();
  }
  levels_[0].push_back(value);
  ++n_;
  if (++size_ >= total_capacity_ + kLevelZeroBatch) Compress();
}

void KllSketch::Add(const double* values, size_t n) {
  if (levels_.empty()) {
    levels_.emplace_back();
    UpdateCapacities();
  }
  while (n > 0) {
    // Up to where Add would compress.
    const size_t limit = total_capacity_ + kLevelZeroBatch;
    const size_t take = size_ < limit ? std::min(n, limit - size_) : 1;
    levels_[0].insert(levels_[0].end(), values, values + take);
    n_ += take;
    size_ += take;
    values += take;
    n -= take;
    if (size_ >= limit) Compress();
  }
}

void KllSketch::Compress() {
  // Lazy: nothing is compacted until the sketch as a whole is full, so the lowest
  // level gathers the slack of the others and is sorted and halved in large runs.
  while (size_ >= total_capacity_) {
    // The lowest level at or over its capacity is halved into the next one.
    size_t h = 0;
    while (h < levels_.size() && levels_[h].size() < capacities_[h]) ++h;
    if (h == levels_.size()) return;  // cannot happen: the sizes exceed the sum
    if (h + 1 == levels_.size()) {
      levels_.emplace_back();
      UpdateCapacities();
    }
    std::vector<double>& level = levels_[h];
    // Past kSampleFrom numbers the lowest level is halved before it is sorted.
    const bool sample = h == 0 && n_ >= kSampleFrom;
    // The levels above stay sorted.
    if (h == 0 && !sample) SortNumbers(level.data(), level.data() + level.size());
    // An odd item out stays, so that the weights still sum to n.
    double kept = 0;
    const bool odd = level.size() % 2 == 1;
    if (odd) {
      kept = level.back();
      level.pop_back();
    }
    // A random half (every other item from a random first) merged into the level
    // up. Stable: an item equal to one already up goes after it.
    std::vector<double>& up = levels_[h + 1];
    const size_t half = level.size() / 2;  // >= 1: the level was full
    size_t first = 0;
    if (sample) {
      // One of each two neighbours in arrival order, at random, sorted, then put
      // at the even places the merge reads.
      double* x = level.data();
      for (size_t p = 0; p < half; p += 64) {
        uint64_t bits = rng_();
        for (size_t q = p; q < std::min(half, p + 64); ++q, bits >>= 1) {
          x[q] = x[2 * q + (bits & 1)];
        }
      }
      SortNumbers(x, x + half);
      for (size_t q = half; q-- > 1;) x[2 * q] = x[q];
    } else {
      first = rng_() & 1;
    }
    // Into scratch that only grows, then copied up: swapping the two would hand
    // the levels buffers too small for their next merge, each reallocated (fresh
    // pages) and zeroed.
    const size_t merged = up.size() + half;
    if (merged_.size() < merged) merged_.resize(merged);
    MergeEveryOther(up.data(), up.size(), level.data() + first, half, merged_.data());
    up.assign(merged_.data(), merged_.data() + merged);
    size_ -= half;
    level.clear();
    if (odd) level.push_back(kept);
  }
}

void KllSketch::Merge(const KllSketch& other) {
  if (other.levels_.size() > levels_.size()) levels_.resize(other.levels_.size());
  for (size_t h = 0; h < other.levels_.size(); ++h) {
    std::vector<double>& level = levels_[h];
    const size_t sorted = level.size();
    level.insert(level.end(), other.levels_[h].begin(), other.levels_[h].end());
    if (h > 0) std::inplace_merge(level.begin(), level.begin() + sorted, level.end());
  }
  n_ += other.n_;
  size_ += other.size_;
  UpdateCapacities();
  Compress();
}

std::vector<std::pair<double, uint64_t>> KllSketch::Weighted() const {
  std::vector<std::pair<double, uint64_t>> items;
  items.reserve(size_);
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (double v : levels_[h]) items.emplace_back(v, uint64_t{1} << h);
  }
  std::sort(items.begin(), items.end());
  return items;
}

double KllSketch::Rank(double x, bool inclusive) const {
  double rank = 0;
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (double v : levels_[h]) {
      if (v < x || (inclusive && v == x)) rank += static_cast<double>(uint64_t{1} << h);
    }
  }
  return rank;
}

double KllSketch::Quantile(double q) const {
  const std::vector<std::pair<double, uint64_t>> items = Weighted();
  const double target = std::clamp(q, 0.0, 1.0) * static_cast<double>(n_);
  uint64_t cumulative = 0;
  for (const auto& [v, w] : items) {
    cumulative += w;
    if (static_cast<double>(cumulative) >= target) return v;
  }
  return items.empty() ? 0 : items.back().first;
}

void KllSketch::ToProto(KllProto* proto) const {
  proto->set_k(k_);
  proto->set_n(n_);
  for (const std::vector<double>& level : levels_) {
    proto->add_levels()->mutable_items()->Add(level.begin(), level.end());
  }
}

absl::StatusOr<KllSketch> KllSketch::FromProto(const KllProto& proto) {
  if (proto.k() < 8 || proto.levels_size() > 64) {
    return absl::InvalidArgumentError("malformed quantile sketch");
  }
  KllSketch sketch(proto.k());
  uint64_t weight = 0;
  for (int h = 0; h < proto.levels_size(); ++h) {
    const auto& items = proto.levels(h).items();
    sketch.levels_.emplace_back(items.begin(), items.end());
    std::sort(sketch.levels_.back().begin(), sketch.levels_.back().end());
    sketch.size_ += items.size();
    weight += static_cast<uint64_t>(items.size()) << h;
  }
  if (weight != proto.n()) return absl::InvalidArgumentError("malformed quantile sketch");
  sketch.n_ = proto.n();
  sketch.UpdateCapacities();
  return sketch;
}

// ---- DistinctSketch

void DistinctSketch::AddToRegisters(uint64_t hash) {
  constexpr int q = 64 - kPrecision;
  const size_t index = hash >> q;
  const uint64_t rest = hash << kPrecision;
  const uint8_t rho =
      rest == 0 ? q + 1
                : static_cast<uint8_t>(std::min(std::countl_zero(rest) + 1, q + 1));
  registers_[index] = std::max(registers_[index], rho);
}

void DistinctSketch::Add(uint64_t hash) {
  if (!registers_.empty()) {
    AddToRegisters(hash);
    return;
  }
  exact_.insert(hash);
  if (exact_.size() > kExactLimit) {
    registers_.assign(size_t{1} << kPrecision, 0);
    for (uint64_t h : exact_) AddToRegisters(h);
    exact_.clear();
  }
}

void DistinctSketch::Add(const uint64_t* hashes, size_t n) {
  size_t i = 0;
  for (; i < n && registers_.empty(); ++i) Add(hashes[i]);
  // 64 KiB of registers per column, a few columns per thread: most updates miss
  // the first-level cache, so each register is fetched a few updates ahead.
  constexpr size_t kAhead = 8;
  constexpr int q = 64 - kPrecision;
  for (; i < n; ++i) {
    if (i + kAhead < n) __builtin_prefetch(&registers_[hashes[i + kAhead] >> q], 1);
    AddToRegisters(hashes[i]);
  }
}

void DistinctSketch::Merge(const DistinctSketch& other) {
  if (other.registers_.empty()) {
    for (uint64_t h : other.exact_) Add(h);
    return;
  }
  if (registers_.empty()) {
    registers_.assign(size_t{1} << kPrecision, 0);
    for (uint64_t h : exact_) AddToRegisters(h);
    exact_.clear();
  }
  for (size_t i = 0; i < registers_.size(); ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
}

uint64_t DistinctSketch::Estimate() const {
  if (registers_.empty()) return exact_.size();
  // Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017),
  // the improved raw estimator: sigma and tau correct the registers at 0 and at
  // the largest value, so no range needs a switch or an empirical bias table.
  constexpr int q = 64 - kPrecision;
  const double m = static_cast<double>(registers_.size());
  std::vector<double> c(q + 2, 0);
  for (uint8_t r : registers_) c[r] += 1;
  const auto sigma = [](double x) {
    if (x == 1) return std::numeric_limits<double>::infinity();
    double y = 1, z = x, old;
    do {
      x *= x;
      old = z;
      z += x * y;
      y += y;
    } while (z != old);
    return z;
  };
  const auto tau = [](double x) {
    if (x == 0 || x == 1) return 0.0;
    double y = 1, z = 1 - x, old;
    do {
      x = std::sqrt(x);
      old = z;
      y *= 0.5;
      z -= (1 - x) * (1 - x) * y;
    } while (z != old);
    return z / 3;
  };
  double z = m * tau(1 - c[q + 1] / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + c[k]);
  z += m * sigma(c[0] / m);
  const double alpha = 1 / (2 * std::log(2.0));
  return static_cast<uint64_t>(std::llround(alpha * m * m / z));
}

void DistinctSketch::ToProto(DistinctProto* proto) const {
  if (registers_.empty()) {
    std::vector<uint64_t> sorted(exact_.begin(), exact_.end());
    std::sort(sorted.begin(), sorted.end());  // the same profile, the same bytes
    proto->mutable_exact()->Add(sorted.begin(), sorted.end());
  } else {
    proto->set_registers(registers_.data(), registers_.size());
  }
}

absl::StatusOr<DistinctSketch> DistinctSketch::FromProto(const DistinctProto& proto) {
  DistinctSketch sketch;
  if (!proto.registers().empty()) {
    if (proto.registers().size() != size_t{1} << kPrecision) {
      return absl::InvalidArgumentError("malformed distinct sketch");
    }
    sketch.registers_.assign(proto.registers().begin(), proto.registers().end());
    return sketch;
  }
  sketch.exact_.insert(proto.exact().begin(), proto.exact().end());
  return sketch;
}

// ---- FrequentValues

void FrequentValues::Add(absl::string_view value, uint64_t hash, uint64_t count) {
  auto [it, inserted] = counts_.try_emplace(hash, Counter{0, 0, 0});
  it->second.count += static_cast<int64_t>(count);
  if (!inserted || count != 1) ones_ = false;
  if (!inserted) return;
  it->second.begin = values_.size();
  it->second.size = value.size();
  values_.append(value.data(), value.size());
  if (counts_.size() > capacity_) Purge();
}

void FrequentValues::Purge() {
  while (counts_.size() > capacity_) {
    if (ones_) {  // what the general case finds for all counts 1, without a look
      offset_ += 1;
      Clear();
      continue;
    }
    purge_counts_.clear();
    int64_t most = 0, least = INT64_MAX;
    for (const auto& [h, c] : counts_) {
      purge_counts_.push_back(c.count);
      most = std::max(most, c.count);
      least = std::min(least, c.count);
    }
    // All counts equal (a column of distinct values: all are 1) need no selection.
    int64_t median = most;
    if (least != most) {
      auto middle =
          purge_counts_.begin() + static_cast<ptrdiff_t>(purge_counts_.size() / 2);
      std::nth_element(purge_counts_.begin(), middle, purge_counts_.end());
      median = *middle;
    }
    offset_ += static_cast<uint64_t>(median);
    if (median >= most) {
      Clear();
      continue;
    }
    absl::erase_if(counts_, [&](auto& entry) {
      entry.second.count -= median;
      return entry.second.count <= 0;
    });
  }
  // The bytes of dropped values go once they outweigh the kept ones'.
  size_t kept = 0;
  for (const auto& [h, c] : counts_) kept += c.size;
  if (values_.size() <= 2 * kept + 4096) return;
  std::string compacted;
  compacted.reserve(2 * kept);
  for (auto& [h, c] : counts_) {
    const uint64_t begin = compacted.size();
    {
      const absl::string_view v = value(c);
      compacted.append(v.data(), v.size());
    }
    c.begin = begin;
  }
  values_.swap(compacted);
}

// Every counter goes (a column of distinct values: all are 1). Erasing them one by
// one would leave the table full of tombstones to rehash away.
void FrequentValues::Clear() {
  counts_.clear();
  counts_.reserve(capacity_ + 1);
  values_.clear();
  ones_ = true;
}

void FrequentValues::Merge(const FrequentValues& other) {
  ones_ = false;  // not looked at: the purge below looks
  for (const auto& [h, c] : other.counts_) {
    auto [it, inserted] = counts_.try_emplace(h, Counter{0, 0, 0});
    it->second.count += c.count;
    if (!inserted) continue;
    it->second.begin = values_.size();
    it->second.size = c.size;
    {
      const absl::string_view v = other.value(c);
      values_.append(v.data(), v.size());
    }
  }
  offset_ += other.offset_;
  Purge();
}

std::vector<std::pair<std::string, uint64_t>> FrequentValues::Top(size_t n) const {
  std::vector<std::pair<absl::string_view, uint64_t>> top;
  top.reserve(counts_.size());
  for (const auto& [h, c] : counts_)
    top.emplace_back(value(c), static_cast<uint64_t>(c.count));
  const auto larger = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  if (top.size() > n) {
    std::partial_sort(top.begin(), top.begin() + n, top.end(), larger);
    top.resize(n);
  } else {
    std::sort(top.begin(), top.end(), larger);
  }
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(top.size());
  for (const auto& [v, c] : top) out.emplace_back(std::string(v), c);
  return out;
}

void FrequentValues::ToProto(FrequentProto* proto) const {
  proto->set_capacity(capacity_);
  proto->set_offset(offset_);
  for (const auto& [v, c] : Top(counts_.size())) {
    FrequentProto::Counter* counter = proto->add_counters();
    counter->set_value(v);
    counter->set_count(static_cast<int64_t>(c));
  }
}

FrequentValues FrequentValues::FromProto(const FrequentProto& proto) {
  FrequentValues f(proto.capacity() == 0 ? kDefaultCapacity : proto.capacity());
  f.offset_ = proto.offset();
  for (const FrequentProto::Counter& c : proto.counters()) {
    f.Add(c.value(), static_cast<uint64_t>(c.count()));
  }
  return f;
}

}  // namespace strata::quality
