#include "quality/profile.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace strata::quality {
namespace {

// A block of one number column; NaN marks a null.
TableBlock NumberBlock(const std::vector<double>& values, size_t from, size_t to,
                       ColumnType type = ColumnType::kDouble) {
  TableBlock b;
  Column& c = b.columns.emplace_back();
  c.name = "x";
  c.type = type;
  for (size_t i = from; i < to; ++i) {
    const bool present = !std::isnan(values[i]);
    c.present.push_back(present);
    c.numbers.push_back(present ? values[i] : 0);
  }
  b.rows = to - from;
  return b;
}

TableProfile ProfileOf(const std::vector<double>& values, size_t block = 65536) {
  TableProfile p;
  for (size_t i = 0; i < values.size(); i += block) {
    EXPECT_TRUE(p.Add(NumberBlock(values, i, std::min(values.size(), i + block))).ok());
  }
  return p;
}

// Checks every measure of `p` against exact ones computed from `values`.
void ExpectMatches(const ColumnProfile& p, std::vector<double> values,
                   const std::string& what) {
  SCOPED_TRACE(what);
  const size_t nulls =
      std::count_if(values.begin(), values.end(), [](double v) { return std::isnan(v); });
  values.erase(std::remove_if(values.begin(), values.end(),
                              [](double v) { return std::isnan(v); }),
               values.end());
  std::sort(values.begin(), values.end());
  ASSERT_EQ(p.count(), values.size());
  EXPECT_EQ(p.nulls(), nulls);
  EXPECT_EQ(p.min(), values.front());
  EXPECT_EQ(p.max(), values.back());
  // Two passes in long double: the reference mean and deviation.
  long double sum = 0;
  for (double v : values) sum += v;
  const long double mean = sum / values.size();
  long double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  const double stddev = std::sqrt(static_cast<double>(ss / (values.size() - 1)));
  EXPECT_NEAR(p.mean(), static_cast<double>(mean),
              1e-9 * std::abs(static_cast<double>(mean)));
  ASSERT_TRUE(p.stddev().has_value());
  EXPECT_NEAR(*p.stddev(), stddev, 1e-9 * stddev);
  const double n = static_cast<double>(values.size());
  for (double q : kQuantiles) {
    const double v = p.Quantile(q);
    // The rank of v is an interval when values repeat: q must fall in it, within 0.5%.
    const double lo =
        (std::lower_bound(values.begin(), values.end(), v) - values.begin()) / n;
    const double hi =
        (std::upper_bound(values.begin(), values.end(), v) - values.begin()) / n;
    EXPECT_GE(q, lo - 0.005) << "q " << q << " value " << v;
    EXPECT_LE(q, hi + 0.005) << "q " << q << " value " << v;
  }
  uint64_t total = 0;
  for (const HistogramBin& bin : p.Histogram()) {
    total += bin.count;
    const double below =
        std::lower_bound(values.begin(), values.end(), bin.lo) - values.begin();
    const double upto =
        bin.hi == values.back()
            ? n
            : std::lower_bound(values.begin(), values.end(), bin.hi) - values.begin();
    EXPECT_NEAR(static_cast<double>(bin.count), upto - below, 0.01 * n)
        << "bin " << bin.lo << ".." << bin.hi;
  }
  EXPECT_EQ(total, values.size());
}

TEST(ProfileTest, MillionValuesMatchExactReferences) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(50, 12);
  std::lognormal_distribution<double> skewed(0, 2);
  std::uniform_int_distribution<int> small(0, 20);
  std::vector<double> a(1000000), b(1000000), c(1000000);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = i % 97 == 0 ? NAN : normal(rng);
    b[i] = skewed(rng);
    c[i] = small(rng);  // many repeats: ranks are intervals
  }
  ExpectMatches(ProfileOf(a).columns()[0], a, "normal");
  ExpectMatches(ProfileOf(b).columns()[0], b, "lognormal");
  ExpectMatches(ProfileOf(c).columns()[0], c, "small integers");
}

