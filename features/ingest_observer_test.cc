// IngestObserver (features/ingest_observer.h): what an observer sees of an ingest,
// how it stops one and how it drops rows, through FeatureStore::Ingest.
#include "features/ingest_observer.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/feature_store.h"
#include "features/feature_store_testing.h"
#include "gtest/gtest.h"

namespace strata::features {
namespace {

constexpr absl::string_view kDefinitions = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: stats
    entities: [customer]
    features:
      - {name: x, type: double}
      - {name: s, type: string}
)";

// Columns of view "stats" as observers see them.
constexpr size_t kId = 0, kEvent = 1, kCreated = 2, kX = 3, kS = 4;

// One row as an observer saw it.
struct SeenRow {
  uint64_t line;
  int64_t id, event;
  bool created;  // whether the input gave a created time
  Value x, s;
};

// Records every call; fails or drops rows as told.
class RecordingObserver : public IngestObserver {
 public:
  absl::Status OnStart(const IngestStart& start) override {
    calls.push_back("start");
    this->start = start;
    view_name = start.view->name();
    return absl::OkStatus();
  }
  absl::Status OnBlock(IngestBlock& block) override {
    calls.push_back(absl::StrCat("block ", block.index()));
    if (block.rows() > 0) first_lines.push_back(block.line(0));
    EXPECT_EQ(block.columns(), 5u);
    for (size_t r = 0; r < block.rows(); ++r) {
      rows.push_back({block.line(r), std::get<int64_t>(block.value(r, kId)),
                      std::get<int64_t>(block.value(r, kEvent)),
                      block.value(r, kCreated).index() != 0, block.value(r, kX),
                      block.value(r, kS)});
      if (drop && drop(rows.back())) block.Drop(r);
    }
    if (fail_at_block == block.index()) {
      return absl::InvalidArgumentError(
          absl::StrCat(start.source_name, ":", block.line(0), ": refused"));
    }
    return absl::OkStatus();
  }
  absl::Status BeforeCommit(const IngestSummary& summary) override {
    calls.push_back("before commit");
    this->summary = summary;
    return refuse_commit ? absl::FailedPreconditionError("not now") : absl::OkStatus();
  }
  void OnEnd(const absl::StatusOr<IngestResult>& outcome) override {
    calls.push_back("end");
    end = outcome.status();
  }

  // Set by the test.
  std::optional<size_t> fail_at_block;
  bool refuse_commit = false;
  std::function<bool(const SeenRow&)> drop;
  // Seen.
  std::vector<std::string> calls;
  IngestStart start;  // its view only valid during the ingest
  std::string view_name;
  std::vector<SeenRow> rows;
  std::vector<uint64_t> first_lines;  // of each block
  IngestSummary summary;
  absl::Status end = absl::UnknownError("no end");
};

class IngestObserverTest : public FeatureStoreFixture {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ApplyDefinitions(kDefinitions);
  }

  // `rows` rows: customer i % 7, event 1000 + i, x = i / 2, s "s<i>"; every third
  // row has a created time. Small blocks: several per file.
  absl::StatusOr<IngestResult> Ingest(std::vector<IngestObserver*> observers, int rows,
                                      uint64_t bulk_threshold = 100000) {
    std::string csv = "customer_id,event_timestamp,created_timestamp,x,s\n";
    for (int i = 0; i < rows; ++i) {
      absl::StrAppend(&csv, i % 7, ",", 1000 + i, ",", i % 3 == 0 ? "2000" : "", ",",
                      i / 2.0, ",s", i, "\n");
    }
    IngestOptions options;
    options.parse_block_bytes = 256;
    options.bulk_threshold_rows = bulk_threshold;
    options.observers = std::move(observers);
    return fs_->Ingest("stats", WriteFile("rows.csv", csv), options);
  }

  // Customer `id`'s online row: its event time, or nullopt when it has none.
  std::optional<Micros> OnlineEvent(int64_t id) {
    auto r = fs_->Online({"stats:x"}, {{"customer_id", {Value(id)}}}, INT64_MAX / 2);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return std::nullopt;
    return r->values[0].event_time(0);
  }

