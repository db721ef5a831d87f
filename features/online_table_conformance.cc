#include "features/online_table_conformance.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "features/codec.h"
#include "tests/testing.h"

namespace strata::testing {
namespace {

using features::Micros;
using features::OnlinePage;
using features::OnlineRow;
using features::OnlineTable;
using features::OnlineWrite;

// The key of entity `id` of view `view`.
std::string Key(uint32_t view, int64_t id) {
  std::string key = features::OnlineViewPrefix(view);
  features::codec::AppendEntityPart(&key, features::Value(id));
  return key;
}

// A value with version (event, created, ingest) and `row` after it.
std::string Value(Micros event, Micros created, uint64_t ingest, absl::string_view row) {
  std::string value;
  features::codec::AppendOnlineHeader(&value, event, created, ingest);
  value.append(row.data(), row.size());
  return value;
}

absl::Status Upsert(OnlineTable& table, std::vector<OnlineRow> rows) {
  return table.Write({.upserts = rows}, Change{ChangeKind::kPushOnline, "test"});
}

// The value of `key`, or "" when it has none; fails the test on an error.
std::string Read(OnlineTable& table, const std::string& key) {
  auto rows = table.LookupCopies({key});
  EXPECT_TRUE(rows.ok()) << rows.status();
  if (!rows.ok() || !(*rows)[0].has_value()) return "";
  return *(*rows)[0];
}

std::vector<OnlineRow> Rows(const OnlinePage& page) {
  std::vector<OnlineRow> rows;
  for (size_t i = 0; i < page.size(); ++i) {
    rows.emplace_back(std::string(page.key(i)), std::string(page.value(i)));
  }
  return rows;
}

// Every row of `view`, scanned `limit` at a time; fails the test on an error.
std::vector<OnlineRow> ScanAll(OnlineTable& table, uint32_t view, size_t limit,
                               int* pages = nullptr) {
  std::vector<OnlineRow> rows;
  std::string from;
  for (int n = 1;; ++n) {
    auto page = table.Scan(view, from, limit);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return rows;
    EXPECT_LE(page->size(), limit);
    const std::vector<OnlineRow> got = Rows(*page);
    rows.insert(rows.end(), got.begin(), got.end());
    if (pages != nullptr) *pages = n;
    if (page->resume.empty()) return rows;
    from = page->resume;
  }
}

}  // namespace

void OnlineTableConformanceTest::SetUp() {
  static int n = 0;
  static ScratchDir* root = new ScratchDir();  // one per process, removed at exit
  dir_ = root->Sub("online" + std::to_string(n++));
  std::filesystem::create_directories(dir_);
  harness_ = GetParam()(dir_);
  ASSERT_NE(harness_, nullptr);
}

void OnlineTableConformanceTest::TearDown() {
  harness_.reset();
  std::filesystem::remove_all(dir_);
}

TEST_P(OnlineTableConformanceTest, LookupOfManyReportsFoundRowsByPlace) {
  const std::string a = Key(1, 1), b = Key(1, 2), c = Key(1, 3);
  ASSERT_TRUE(Upsert(table(), {{a, Value(10, 10, 1, "a")}, {c, Value(10, 10, 1, "c")}}).ok());
  const std::vector<absl::string_view> keys = {c, b, a, c, Key(2, 1)};
  std::vector<std::string> seen(keys.size(), "-");
  ASSERT_TRUE(table()
                  .Lookup(keys,
                          [&](size_t i, absl::string_view value) {
                            EXPECT_EQ(seen[i], "-") << "reported twice: " << i;
                            seen[i] = std::string(value);
                            return absl::OkStatus();
                          })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{Value(10, 10, 1, "c"), "-",
                                            Value(10, 10, 1, "a"), Value(10, 10, 1, "c"),
                                            "-"}));
  auto copies = table().LookupCopies({a, b});
  ASSERT_TRUE(copies.ok());
  EXPECT_EQ((*copies)[0], Value(10, 10, 1, "a"));
  EXPECT_FALSE((*copies)[1].has_value());
}