TEST(ProfileTest, SmallColumnsAreExact) {
  std::vector<double> v = {3, 1, 2, NAN, 2, 10};
  const TableProfile p = ProfileOf(v);
  const ColumnProfile& c = p.columns()[0];
  EXPECT_EQ(p.rows(), 6u);
  EXPECT_EQ(c.count(), 5u);
  EXPECT_EQ(c.nulls(), 1u);
  EXPECT_EQ(c.distinct(), 4u);
  EXPECT_EQ(c.Quantile(0.5), 2);
  EXPECT_EQ(c.Quantile(0.99), 10);
  EXPECT_EQ(c.Quantile(0.01), 1);
  const std::vector<HistogramBin> h = c.Histogram();
  ASSERT_EQ(h.size(), 20u);
  EXPECT_EQ(h[0].lo, 1);
  EXPECT_EQ(h[19].hi, 10);
  // Bins of width 0.45: 1 | 2,2 in [1.9, 2.35) | 3 in [2.8, 3.25) | 10 in the last.
  EXPECT_EQ(h[0].count, 1u);
  EXPECT_EQ(h[2].count, 2u);
  EXPECT_EQ(h[4].count, 1u);
  EXPECT_EQ(h[19].count, 1u);

  const TableProfile one = ProfileOf({7, 7});
  ASSERT_EQ(one.columns()[0].Histogram().size(), 1u);
  EXPECT_EQ(one.columns()[0].Histogram()[0].count, 2u);
  const TableProfile single = ProfileOf({7});
  EXPECT_FALSE(single.columns()[0].stddev().has_value());
}

TEST(ProfileTest, DistinctWithinTwoPercentOnAMillion) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  DistinctSketch d;
  for (uint64_t i = 0; i < 1000000; ++i) {
    d.Add(
        StableHash(static_cast<double>(i) * 0.5 + static_cast<double>(rng() % 2) * 1e9));
    if (i < 3000) {
      ASSERT_TRUE(d.exact());
    }
  }
  // i * 0.5 and i * 0.5 + 1e9 never meet below 1M: exactly 1M distinct values.
  EXPECT_NEAR(static_cast<double>(d.Estimate()), 1e6, 0.02 * 1e6);
  for (uint64_t n : {5000, 20000, 100000, 300000}) {
    DistinctSketch s;
    for (uint64_t i = 0; i < n; ++i)
      s.Add(StableHash(absl::StrCat("value-", i, "-", seed)));
    EXPECT_NEAR(static_cast<double>(s.Estimate()), n, 0.02 * n) << n;
  }
}

TEST(ProfileTest, MergedPiecesMatchTheWhole) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> e(0.1);
  std::vector<double> all(600000);
  for (size_t i = 0; i < all.size(); ++i) all[i] = i % 50 == 0 ? NAN : e(rng) - 3;
  TableProfile merged;
  for (size_t piece = 0; piece < 3; ++piece) {
    std::vector<double> part(all.begin() + piece * 200000,
                             all.begin() + (piece + 1) * 200000);
    // Through storage and back, as stored profiles are merged.
    absl::StatusOr<TableProfile> read = TableProfile::Parse(ProfileOf(part).Serialize());
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_TRUE(merged.Merge(*read).ok());
  }
  EXPECT_EQ(merged.rows(), all.size());
  ExpectMatches(merged.columns()[0], all, "merged");
  EXPECT_NEAR(static_cast<double>(merged.columns()[0].distinct()),
              static_cast<double>(ProfileOf(all).columns()[0].distinct()), 0.02 * 588000);

  TableProfile other;
  TableBlock b = NumberBlock({1.0}, 0, 1, ColumnType::kInt64);
  ASSERT_TRUE(other.Add(b).ok());
  EXPECT_EQ(merged.Merge(other).code(), absl::StatusCode::kInvalidArgument);
}

TableBlock StringBlock(const std::vector<std::string>& values) {
  TableBlock b;
  Column& c = b.columns.emplace_back();
  c.name = "s";
  c.type = ColumnType::kString;
  for (const std::string& v : values) {
    c.present.push_back(!v.empty());
    c.strings.push_back(v);
  }
  b.rows = values.size();
  return b;
}

TEST(ProfileTest, StringsGetExactTopValuesWhenFew) {
  TableProfile p;
  ASSERT_TRUE(p.Add(StringBlock({"a", "b", "a", "", "c", "a", "b"})).ok());
  ASSERT_TRUE(p.Add(StringBlock({"d", "b", ""})).ok());
  const ColumnProfile& c = p.columns()[0];
  EXPECT_EQ(c.count(), 8u);
  EXPECT_EQ(c.nulls(), 2u);
  EXPECT_EQ(c.distinct(), 4u);
  const auto top = c.Top(3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0], (std::pair<std::string, uint64_t>{"a", 3}));
  EXPECT_EQ(top[1], (std::pair<std::string, uint64_t>{"b", 3}));
  EXPECT_EQ(top[2], (std::pair<std::string, uint64_t>{"c", 1}));
  EXPECT_TRUE(c.Histogram().empty());
}