  // Nothing of an ingest is visible or left behind.
  void ExpectNothingWritten(const IngestPosition& before) {
    EXPECT_EQ(LogRows(), 0u);
    auto now = fs_->Position();
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(now->position, before.position);
    EXPECT_TRUE(now->pending.empty());
    EXPECT_TRUE(absl::IsNotFound(
        store_->artifacts().Versions({Kind::kDataset, "stats-ingest"}).status()));
    EXPECT_EQ(OnlineEvent(1), std::nullopt);
  }

  // Drops rows through the write batch or, with a low `bulk` threshold, SST files.
  void CheckDroppedRowsAreNotWritten(uint64_t bulk);
};

TEST_F(IngestObserverTest, SeesEveryRowTypedWithItsLineInFileOrder) {
  RecordingObserver a, b;
  auto r = Ingest({&a, &b}, 100);
  ASSERT_TRUE(r.ok()) << r.status();
  for (RecordingObserver* o : {&a, &b}) {
    ASSERT_GE(o->calls.size(), 5u);  // several blocks
    EXPECT_EQ(o->calls.front(), "start");
    for (size_t i = 1; i + 2 < o->calls.size(); ++i) {
      EXPECT_EQ(o->calls[i], absl::StrCat("block ", i - 1));
    }
    EXPECT_EQ(o->calls[o->calls.size() - 2], "before commit");
    EXPECT_EQ(o->calls.back(), "end");
    EXPECT_TRUE(o->end.ok()) << o->end;
    // Rows and blocks as written: the header is line 1.
    ASSERT_EQ(o->rows.size(), r->rows);
    EXPECT_EQ(o->rows.size(), r->written);
    EXPECT_EQ(o->summary.rows, r->rows);
    EXPECT_EQ(o->summary.blocks, o->calls.size() - 3);
    EXPECT_EQ(o->summary.dropped, 0u);
    EXPECT_EQ(o->summary.min_event, r->min_event);
    EXPECT_EQ(o->summary.max_event, r->max_event);
    for (int i = 0; i < 100; ++i) {
      const SeenRow& row = o->rows[i];
      EXPECT_EQ(row.line, static_cast<uint64_t>(i + 2));
      EXPECT_EQ(row.id, i % 7);
      EXPECT_EQ(row.event, (1000 + i) * 1000000LL);
      EXPECT_EQ(row.created, i % 3 == 0);
      EXPECT_EQ(row.x, Value(i / 2.0));
      EXPECT_EQ(row.s, Value(absl::StrCat("s", i)));
    }
  }
  // What the ingest reads.
  EXPECT_EQ(a.view_name, "stats");
  EXPECT_EQ(a.start.view_version, "featureview/stats@1");
  EXPECT_FALSE(a.start.json_lines);
  ASSERT_EQ(a.start.columns.size(), 5u);
  const std::vector<std::string> names = {"customer_id", "event_timestamp",
                                          "created_timestamp", "x", "s"};
  const std::vector<ValueType> types = {VALUE_TYPE_INT64, VALUE_TYPE_TIMESTAMP,
                                        VALUE_TYPE_TIMESTAMP, VALUE_TYPE_DOUBLE,
                                        VALUE_TYPE_STRING};
  for (size_t c = 0; c < 5; ++c) {
    EXPECT_EQ(a.start.columns[c].name, names[c]);
    EXPECT_EQ(a.start.columns[c].type, types[c]);
  }
  EXPECT_EQ(a.start.columns[kId].role, IngestColumn::Role::kJoinKey);
  EXPECT_EQ(a.start.columns[kEvent].role, IngestColumn::Role::kEventTime);
  EXPECT_EQ(a.start.columns[kCreated].role, IngestColumn::Role::kCreatedTime);
  EXPECT_EQ(a.start.columns[kS].role, IngestColumn::Role::kFeature);
}