TEST_P(OnlineTableConformanceTest, LookupOfNoKeysReportsNothing) {
  int calls = 0;
  EXPECT_TRUE(table()
                  .Lookup({},
                          [&](size_t, absl::string_view) {
                            ++calls;
                            return absl::OkStatus();
                          })
                  .ok());
  EXPECT_EQ(calls, 0);
}

TEST_P(OnlineTableConformanceTest, LookupStopsAtTheCallersError) {
  const std::string a = Key(1, 1), b = Key(1, 2);
  ASSERT_TRUE(Upsert(table(), {{a, Value(1, 1, 1, "a")}, {b, Value(1, 1, 1, "b")}}).ok());
  const std::vector<absl::string_view> keys = {a, b};
  int calls = 0;
  const absl::Status s = table().Lookup(keys, [&](size_t, absl::string_view) {
    ++calls;
    return absl::DataLossError("malformed");
  });
  EXPECT_EQ(s, absl::DataLossError("malformed"));
  EXPECT_EQ(calls, 1);
}

TEST_P(OnlineTableConformanceTest, OlderEventTimeLoses) {
  const std::string k = Key(1, 1);
  ASSERT_TRUE(Upsert(table(), {{k, Value(200, 1, 1, "new")}}).ok());
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 9, 9, "old")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(200, 1, 1, "new"));
  ASSERT_TRUE(Upsert(table(), {{k, Value(300, 0, 0, "newer")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(300, 0, 0, "newer"));
}

TEST_P(OnlineTableConformanceTest, NegativeEventTimesCompareAsNumbers) {
  const std::string k = Key(1, 1);
  ASSERT_TRUE(Upsert(table(), {{k, Value(3, 1, 1, "after")}}).ok());
  ASSERT_TRUE(Upsert(table(), {{k, Value(-5, 1, 1, "before")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(3, 1, 1, "after"));
  const std::string j = Key(1, 2);
  ASSERT_TRUE(Upsert(table(), {{j, Value(-5, 1, 1, "before")}}).ok());
  ASSERT_TRUE(Upsert(table(), {{j, Value(-1, 1, 1, "later")}}).ok());
  EXPECT_EQ(Read(table(), j), Value(-1, 1, 1, "later"));
}

TEST_P(OnlineTableConformanceTest, SameEventTimeNewerCreatedWins) {
  const std::string k = Key(1, 1);
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 50, 1, "first")}}).ok());
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 60, 1, "created later")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(100, 60, 1, "created later"));
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 40, 9, "created earlier")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(100, 60, 1, "created later"));
}

TEST_P(OnlineTableConformanceTest, SameTimesLargerIngestWins) {
  const std::string k = Key(1, 1);
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 50, 7, "ingest 7")}}).ok());
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 50, 3, "ingest 3")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(100, 50, 7, "ingest 7"));
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 50, 8, "ingest 8")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(100, 50, 8, "ingest 8"));
}

TEST_P(OnlineTableConformanceTest, EqualVersionsGoToTheLaterWrite) {
  const std::string k = Key(1, 1);
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 50, 7, "first")}}).ok());
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 50, 7, "second")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(100, 50, 7, "second"));
  // In one write, the later in the span is the later write.
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 50, 7, "third")},
                               {k, Value(100, 50, 7, "fourth")}})
                  .ok());
  EXPECT_EQ(Read(table(), k), Value(100, 50, 7, "fourth"));
}

TEST_P(OnlineTableConformanceTest, NewestWinsWithinOneWriteWhateverTheOrder) {
  const std::string k = Key(1, 1), j = Key(1, 2);
  ASSERT_TRUE(Upsert(table(), {{k, Value(300, 1, 1, "newest")},
                               {k, Value(100, 1, 1, "old")},
                               {j, Value(100, 1, 1, "old")},
                               {j, Value(300, 1, 1, "newest")},
                               {j, Value(200, 1, 1, "middle")}})
                  .ok());
  EXPECT_EQ(Read(table(), k), Value(300, 1, 1, "newest"));
  EXPECT_EQ(Read(table(), j), Value(300, 1, 1, "newest"));
}