// A block's first values are counted by comparison, later ones in a hash map;
// values alike in length and first byte are still told apart.
TEST(ProfileTest, CategoriesBeyondTheFirstFewAreCountedExactly) {
  const std::vector<std::string> names = {"ab", "ac", "abc", "abd", "b",  "ba",
                                          "bb", "ca", "cb",  "cc",  "dd", "abe"};
  std::vector<std::string> block;
  std::map<std::string, uint64_t> want;
  for (size_t i = 0; i < 5000; ++i) {
    const std::string& v = names[(i * 7 + i / 13) % names.size()];
    block.push_back(v);
    ++want[v];
  }
  TableProfile p;
  ASSERT_TRUE(p.Add(StringBlock(block)).ok());
  const ColumnProfile& c = p.columns()[0];
  EXPECT_EQ(c.distinct(), names.size());
  const auto top = c.Top(names.size());
  ASSERT_EQ(top.size(), names.size());
  for (const auto& [value, count] : top) EXPECT_EQ(count, want[value]) << value;
}

TEST(ProfileTest, HeavyHittersAmongManyDistinctStrings) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  // 10 heavy values (1% .. 10% of rows) among 300k rows of mostly unique ones.
  std::vector<std::string> values;
  std::vector<uint64_t> truth(10, 0);
  for (size_t i = 0; i < 300000; ++i) {
    const uint64_t r = rng() % 1000;
    int heavy = -1;
    uint64_t edge = 0;
    for (int h = 0; h < 10 && heavy < 0; ++h) {
      edge += 10 * (h + 1) / 2 + 5;  // 10, 15, 20, ... per mille
      if (r < edge) heavy = h;
    }
    if (heavy >= 0) {
      ++truth[heavy];
      values.push_back(absl::StrCat("heavy", heavy));
    } else {
      values.push_back(absl::StrCat("u", i));
    }
  }
  TableProfile a, b;
  ASSERT_TRUE(a.Add(StringBlock({values.begin(), values.begin() + 150000})).ok());
  ASSERT_TRUE(b.Add(StringBlock({values.begin() + 150000, values.end()})).ok());
  ASSERT_TRUE(a.Merge(b).ok());
  const auto top = a.columns()[0].Top(10);
  ASSERT_EQ(top.size(), 10u);
  const double bound = 2.0 * 300000 / FrequentValues::kDefaultCapacity * 2;  // two pieces
  for (const auto& [value, count] : top) {
    ASSERT_EQ(value.substr(0, 5), "heavy") << value;
    const uint64_t want = truth[std::stoi(value.substr(5))];
    EXPECT_LE(count, want);
    EXPECT_GE(static_cast<double>(count), want - bound) << value;
  }
}

// Blocks of mostly distinct values go to the sketches value by value; a later block
// of repeats is counted first again. Either way the counts, nulls, distinct values
// and heavy hitters are those of the whole column.
TEST(ProfileTest, MostlyDistinctBlocksAndThenRepeats) {
  std::vector<std::string> all;
  TableProfile blocks;
  for (int b = 0; b < 40; ++b) {
    std::vector<std::string> block;
    for (int i = 0; i < 4096; ++i) {
      if (i % 100 == 0) {
        block.push_back("");  // a null
      } else if (b < 20) {
        block.push_back(absl::StrCat("id", b * 4096 + i));
      } else {
        block.push_back(i % 3 == 0 ? "x" : i % 3 == 1 ? "y" : "z");
      }
    }
    all.insert(all.end(), block.begin(), block.end());
    ASSERT_TRUE(blocks.Add(StringBlock(block)).ok());
  }
  TableProfile whole;
  ASSERT_TRUE(whole.Add(StringBlock(all)).ok());
  const ColumnProfile& a = blocks.columns()[0];
  const ColumnProfile& w = whole.columns()[0];
  EXPECT_EQ(a.count(), w.count());
  EXPECT_EQ(a.nulls(), 40u * 41);
  EXPECT_EQ(a.distinct(), w.distinct());
  const uint64_t ids = 20 * (4096 - 41);
  EXPECT_NEAR(static_cast<double>(a.distinct()), ids + 3.0, 0.02 * (ids + 3));
  const auto top = a.Top(3);
  ASSERT_EQ(top.size(), 3u);
  const double bound = 2.0 * all.size() / FrequentValues::kDefaultCapacity;
  for (const auto& [value, count] : top) {
    EXPECT_TRUE(value == "x" || value == "y" || value == "z") << value;
    EXPECT_LE(count, 20u * 4055 / 3 + 20);
    EXPECT_GE(static_cast<double>(count), 20.0 * 4055 / 3 - 20 - bound) << value;
  }
}