TEST_F(IngestObserverTest, LinesCountBlankLinesQuotedLineBreaksAndJsonLines) {
  RecordingObserver csv;
  IngestOptions options;
  options.observers = {&csv};
  ASSERT_TRUE(fs_->Ingest("stats",
                          WriteFile("q.csv",
                                    "customer_id,event_timestamp,x,s\n"
                                    "1,10,,\"two\nlines\"\n"
                                    "\n"
                                    "2,11,1.5,\"\"\n"),
                          options)
                  .ok());
  ASSERT_EQ(csv.rows.size(), 2u);
  EXPECT_EQ(csv.rows[0].line, 2u);
  EXPECT_EQ(csv.rows[0].x, Value());  // an empty field is null
  EXPECT_EQ(csv.rows[0].s, Value(std::string("two\nlines")));
  EXPECT_EQ(csv.rows[1].line, 5u);
  EXPECT_EQ(csv.rows[1].s, Value(std::string()));  // "" is an empty string

  RecordingObserver json;
  options.observers = {&json};
  ASSERT_TRUE(fs_->Ingest("stats",
                          WriteFile("q.jsonl",
                                    "{\"customer_id\": 3, \"event_timestamp\": 12}\n"
                                    "\n"
                                    "{\"customer_id\": 4, \"event_timestamp\": 13, "
                                    "\"x\": 2.5}\n"),
                          options)
                  .ok());
  EXPECT_TRUE(json.start.json_lines);
  ASSERT_EQ(json.rows.size(), 2u);
  EXPECT_EQ(json.rows[0].line, 1u);
  EXPECT_EQ(json.rows[0].x, Value());  // absent: null
  EXPECT_EQ(json.rows[1].line, 3u);
  EXPECT_EQ(json.rows[1].id, 4);
  EXPECT_EQ(json.rows[1].x, Value(2.5));
}

TEST_F(IngestObserverTest, AnErrorInABlockAbortsWithNothingWritten) {
  const auto before = fs_->Position();
  ASSERT_TRUE(before.ok());
  for (uint64_t bulk : {100000, 10}) {
    RecordingObserver first, second;
    first.fail_at_block = 2;
    auto r = Ingest({&first, &second}, 100, bulk);
    ASSERT_FALSE(r.ok());
    // The observer's error as it is, naming the block's first row.
    ASSERT_EQ(first.first_lines.size(), 3u);
    EXPECT_EQ(r.status(), absl::InvalidArgumentError(absl::StrCat(
                              first.start.source_name, ":", first.first_lines[2],
                              ": refused")));
    // No block after the failing one, no commit; the end is told to both.
    EXPECT_EQ(first.calls.back(), "end");
    EXPECT_EQ(first.calls[first.calls.size() - 2], "block 2");
    EXPECT_EQ(second.calls.back(), "end");
    EXPECT_EQ(second.calls[second.calls.size() - 2], "block 1");
    EXPECT_EQ(first.end, r.status());
    EXPECT_EQ(second.end, r.status());
    ExpectNothingWritten(*before);
  }
}

TEST_F(IngestObserverTest, AnErrorBeforeTheCommitAbortsWithNothingWritten) {
  const auto before = fs_->Position();
  ASSERT_TRUE(before.ok());
  RecordingObserver o;
  o.refuse_commit = true;
  auto r = Ingest({&o}, 100);
  EXPECT_EQ(r.status(), absl::FailedPreconditionError("not now"));
  EXPECT_EQ(o.calls.back(), "end");
  EXPECT_EQ(o.end, r.status());
  ExpectNothingWritten(*before);
  // The same input without the refusal is written whole.
  o.refuse_commit = false;
  r = Ingest({&o}, 100);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(LogRows(), 0u);
  EXPECT_EQ(OnlineEvent(1), 1099 * 1000000LL);
}

TEST_F(IngestObserverTest, ABadRowAfterObservedBlocksIsTheErrorAndEndsThem) {
  RecordingObserver o;
  IngestOptions options;
  options.parse_block_bytes = 64;
  options.observers = {&o};
  std::string csv = "customer_id,event_timestamp,x,s\n";
  for (int i = 0; i < 20; ++i) absl::StrAppend(&csv, i, ",", 100 + i, ",1,a\n");
  csv += "1,10,abc,a\n";
  for (int i = 0; i < 20; ++i) absl::StrAppend(&csv, i, ",", 100 + i, ",1,a\n");
  auto r = fs_->Ingest("stats", WriteFile("bad.csv", csv), options);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StartsWith(r.status().message(),
                               o.start.source_name + ":22: column \"x\": \"abc\" is not a double"))
      << r.status();
  EXPECT_EQ(o.end, r.status());
  // Observed rows end before the bad one; no commit.
  for (const SeenRow& row : o.rows) EXPECT_LT(row.line, 22u);
  EXPECT_EQ(std::count(o.calls.begin(), o.calls.end(), "before commit"), 0);
  EXPECT_EQ(LogRows(), 0u);
}