TEST_P(OnlineTableConformanceTest, ValueShorterThanAVersionLoses) {
  const std::string k = Key(1, 1), j = Key(1, 2);
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 1, 1, "row")}}).ok());
  ASSERT_TRUE(Upsert(table(), {{k, "short"}}).ok());
  EXPECT_EQ(Read(table(), k), Value(100, 1, 1, "row"));
  ASSERT_TRUE(Upsert(table(), {{j, "short"}}).ok());
  ASSERT_TRUE(Upsert(table(), {{j, Value(-100, 1, 1, "row")}}).ok());
  EXPECT_EQ(Read(table(), j), Value(-100, 1, 1, "row"));
}

TEST_P(OnlineTableConformanceTest, PutReplacesWhateverTheVersion) {
  const std::string k = Key(1, 1);
  ASSERT_TRUE(Upsert(table(), {{k, Value(300, 1, 1, "newer")}}).ok());
  const std::vector<OnlineRow> put = {{k, Value(100, 1, 1, "repaired")}};
  ASSERT_TRUE(table().Write({.puts = put}, Change{ChangeKind::kRebuildOnline, "t"}).ok());
  EXPECT_EQ(Read(table(), k), Value(100, 1, 1, "repaired"));
  // Upserts weigh against the replacement now.
  ASSERT_TRUE(Upsert(table(), {{k, Value(50, 1, 1, "older")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(100, 1, 1, "repaired"));
  ASSERT_TRUE(Upsert(table(), {{k, Value(200, 1, 1, "newer again")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(200, 1, 1, "newer again"));
}

TEST_P(OnlineTableConformanceTest, DeleteRemovesTheRowAndForgetsItsVersion) {
  const std::string k = Key(1, 1), other = Key(1, 2);
  ASSERT_TRUE(Upsert(table(), {{k, Value(300, 1, 1, "row")},
                               {other, Value(300, 1, 1, "kept")}})
                  .ok());
  const std::vector<std::string> deletes = {k, Key(1, 99)};  // one absent: no error
  ASSERT_TRUE(
      table().Write({.deletes = deletes}, Change{ChangeKind::kRemoveOnline, "t"}).ok());
  EXPECT_EQ(Read(table(), k), "");
  EXPECT_EQ(Read(table(), other), Value(300, 1, 1, "kept"));
  ASSERT_TRUE(Upsert(table(), {{k, Value(100, 1, 1, "older than the deleted")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(100, 1, 1, "older than the deleted"));
}

TEST_P(OnlineTableConformanceTest, OneWriteMixesUpsertsPutsAndDeletes) {
  const std::string a = Key(1, 1), b = Key(1, 2), c = Key(1, 3);
  ASSERT_TRUE(Upsert(table(), {{a, Value(5, 1, 1, "a")}, {b, Value(5, 1, 1, "b")}}).ok());
  const std::vector<OnlineRow> upserts = {{c, Value(1, 1, 1, "c")}};
  const std::vector<OnlineRow> puts = {{a, Value(1, 1, 1, "a put")}};
  const std::vector<std::string> deletes = {b};
  ASSERT_TRUE(table()
                  .Write({.upserts = upserts, .puts = puts, .deletes = deletes},
                         Change{ChangeKind::kRebuildOnline, "t"})
                  .ok());
  EXPECT_EQ(Read(table(), a), Value(1, 1, 1, "a put"));
  EXPECT_EQ(Read(table(), b), "");
  EXPECT_EQ(Read(table(), c), Value(1, 1, 1, "c"));
}

TEST_P(OnlineTableConformanceTest, RecordsErrorWritesNothing) {
  const std::string k = Key(1, 1);
  const std::vector<OnlineRow> rows = {{k, Value(1, 1, 1, "row")}};
  int calls = 0;
  const absl::Status s = table().Write(
      {.upserts = rows}, Change{ChangeKind::kPushOnline, "t"}, [&](rocksdb::Transaction*) {
        ++calls;
        return absl::FailedPreconditionError("refused");
      });
  EXPECT_EQ(s, absl::FailedPreconditionError("refused"));
  EXPECT_GE(calls, 1);
  EXPECT_EQ(Read(table(), k), "");
}

TEST_P(OnlineTableConformanceTest, ScanWalksAViewInStepsAndResumes) {
  std::vector<OnlineRow> rows;
  for (int64_t id : std::vector<int64_t>{-3, 0, 1, 2, 7, 100, 1000, int64_t{1} << 40, 5, 9}) {
    rows.push_back({Key(7, id), Value(id, 1, 1, std::to_string(id))});
  }
  ASSERT_TRUE(Upsert(table(), rows).ok());
  // Neighbours on both sides are not the view's.
  ASSERT_TRUE(Upsert(table(), {{Key(6, 4), Value(1, 1, 1, "6")},
                               {Key(8, -9), Value(1, 1, 1, "8")}})
                  .ok());
  std::sort(rows.begin(), rows.end());
  int pages = 0;
  EXPECT_EQ(ScanAll(table(), 7, 3, &pages), rows);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(ScanAll(table(), 7, 100, &pages), rows);
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(ScanAll(table(), 7, 10, &pages), rows);
  EXPECT_EQ(ScanAll(table(), 9, 2), std::vector<OnlineRow>());
  // A scan resumed from a page's resume key goes on from there.
  auto first = table().Scan(7, "", 4);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->resume, rows[4].first);
  auto rest = table().Scan(7, first->resume, 100);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(Rows(*rest), std::vector<OnlineRow>(rows.begin() + 4, rows.end()));
  EXPECT_EQ(rest->resume, "");
}

TEST_P(OnlineTableConformanceTest, ScanResumesPastARowRemovedBetweenPages) {
  std::vector<OnlineRow> rows;
  for (int64_t id = 0; id < 6; ++id) rows.push_back({Key(3, id), Value(1, 1, 1, "r")});
  ASSERT_TRUE(Upsert(table(), rows).ok());
  auto first = table().Scan(3, "", 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->resume, rows[3].first);
  const std::vector<std::string> deletes = {rows[3].first};
  ASSERT_TRUE(
      table().Write({.deletes = deletes}, Change{ChangeKind::kRemoveOnline, "t"}).ok());
  auto rest = table().Scan(3, first->resume, 3);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(Rows(*rest), std::vector<OnlineRow>(rows.begin() + 4, rows.end()));
  EXPECT_EQ(rest->resume, "");
}

TEST_P(OnlineTableConformanceTest, ConcurrentUpsertsOfOneEntityKeepTheNewest) {
  const std::string k = Key(1, 42);
  constexpr int kThreads = 4, kVersions = 200;
  const uint64_t seed = TestSeed();
  std::atomic<bool> failed{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      std::vector<int> order(kVersions);
      for (int v = 0; v < kVersions; ++v) order[v] = v * kThreads + t;
      std::shuffle(order.begin(), order.end(), std::mt19937_64(seed + t));
      for (int v : order) {
        if (!Upsert(table(), {{k, Value(v, 1, 1, std::to_string(v))}}).ok()) failed = true;
      }
    });
  }
  // A reader meanwhile never sees the row grow older.
  std::thread reader([&] {
    Micros last = INT64_MIN;
    for (int i = 0; i < 200; ++i) {
      const std::string value = Read(table(), k);
      if (value.empty()) continue;
      const Micros event = features::codec::DecodeOnlineHeader(value).event;
      if (event < last) failed = true;
      last = event;
    }
  });
  for (auto& w : writers) w.join();
  reader.join();
  EXPECT_FALSE(failed) << "seed " << seed;
  const int newest = kThreads * kVersions - 1;
  EXPECT_EQ(Read(table(), k), Value(newest, 1, 1, std::to_string(newest)));
}

TEST_P(OnlineTableConformanceTest, CompactViewChangesNoRead) {
  const std::string k = Key(1, 1);
  for (int v : {5, 3, 9, 1}) {
    ASSERT_TRUE(Upsert(table(), {{k, Value(v, 1, 1, std::to_string(v))}}).ok());
  }
  table().CompactView(1);
  EXPECT_EQ(Read(table(), k), Value(9, 1, 1, "9"));
  ASSERT_TRUE(Upsert(table(), {{k, Value(4, 1, 1, "4")}}).ok());
  EXPECT_EQ(Read(table(), k), Value(9, 1, 1, "9"));
}

}  // namespace strata::testing