// The vectorized hashes are StableHash's, for every kind of double; -0 hashes as 0.
TEST(SketchTest, StableHashesAreStableHashOfEachNumber) {
  std::vector<double> numbers = {0.0,
                                 -0.0,
                                 1.0,
                                 -1.0,
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::denorm_min(),
                                 -std::numeric_limits<double>::denorm_min(),
                                 std::numeric_limits<double>::max(),
                                 std::numeric_limits<double>::lowest()};
  std::mt19937_64 rng(testing::TestSeed());
  for (int i = 0; i < 1000; ++i) {
    uint64_t bits = rng();
    double x;
    std::memcpy(&x, &bits, 8);
    numbers.push_back(x);
  }
  // Every length up to a few vectors, and the whole.
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{17},
                   numbers.size()}) {
    std::vector<uint64_t> hashes(n + 1, 12345);
    StableHashes(numbers.data(), n, hashes.data());
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(hashes[i], StableHash(numbers[i])) << "number " << i << " of " << n;
    }
    EXPECT_EQ(hashes[n], 12345u);  // nothing written past the end
  }
  EXPECT_EQ(StableHash(-0.0), StableHash(0.0));
}

// A text's hash is part of every stored profile (the distinct sketch's registers,
// the frequent values' table): these values may never change. Every tail length
// (0 to 7 bytes past whole words) is here, and none depends on the bytes around
// the text.
TEST(SketchTest, StableHashOfTextIsFixed) {
  const std::pair<absl::string_view, uint64_t> golden[] = {
      {"", 0x48218226ff3cd4bfULL},
      {"a", 0x1a97173fe16c0cc6ULL},
      {"ab", 0x7c8d0cbac9f18f25ULL},
      {"abc", 0xcd9c74563b7cba95ULL},
      {"gold", 0xcee59f064c529041ULL},
      {"AB123", 0x2a166c5b4446a2bcULL},
      {"silver", 0x384d9992b0ff2375ULL},
      {"bronze7", 0x4e8dcb5118166c77ULL},
      {"AB123456", 0xa023bec0ecdd3784ULL},
      {"AB1234567", 0x1ac6a52f85037e42ULL},
      {"caf\xc3\xa9 au lait, s'il vous pla\xc3\xaet", 0x3e47904b973ab28cULL},
  };
  for (const auto& [text, hash] : golden) {
    EXPECT_EQ(StableHash(text), hash) << "\"" << text << "\"";
    for (char around : {'\0', 'x', '\xff'}) {
      std::string padded(16, around);
      padded.append(text.data(), text.size());
      padded.append(16, around);
      EXPECT_EQ(StableHash(absl::string_view(padded).substr(16, text.size())), hash)
          << "\"" << text << "\" between bytes " << static_cast<int>(around);
    }
  }
}

// Past kSampleFrom numbers the lowest level is halved before it is sorted: ranks
// stay within 0.5% in any arrival order, including ones that pair each large
// number with a small one (where a biased choice of either would move every rank).
TEST(SketchTest, KllRanksHoldInEveryOrderPastSampling) {
  const size_t n = 2000000;
  ASSERT_GT(n, 4 * KllSketch::kSampleFrom);
  std::mt19937_64 rng(testing::TestSeed());
  std::vector<double> random(n);
  for (double& v : random) v = static_cast<double>(rng() % 1000000000);
  std::vector<double> sorted = random;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> descending(sorted.rbegin(), sorted.rend());
  std::vector<double> pairs(n);  // largest, smallest, second largest, ...
  for (size_t i = 0; i < n / 2; ++i) {
    pairs[2 * i] = sorted[n - 1 - i];
    pairs[2 * i + 1] = sorted[i];
  }
  for (const auto& [name, values] :
       {std::pair<const char*, const std::vector<double>*>{"random", &random},
        {"ascending", &sorted},
        {"descending", &descending},
        {"large and small in turn", &pairs}}) {
    KllSketch sketch;
    sketch.Add(values->data(), values->size());
    double worst = 0;
    for (int percent = 1; percent < 100; ++percent) {
      const double q = percent / 100.0;
      const double v = sketch.Quantile(q);
      const double lo =
          static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), v) -
                              sorted.begin()) /
          n;
      const double hi =
          static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), v) -
                              sorted.begin()) /
          n;
      worst = std::max(worst, std::max(lo - q, q - hi));
    }
    EXPECT_LE(worst, 0.005) << name;
    std::cout << name << ": largest rank error " << worst * 100 << "%\n";
  }
}