void IngestObserverTest::CheckDroppedRowsAreNotWritten(uint64_t bulk) {
  {
    // Customer 2 entirely, and customer 1's newest row (event 1099).
    RecordingObserver o;
    o.drop = [](const SeenRow& row) {
      return row.id == 2 || (row.id == 1 && row.event == 1099 * 1000000LL);
    };
    RecordingObserver after;  // sees what the first dropped, still
    auto r = Ingest({&o, &after}, 100, bulk);
    ASSERT_TRUE(r.ok()) << r.status();
    const uint64_t dropped = 14 + 1;  // customer 2: rows 2, 9, ..., 93
    EXPECT_EQ(r->dropped, dropped);
    EXPECT_EQ(r->rows, 100 - dropped);
    EXPECT_EQ(r->written, 100 - dropped);
    EXPECT_EQ(o.summary.dropped, dropped);
    EXPECT_EQ(after.rows.size(), 100u);
    EXPECT_GT(LogRows(), 0u);
    // The online table: customer 1's newest kept row, none for customer 2.
    EXPECT_EQ(OnlineEvent(1), 1092 * 1000000LL);
    EXPECT_EQ(OnlineEvent(2), std::nullopt);
    EXPECT_EQ(OnlineEvent(3), 1094 * 1000000LL);
    // The log: as of the dropped row's time, customer 1 has the older row, 2 none.
    HistoricalRequest request;
    request.features = {"stats:x"};
    auto out = Retrieve(request, "customer_id,event_timestamp\n1,1099\n2,1099\n");
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(*out, "customer_id,event_timestamp,x\n1,1099,46\n2,1099,\n");
    // The stored file keeps every row.
    auto versions = store_->artifacts().Versions({Kind::kDataset, "stats-ingest"});
    ASSERT_TRUE(versions.ok()) << versions.status();
    EXPECT_EQ(versions->back().metadata().at("rows"), "100");
  }
}

TEST_F(IngestObserverTest, DroppedRowsAreInNeitherTheLogNorTheOnlineTable) {
  CheckDroppedRowsAreNotWritten(100000);
}

TEST_F(IngestObserverTest, DroppedRowsAreInNeitherTheBulkLogNorTheOnlineTable) {
  CheckDroppedRowsAreNotWritten(10);
}

TEST_F(IngestObserverTest, DroppingEveryRowIsAnError) {
  RecordingObserver o;
  o.drop = [](const SeenRow&) { return true; };
  const auto before = fs_->Position();
  ASSERT_TRUE(before.ok());
  auto r = Ingest({&o}, 10);
  EXPECT_EQ(r.status(), absl::InvalidArgumentError(
                            absl::StrCat(o.start.source_name,
                                         " has no rows to write: its observers dropped 10 rows")));
  ExpectNothingWritten(*before);
}

// Counts the rows OnBlockConcurrent sees (calls may overlap) and what AfterCommit
// is given.
class ConcurrentCounter : public IngestObserver {
 public:
  absl::Status OnBlock(IngestBlock&) override { return absl::OkStatus(); }
  absl::Status OnBlockConcurrent(const IngestBlock& block) override {
    uint64_t kept = 0;
    for (size_t r = 0; r < block.rows(); ++r) kept += !block.dropped(r);
    std::lock_guard lock(mu);
    rows += kept;
    ++blocks;
    return fail ? absl::InvalidArgumentError("block refused") : absl::OkStatus();
  }
  absl::Status AfterCommit(IngestResult& result) override {
    committed = result.ingest;
    return after_commit;
  }
  void OnEnd(const absl::StatusOr<IngestResult>& outcome) override {
    end = outcome.status();
  }

  bool fail = false;
  absl::Status after_commit;
  std::mutex mu;
  uint64_t rows = 0, blocks = 0, committed = 0;
  absl::Status end = absl::UnknownError("no end");
};

TEST_F(IngestObserverTest, ConcurrentCallsSeeEveryBlockAfterTheDrops) {
  RecordingObserver dropper;
  dropper.drop = [](const SeenRow& row) { return row.id == 2; };
  ConcurrentCounter counter;
  auto r = Ingest({&dropper, &counter}, 100);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(counter.rows, 100u - 14u);  // customer 2: rows 2, 9, ..., 93
  EXPECT_EQ(counter.blocks, dropper.summary.blocks);
  EXPECT_EQ(counter.committed, r->ingest);
  EXPECT_TRUE(counter.end.ok());
}

TEST_F(IngestObserverTest, AnErrorOutOfTurnAbortsWithNothingWritten) {
  ConcurrentCounter counter;
  counter.fail = true;
  const auto before = fs_->Position();
  ASSERT_TRUE(before.ok());
  auto r = Ingest({&counter}, 100);
  EXPECT_EQ(r.status(), absl::InvalidArgumentError("block refused"));
  EXPECT_EQ(counter.committed, 0u);
  ExpectNothingWritten(*before);
}

TEST_F(IngestObserverTest, AnErrorAfterTheCommitIsReportedWithTheRowsKept) {
  ConcurrentCounter counter;
  counter.after_commit = absl::UnavailableError("profile not stored");
  auto r = Ingest({&counter}, 100);
  EXPECT_EQ(r.status(), absl::UnavailableError(absl::StrCat(
                            "ingest ", counter.committed,
                            " committed, but profile not stored")));
  EXPECT_EQ(counter.end, r.status());
  EXPECT_GT(LogRows(), 0u);
}

TEST_F(IngestObserverTest, TheStoresObserverFactoriesMakeOnePerIngest) {
  int made = 0;
  std::vector<uint64_t> rows;
  class Counter : public IngestObserver {
   public:
    explicit Counter(std::vector<uint64_t>* rows) : rows_(rows) {}
    absl::Status OnBlock(IngestBlock&) override { return absl::OkStatus(); }
    absl::Status AfterCommit(IngestResult& result) override {
      rows_->push_back(result.rows);
      return absl::OkStatus();
    }
   private:
    std::vector<uint64_t>* rows_;
  };
  FeatureStoreOptions options;
  options.ingest_observers.push_back([&]() -> std::unique_ptr<IngestObserver> {
    ++made;
    return std::make_unique<Counter>(&rows);
  });
  fs_ = std::make_unique<FeatureStore>(store_.get(), options);
  ASSERT_TRUE(Ingest({}, 10).ok());
  ASSERT_TRUE(Ingest({}, 20).ok());
  EXPECT_EQ(made, 2);
  EXPECT_EQ(rows, (std::vector<uint64_t>{10, 20}));
  // An ingest may leave them out (strata validate: nothing is committed).
  IngestOptions without;
  without.store_observers = false;
  ASSERT_TRUE(fs_->Ingest("stats", WriteFile("one.csv",
                                             "customer_id,event_timestamp,x,s\n1,1000,1,a\n"),
                          without)
                  .ok());
  EXPECT_EQ(made, 2);
}

TEST_F(IngestObserverTest, RowsHiddenByRowsOfTheSameIngestAreCounted) {
  // Customer 1 at event 1000 three times (created 5, 6, and 6 again: a duplicate),
  // customer 2 once.
  const std::string csv =
      "customer_id,event_timestamp,created_timestamp,x,s\n"
      "1,1000,5,1,a\n1,1000,6,2,b\n1,1000,6,3,c\n2,1000,5,4,d\n";
  for (uint64_t bulk : {100000u, 1u}) {
    IngestOptions options;
    options.bulk_threshold_rows = bulk;
    auto r = fs_->Ingest("stats", WriteFile("dup.csv", csv), options);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->rows, 4u);
    EXPECT_EQ(r->written, 3u);
    EXPECT_EQ(r->shadowed, 1u);
  }
}

}  // namespace
}  // namespace strata::features