// Below k + kLevelZeroBatch values nothing is compacted: every quantile is exact.
TEST(SketchTest, KllKeepsAShortStreamWhole) {
  KllSketch sketch;
  const size_t n = KllSketch::kDefaultK + KllSketch::kLevelZeroBatch - 1;
  std::vector<double> values;
  for (size_t i = 0; i < n; ++i) values.push_back(static_cast<double>((i * 7919) % n));
  for (double v : values) sketch.Add(v);
  std::sort(values.begin(), values.end());
  for (double q : {0.001, 0.01, 0.25, 0.5, 0.77, 0.99, 1.0}) {
    const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
    EXPECT_EQ(sketch.Quantile(q), values[rank - 1]) << q;
  }
  EXPECT_EQ(sketch.Rank(100, false), 100);
}

// Values added many at a time make the sketch one at a time makes.
TEST(SketchTest, KllAddsManyAsOneAtATime) {
  std::vector<double> values;
  for (size_t i = 0; i < 100000; ++i) values.push_back(std::sin(static_cast<double>(i)));
  KllSketch one, many;
  for (double v : values) one.Add(v);
  many.Add(values.data(), 10);
  many.Add(values.data() + 10, values.size() - 10);
  KllProto a, b;
  one.ToProto(&a);
  many.ToProto(&b);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
}

// Hashes added many at a time make the sketch one at a time makes, exact or not.
TEST(SketchTest, DistinctAddsManyAsOneAtATime) {
  for (size_t n : {size_t{100}, size_t{50000}}) {
    std::vector<uint64_t> hashes;
    for (size_t i = 0; i < n; ++i)
      hashes.push_back(StableHash(static_cast<double>(i % 30000)));
    DistinctSketch one, many;
    for (uint64_t h : hashes) one.Add(h);
    many.Add(hashes.data(), hashes.size());
    DistinctProto a, b;
    one.ToProto(&a);
    many.ToProto(&b);
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << n;
    EXPECT_EQ(one.Estimate(), many.Estimate());
  }
}

// Frequent values keep each counter's text whole through purges (which drop most
// counters and then the bytes of the dropped values), merges and the proto: long
// heavy values among many distinct long ones come out with their exact text and
// counts within the offset.
TEST(SketchTest, FrequentValuesKeepTheirTextThroughPurges) {
  const std::string heavy[3] = {std::string(300, 'a'), "b" + std::string(120, 'y'),
                                "\xC3\xA9t\xC3\xA9, \"quoted\"\n" + std::string(40, 'z')};
  FrequentValues halves[2] = {FrequentValues(16), FrequentValues(16)};
  uint64_t truth[3] = {0, 0, 0};
  const size_t n = 40000;
  for (size_t i = 0; i < n; ++i) {
    FrequentValues& f = halves[i < n / 2 ? 0 : 1];
    if (i % 5 < 3) {
      const size_t h = (i / 5 + i % 5) % 3;
      ++truth[h];
      f.Add(heavy[h]);
    } else {
      f.Add(absl::StrCat("distinct-", i, std::string(200, 'x')));
    }
  }
  FrequentValues& merged = halves[0];
  merged.Merge(halves[1]);
  EXPECT_GT(merged.offset(), 0u);
  EXPECT_LE(merged.offset(), 2 * 2 * n / 16);  // two halves
  FrequentProto proto;
  merged.ToProto(&proto);
  const FrequentValues parsed = FrequentValues::FromProto(proto);
  for (const FrequentValues* f : {static_cast<const FrequentValues*>(&merged), &parsed}) {
    const auto top = f->Top(3);
    ASSERT_EQ(top.size(), 3u);
    std::map<std::string, uint64_t> got(top.begin(), top.end());
    for (int h = 0; h < 3; ++h) {
      ASSERT_TRUE(got.contains(heavy[h])) << h;
      EXPECT_LE(got[heavy[h]], truth[h]);
      EXPECT_GE(got[heavy[h]] + f->offset(), truth[h]) << h;
    }
  }
  EXPECT_EQ(merged.Top(1000), parsed.Top(1000));
}

TEST(ProfileTest, ParseRefusesOtherBytes) {
  EXPECT_EQ(TableProfile::Parse("not a profile").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::quality
