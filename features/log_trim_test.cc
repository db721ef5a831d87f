// FeatureStore::TrimLog: answers at and after the horizon survive a trim, exactly
// the rows no such answer can pick go, and what the trim cannot answer is refused.
#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/feature_store_testing.h"
#include "features/retention.h"
#include "gc/retention.h"
#include "gtest/gtest.h"
#include "store/database.h"
#include "store/internal/db.h"
#include "tests/testing.h"

namespace strata::features {
namespace {

constexpr absl::string_view kDefinitions = R"(
entities:
  - name: customer
    join_keys: [{name: customer_id, type: int64}]
feature_views:
  - name: clicks
    entities: [customer]
    features:
      - {name: x, type: int64}
  - name: other
    entities: [customer]
    features:
      - {name: y, type: int64}
)";

Micros Sec(int64_t s) { return s * 1000000; }

class LogTrimTest : public FeatureStoreFixture {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ApplyDefinitions(kDefinitions);
  }

  // Ingests CSV rows "customer,event,created,x" (seconds) into `view`.
  absl::StatusOr<IngestResult> Ingest(const std::string& rows,
                                      const std::string& view = "clicks",
                                      uint64_t bulk_threshold = 100000,
                                      size_t chunk_bytes = 16 << 10) {
    const std::string path = dir_.Sub(absl::StrCat("in-", files_++, ".csv"));
    std::ofstream(path) << (view == "clicks" ? "customer_id,event_timestamp,"
                                               "created_timestamp,x\n"
                                             : "customer_id,event_timestamp,"
                                               "created_timestamp,y\n")
                        << rows;
    IngestOptions options;
    options.bulk_threshold_rows = bulk_threshold;
    options.log_chunk_bytes = chunk_bytes;
    return fs_->Ingest(view, path, options);
  }

  absl::StatusOr<std::string> Retrieve(const std::string& spine,
                                       const HistoricalRequest& base = {}) {
    HistoricalRequest request = base;
    if (request.features.empty()) request.features = {"clicks:x"};
    return FeatureStoreFixture::Retrieve(request, spine);
  }

  // Every answer the trim must keep: each request variant at every time in
  // `times`, for every entity in `entities`, as one string.
  std::string Answers(const std::vector<int64_t>& entities,
                      const std::vector<int64_t>& times,
                      const std::vector<int64_t>& as_ofs) {
    std::string spine = "customer_id,event_timestamp\n";
    for (int64_t e : entities) {
      for (int64_t t : times) absl::StrAppend(&spine, e, ",", t, "\n");
    }
    std::string all;
    for (int variant = 0; variant < 2 + static_cast<int>(as_ofs.size()); ++variant) {
      HistoricalRequest request;
      request.created_cutoff = variant == 1;
      if (variant >= 2) request.as_of = Sec(as_ofs[variant - 2]);
      auto got = Retrieve(spine, request);
      EXPECT_TRUE(got.ok()) << got.status();
      absl::StrAppend(&all, "variant ", variant, "\n", got.value_or("error"));
    }
    return all;
  }

  // Rows and bytes of the log and the meta records: what a dry run must not change.
  std::string Tables() {
    std::string out;
    for (auto cf : {internal::Cf::kFeatureLog, internal::Cf::kFeatureMeta}) {
      for (auto c = DatabaseOf(*store_).Scan(cf, ""); c->Valid(); c->Next()) {
        absl::StrAppend(&out, c->key(), "=", c->value(), ";");
      }
    }
    return out;
  }

  // Rows in the log, all views.
  uint64_t LogRows() {
    uint64_t n = 0;
    codec::LogChunk chunk;
    for (auto c = DatabaseOf(*store_).Scan(internal::Cf::kFeatureLog, ""); c->Valid();
         c->Next()) {
      EXPECT_TRUE(chunk.Parse(c->value()));
      n += chunk.size();
    }
    return n;
  }

  // Saves the retrieval of clicks:x over `spine` (CSV text) as a version of
  // `dataset`; returns "dataset/NAME@N".
  std::string Save(const std::string& spine, const std::string& dataset = "train",
                   const HistoricalRequest& base = {}) {
    HistoricalRequest request = base;
    request.features = {"clicks:x"};
    const std::string path = dir_.Sub(absl::StrCat("spine-", files_++, ".csv"));
    std::ofstream(path) << spine;
    auto saved = fs_->SaveHistorical(request, path, dataset, "ana", "", nullptr);
    EXPECT_TRUE(saved.ok()) << saved.status();
    return saved.ok() ? saved->dataset : "";
  }

  // Whether `dataset` reproduces byte for byte; the error when it cannot.
  absl::Status Reproduces(const std::string& dataset) {
    auto r = fs_->Reproduce(dataset, nullptr);
    if (!r.ok()) return r.status();
    return r->identical ? absl::OkStatus() : absl::DataLossError("not identical");
  }

  absl::StatusOr<LogTrimReport> Trim(Micros horizon, bool dry_run = false,
                                     bool force = false) {
    LogTrimOptions options;
    options.dry_run = dry_run;
    options.force = force;
    return fs_->TrimLog("clicks", horizon, options);
  }

  static std::vector<std::string> Names(const LogTrimReport& r) {
    std::vector<std::string> out;
    for (const BrokenTrainingSet& b : r.breaks) out.push_back(b.dataset);
    return out;
  }

  int files_ = 0;
};

// The worked case of docs/features.md's "Log retention", horizon 100.
TEST_F(LogTrimTest, KeepsEveryAnswerAtOrAfterTheHorizonAndDropsExactlyTheRest) {
  // Customer 1: 10, 20, 30 go; 50 is in force at the horizon; 150 and 200 are
  // after it. Customer 2: 80 is in force at 100 for what was known then, and 90,
  // created at 300 (late), for answers that know it; 40 goes. Customer 3: nothing
  // before the horizon. Customer 4: three rows at 100; the later ingest's of the
  // newest created time wins, the two others go.
  ASSERT_TRUE(Ingest("1,10,10,1\n1,20,20,2\n1,30,30,3\n1,150,150,4\n"
                     "2,40,40,5\n4,100,100,6\n4,100,90,7\n")
                  .ok());
  ASSERT_TRUE(Ingest("1,50,60,8\n1,200,200,9\n4,100,100,10\n3,120,120,11\n").ok());
  ASSERT_TRUE(Ingest("2,90,300,12\n2,80,80,13\n").ok());
  ASSERT_TRUE(Ingest("1,10,10,1\n1,50,50,2\n", "other").ok());
  ASSERT_EQ(LogRows(), 15u);
  const std::vector<int64_t> entities = {1, 2, 3, 4, 5};
  const std::vector<int64_t> times = {100, 101, 150, 299, 300, 1000};
  const std::vector<int64_t> as_ofs = {100, 250, 300, 5000};
  const std::string before = Answers(entities, times, as_ofs);

  const std::string tables = Tables();
  LogTrimOptions dry_run;
  dry_run.dry_run = true;
  auto dry = fs_->TrimLog("clicks", Sec(100), dry_run);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(Tables(), tables);
  EXPECT_EQ(dry->rows_dropped, 6u);

  auto trim = fs_->TrimLog("clicks", Sec(100), {});
  ASSERT_TRUE(trim.ok()) << trim.status();
  EXPECT_EQ(trim->entities, 4u);
  EXPECT_EQ(trim->rows_before, 13u);
  EXPECT_EQ(trim->rows_dropped, 6u);
  EXPECT_EQ(trim->rows_kept_at_horizon, 4u);
  // Ingest 1's chunks: customer 1's loses three rows, customers 2's and 4's go.
  EXPECT_EQ(trim->chunks_dropped, 2u);
  EXPECT_EQ(trim->chunks_rewritten, 1u);
  EXPECT_LT(trim->bytes_after, trim->bytes_before);
  EXPECT_EQ(dry->bytes_after, trim->bytes_after);
  // The rewritten chunks sit under the keys the file's range tombstones cover:
  // RocksDB does not let a file's tombstone cover the file's own keys.
  EXPECT_EQ(LogRows(), 15u - 6u);
  EXPECT_EQ(Answers(entities, times, as_ofs), before);

  // Again: nothing more goes.
  auto again = fs_->TrimLog("clicks", Sec(100), {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->rows_dropped, 0u);
  EXPECT_EQ(again->rows_before, 7u);
  EXPECT_EQ(LogRows(), 9u);
  EXPECT_EQ(Answers(entities, times, as_ofs), before);

  // The other view is untouched and still answers anything.
  HistoricalRequest other;
  other.features = {"other:y"};
  auto early = Retrieve("customer_id,event_timestamp\n1,20\n", other);
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(*early, "customer_id,event_timestamp,y\n1,20,1\n");
}

TEST_F(LogTrimTest, RefusesWhatTheTrimmedLogCannotAnswer) {
  ASSERT_TRUE(Ingest("1,10,10,1\n1,50,50,2\n2,20,20,3\n3,150,150,6\n").ok());
  auto old_position = fs_->Position();
  ASSERT_TRUE(old_position.ok());
  ASSERT_TRUE(Ingest("1,60,60,4\n2,300,300,5\n").ok());
  ASSERT_TRUE(fs_->TrimLog("clicks", Sec(100), {}).ok());

  // Before the horizon: refused, naming the spine line, the view and the horizon.
  auto before = Retrieve("customer_id,event_timestamp\n1,200\n1,99\n");
  ASSERT_EQ(before.status().code(), absl::StatusCode::kFailedPrecondition)
      << before.status();
  EXPECT_EQ(before.status().message(),
            "spine:3: event_timestamp 1970-01-01T00:01:39Z is before feature view "
            "clicks's offline log retention horizon 1970-01-01T00:01:40Z: rows in "
            "force before it were trimmed");
  auto at = Retrieve("customer_id,event_timestamp\n1,100\n");
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(*at, "customer_id,event_timestamp,x\n1,100,4\n");

  // Seeing less than the trim (an older position, as Reproduce does): customer 3's
  // answer at 400 is after the horizon, so certain; customer 1's was 50, which
  // the trim removed (60, from the later ingest, is in force at the horizon).
  HistoricalRequest pinned;
  pinned.at = *old_position;
  auto certain = Retrieve("customer_id,event_timestamp\n3,400\n", pinned);
  ASSERT_TRUE(certain.ok()) << certain.status();
  EXPECT_EQ(*certain, "customer_id,event_timestamp,x\n3,400,6\n");
  auto uncertain = Retrieve("customer_id,event_timestamp\n3,400\n1,400\n", pinned);
  ASSERT_EQ(uncertain.status().code(), absl::StatusCode::kFailedPrecondition)
      << uncertain.status();
  EXPECT_NE(uncertain.status().message().find("spine row 2 at 1970-01-01T00:06:40Z: "
                                              "feature view clicks's offline log was "
                                              "trimmed to horizon"),
            std::string::npos)
      << uncertain.status();
  // An as-of before the horizon likewise.
  HistoricalRequest as_of;
  as_of.as_of = Sec(55);
  auto early = Retrieve("customer_id,event_timestamp\n1,400\n", as_of);
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LogTrimTest, RejectsUnknownViewsAndFutureHorizons) {
  EXPECT_EQ(fs_->TrimLog("nope", Sec(100), {}).status().code(),
            absl::StatusCode::kNotFound);
  auto future = fs_->TrimLog("clicks", Sec(4102444800), {});  // 2100
  EXPECT_EQ(future.status().code(), absl::StatusCode::kInvalidArgument);
  // A view never ingested has nothing to trim, but records its horizon.
  auto empty = fs_->TrimLog("clicks", Sec(100), {});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->rows_before, 0u);
}

// The brute-force rule: the row in force for one entity at t, among `rows` (event,
// created, ingest, x), with a created-time limit.
struct TestRow {
  int64_t entity, event, created;
  uint64_t ingest;
  int64_t x;
};
const TestRow* InForce(const std::vector<TestRow>& rows, int64_t entity, int64_t t,
                       std::optional<int64_t> created_limit) {
  const TestRow* best = nullptr;
  for (const TestRow& r : rows) {
    if (r.entity != entity || r.event > t) continue;
    if (created_limit.has_value() && r.created > *created_limit) continue;
    if (best == nullptr || std::tie(r.event, r.created, r.ingest) >
                               std::tie(best->event, best->created, best->ingest)) {
      best = &r;
    }
  }
  return best;
}

TEST_F(LogTrimTest, RandomizedTrimsMatchBruteForceAndCountExactly) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int64_t>(rng() % n); };
  std::vector<TestRow> rows;
  for (int b = 0; b < 6; ++b) {
    std::string csv;
    std::map<std::tuple<int64_t, int64_t, int64_t>, int> seen;  // no in-file dups
    for (int i = 0; i < 40 + pick(60); ++i) {
      TestRow r{pick(8), 10 * pick(60), 0, 0, pick(1000)};
      r.created = r.event + (pick(4) == 0 ? pick(400) : pick(3));
      if (seen[{r.entity, r.event, r.created}]++ > 0) continue;
      absl::StrAppend(&csv, r.entity, ",", r.event, ",", r.created, ",", r.x, "\n");
      rows.push_back(r);
    }
    // Small chunks split an entity's rows; some ingests take the SST path.
    auto in = Ingest(csv, "clicks", b % 2 == 0 ? 20 : 100000, b % 3 == 0 ? 30 : 16 << 10);
    ASSERT_TRUE(in.ok()) << in.status();
    for (TestRow& r : rows) {
      if (r.ingest == 0) r.ingest = in->ingest;
    }
  }
  const int64_t horizon = 10 * pick(60);
  // Expected drops: a row at or before the horizon stays when some created-time
  // limit c >= horizon makes it the newest of those rows (c = max(h, created)).
  uint64_t dropped = 0, kept = 0;
  for (const TestRow& r : rows) {
    if (r.event > horizon) continue;
    const TestRow* best = InForce(rows, r.entity, horizon, std::max(horizon, r.created));
    (best == &r ? kept : dropped) += 1;
  }
  std::vector<int64_t> entities, times, as_ofs = {horizon, horizon + 50, horizon + 300};
  for (int64_t e = 0; e < 9; ++e) entities.push_back(e);
  for (int64_t t = horizon; t < horizon + 700; t += 37) times.push_back(t);
  times.push_back(horizon + 1);
  const std::string before = Answers(entities, times, as_ofs);

  auto trim = fs_->TrimLog("clicks", Sec(horizon), {});
  ASSERT_TRUE(trim.ok()) << trim.status();
  EXPECT_EQ(trim->rows_before, rows.size()) << "seed " << seed;
  EXPECT_EQ(trim->rows_dropped, dropped) << "seed " << seed;
  EXPECT_EQ(trim->rows_kept_at_horizon, kept) << "seed " << seed;
  EXPECT_EQ(LogRows(), rows.size() - dropped) << "seed " << seed;
  EXPECT_EQ(Answers(entities, times, as_ofs), before) << "seed " << seed;
}

// Two writers ingest while a third thread trims again and again: every row a
// writer committed is either still there or was one no answer at or after the
// last horizon can pick, and every such answer matches the brute force over all
// rows ever ingested. Bounded: a fixed number of ingests, trims until they end.
TEST_F(LogTrimTest, ConcurrentIngestsLoseNothing) {
  const uint64_t seed = testing::TestSeed();
  std::mutex mu;
  std::vector<TestRow> rows;
  std::atomic<int64_t> created_clock{1000};  // unique created times: no ties
  std::atomic<int> writers_done{0};
  const auto write = [&](int w) {
    std::mt19937_64 rng(seed + w);
    for (int b = 0; b < 8; ++b) {
      std::string csv;
      std::vector<TestRow> mine;
      for (int i = 0; i < 30; ++i) {
        TestRow r{static_cast<int64_t>(rng() % 6), static_cast<int64_t>(rng() % 600),
                  created_clock++, 0, static_cast<int64_t>(rng() % 1000)};
        absl::StrAppend(&csv, r.entity, ",", r.event, ",", r.created, ",", r.x, "\n");
        mine.push_back(r);
      }
      const std::string path = dir_.Sub(absl::StrCat("w", w, "-", b, ".csv"));
      std::ofstream(path) << "customer_id,event_timestamp,created_timestamp,x\n" << csv;
      IngestOptions options;
      options.bulk_threshold_rows = b % 2 == 0 ? 10 : 100000;
      auto in = fs_->Ingest("clicks", path, options);
      ASSERT_TRUE(in.ok()) << in.status();
      std::lock_guard lock(mu);
      for (TestRow& r : mine) {
        r.ingest = in->ingest;
        rows.push_back(r);
      }
    }
  };
  const auto writer = [&](int w) {
    write(w);
    ++writers_done;  // also after a failure: the trim loop below must end
  };
  std::thread w0(writer, 0), w1(writer, 1);
  int64_t horizon = 0;
  int trims = 0;
  uint64_t dropped = 0;
  while (writers_done.load() < 2 || trims < 3) {
    horizon = std::min<int64_t>(horizon + 20, 400);
    auto trim = fs_->TrimLog("clicks", Sec(horizon), {});
    ASSERT_TRUE(trim.ok()) << trim.status();
    dropped += trim->rows_dropped;
    ++trims;
  }
  w0.join();
  w1.join();
  auto last = fs_->TrimLog("clicks", Sec(horizon), {});
  ASSERT_TRUE(last.ok()) << last.status();
  dropped += last->rows_dropped;
  EXPECT_GT(dropped, 0u) << "seed " << seed;

  // Rows after the horizon are all there; answers at or after it match.
  std::string spine = "customer_id,event_timestamp\n";
  std::string expected = "customer_id,event_timestamp,x\n";
  for (int64_t e = 0; e < 6; ++e) {
    for (int64_t t = horizon; t < 700; t += 13) {
      absl::StrAppend(&spine, e, ",", t, "\n");
      const TestRow* r = InForce(rows, e, t, std::nullopt);
      absl::StrAppend(&expected, e, ",", t, ",", r ? absl::StrCat(r->x) : "", "\n");
    }
  }
  auto got = Retrieve(spine);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, expected) << "seed " << seed << ", " << trims << " trims";
  uint64_t after = 0;
  for (const TestRow& r : rows) after += r.event > horizon;
  EXPECT_GE(LogRows(), after) << "seed " << seed;
}

// A trim that would make a kept training set unreproducible is refused, naming it
// and the latest safe horizon: here the spine's earliest time, as nothing was
// ingested since the set was saved. At that horizon it trims and the set reproduces.
TEST_F(LogTrimTest, RefusesToBreakAKeptTrainingSetUpToItsEarliestSpineRow) {
  ASSERT_TRUE(Ingest("1,10,10,1\n1,50,50,2\n2,20,20,3\n").ok());
  const std::string train = Save("customer_id,event_timestamp\n1,200\n2,60\n");
  ASSERT_EQ(train, "dataset/train@1");
  const std::string before = Tables();

  auto dry = Trim(Sec(100), /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(Names(*dry), std::vector<std::string>{"dataset/train@1"});
  EXPECT_EQ(dry->breaks[0].protected_by, "");
  EXPECT_EQ(dry->safe_horizon, Sec(60));
  EXPECT_EQ(Tables(), before);

  auto refused = Trim(Sec(100));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
      << refused.status();
  EXPECT_EQ(refused.status().message(),
            "trimming feature view clicks's offline log to 1970-01-01T00:01:40Z would "
            "make 1 kept training set unreproducible: dataset/train@1; the latest "
            "horizon that breaks none is 1970-01-01T00:01:00Z; --force trims anyway "
            "(strata features trim --dry-run lists them all)");
  EXPECT_EQ(Tables(), before);
  EXPECT_TRUE(Reproduces(train).ok());

  // The edge: a spine row at the horizon is answered, one microsecond after is not.
  auto late = Trim(Sec(60) + 1, /*dry_run=*/true);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(Names(*late), std::vector<std::string>{"dataset/train@1"});
  auto at = Trim(Sec(60));
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_TRUE(at->breaks.empty());
  EXPECT_EQ(at->rows_dropped, 1u);  // customer 1's row at 10
  EXPECT_TRUE(Reproduces(train).ok()) << Reproduces(train);
}

// Ingests after a set was saved: reproducing it no longer sees all the trim saw, so
// every answer it read must be after the horizon. Customer 1's answer at 200 was the
// row at 50: a trim to 50 would break it, one to 50 s less a microsecond does not.
TEST_F(LogTrimTest, AfterLaterIngestsTheSetNeedsTheRowsItsAnswersRead) {
  ASSERT_TRUE(Ingest("1,10,10,1\n1,20,20,2\n1,50,50,3\n").ok());
  const std::string train = Save("customer_id,event_timestamp\n1,200\n");
  ASSERT_TRUE(Ingest("2,5,5,9\n").ok());

  auto at_answer = Trim(Sec(50), /*dry_run=*/true);
  ASSERT_TRUE(at_answer.ok());
  EXPECT_EQ(Names(*at_answer), std::vector<std::string>{train});
  EXPECT_EQ(at_answer->safe_horizon, Sec(50) - 1);
  auto trimmed = Trim(Sec(50) - 1);
  ASSERT_TRUE(trimmed.ok()) << trimmed.status();
  EXPECT_EQ(trimmed->rows_dropped, 1u);  // the row at 10
  EXPECT_TRUE(Reproduces(train).ok()) << Reproduces(train);
}

// With --as-of before the horizon a set does not see the trim either: it needs the
// rows its answers read, unless the horizon is at or before its as-of time.
TEST_F(LogTrimTest, AnAsOfSetNeedsWhatItReadPastItsAsOf) {
  ASSERT_TRUE(Ingest("1,10,10,1\n1,50,50,2\n").ok());
  HistoricalRequest as_of;
  as_of.as_of = Sec(45);  // row 50 was created after it: the answer is row 10
  const std::string train = Save("customer_id,event_timestamp\n1,200\n", "train", as_of);
  auto dry = Trim(Sec(100), true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(Names(*dry), std::vector<std::string>{train});
  EXPECT_EQ(dry->safe_horizon, Sec(45));
  dry = Trim(Sec(45) + 1, true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(Names(*dry), std::vector<std::string>{train});
  auto trimmed = Trim(Sec(45));
  ASSERT_TRUE(trimmed.ok()) << trimmed.status();
  EXPECT_TRUE(trimmed->breaks.empty());
  EXPECT_TRUE(Reproduces(train).ok()) << Reproduces(train);
}

// --force breaks an unprotected set, which then fails to reproduce saying which trim;
// an already broken set holds nothing back afterwards.
TEST_F(LogTrimTest, ForceBreaksAnUnprotectedSetAndReproduceSaysWhy) {
  ASSERT_TRUE(Ingest("1,10,10,1\n1,50,50,2\n").ok());
  const std::string train = Save("customer_id,event_timestamp\n1,40\n");
  auto forced = Trim(Sec(100), /*dry_run=*/false, /*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ(Names(*forced), std::vector<std::string>{train});
  const absl::Status r = Reproduces(train);
  ASSERT_EQ(r.code(), absl::StatusCode::kFailedPrecondition) << r;
  EXPECT_TRUE(absl::StartsWith(r.message(),
                               "cannot reproduce dataset/train@1: feature view clicks's "
                               "offline log was trimmed to 1970-01-01T00:01:40Z on "))
      << r;
  EXPECT_NE(r.message().find("event_timestamp 1970-01-01T00:00:40Z is before feature "
                             "view clicks's offline log retention horizon"),
            std::string::npos)
      << r;
  auto again = Trim(Sec(120));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->breaks.empty());
}

// An alias on the set, or on a version made from it, protects it even from --force.
TEST_F(LogTrimTest, AnAliasProtectsATrainingSetEvenFromForce) {
  ASSERT_TRUE(Ingest("1,10,10,1\n1,50,50,2\n").ok());
  const std::string train = Save("customer_id,event_timestamp\n1,40\n");
  CommitContent("model/churn", "weights", {train}, "production");
  auto refused = Trim(Sec(100), /*dry_run=*/false, /*force=*/true);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
      << refused.status();
  EXPECT_EQ(refused.status().message(),
            "trimming feature view clicks's offline log to 1970-01-01T00:01:40Z would "
            "make training sets an alias protects unreproducible: dataset/train@1 (kept "
            "by model/churn@1 (production), made directly from it); the latest horizon "
            "that breaks none is 1970-01-01T00:00:40Z; --force does not override an "
            "alias: remove it first (strata alias rm)");
  auto dry = Trim(Sec(100), /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  ASSERT_EQ(dry->breaks.size(), 1u);
  EXPECT_EQ(dry->breaks[0].protected_by,
            "model/churn@1 (production), made directly from it");

  ASSERT_TRUE(store_->artifacts()
                  .RemoveAlias(*ParseArtifactId("model/churn"), "production",
                               std::nullopt, "ana", "")
                  .ok());
  ASSERT_TRUE(store_->artifacts()
                  .SetAlias(*ParseArtifactId("dataset/train"), "production", 1,
                            std::nullopt, "ana", "")
                  .ok());
  EXPECT_EQ(Trim(Sec(100), false, true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Reproduces(train).ok());
}

// Only kept sets count: a deleted version, or one retention is about to delete,
// holds nothing back.
TEST_F(LogTrimTest, SetsRetentionWouldDeleteAreNotKept) {
  ASSERT_TRUE(Ingest("1,10,10,1\n1,50,50,2\n").ok());
  const std::string old = Save("customer_id,event_timestamp\n1,40\n");
  const std::string kept = Save("customer_id,event_timestamp\n1,90\n");
  ASSERT_EQ(kept, "dataset/train@2");
  auto dry = Trim(Sec(100), true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(Names(*dry), (std::vector<std::string>{old, kept}));
  store::RetentionPolicy keep_one;
  keep_one.set_keep_last(1);
  ASSERT_TRUE(gc::SetRetentionPolicy(*store_, "dataset/train", keep_one, "ana").ok());
  dry = Trim(Sec(100), true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(Names(*dry), std::vector<std::string>{kept});
  ASSERT_TRUE(store_->artifacts()
                  .Delete({*ParseArtifactId("dataset/train"), 2, "ana", "", false})
                  .ok());
  // train@1, the latest live version now, is kept again; train@2 is gone.
  dry = Trim(Sec(100), true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(Names(*dry), std::vector<std::string>{old});
}

// A set saved before what it reads was recorded is reproduced to find out.
TEST_F(LogTrimTest, ASetSavedBeforeItsReadsWereRecordedIsStillProtected) {
  ASSERT_TRUE(Ingest("1,10,10,1\n1,50,50,2\n").ok());
  const std::string train = Save("customer_id,event_timestamp\n1,40\n");
  auto v = store_->artifacts().Resolve(*ParseRef(train));
  ASSERT_TRUE(v.ok());
  NewVersion legacy;
  legacy.artifact = *ParseArtifactId("dataset/legacy");
  legacy.content_id = *Digest::FromRaw(v->content_id());
  for (const auto& [key, value] : v->metadata()) {
    if (!absl::StartsWith(key, "log.")) legacy.metadata[key] = value;
  }
  ASSERT_EQ(legacy.metadata.size() + 2, v->metadata().size());
  ASSERT_TRUE(store_->artifacts().Commit(legacy).ok());
  ASSERT_TRUE(store_->artifacts()
                  .Delete({*ParseArtifactId("dataset/train"), 1, "ana", "", false})
                  .ok());
  auto dry = Trim(Sec(100), true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(Names(*dry), std::vector<std::string>{"dataset/legacy@1"});
  EXPECT_EQ(dry->safe_horizon, Sec(40));
}

// Retention's log policy trims only as far as the kept sets allow, naming them.
TEST_F(LogTrimTest, RetentionTrimsOnlyToTheSafeHorizon) {
  ASSERT_TRUE(Ingest("1,10,10,1\n1,20,20,2\n1,50,50,3\n").ok());
  const std::string train = Save("customer_id,event_timestamp\n1,30\n");
  store::RetentionPolicy log;
  log.set_log_keep_seconds(86400);
  ASSERT_TRUE(gc::SetRetentionPolicy(*store_, "featureview", log, "ana").ok());
  auto applied = ApplyRetentionWithLogs(*store_, *fs_, false, "cron");
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_EQ(applied->logs.size(), 2u);  // clicks, then other (nothing to hold back)
  EXPECT_TRUE(applied->logs[1].held_back_by.empty());
  const gc::LogTrim& t = applied->logs[0];
  EXPECT_EQ(t.view, "clicks");
  EXPECT_EQ(t.held_back_by, std::vector<std::string>{train});
  EXPECT_EQ(t.trimmed_to_us, Sec(30));
  EXPECT_EQ(t.rows_dropped, 1u);  // the row at 10; the one at 20 is in force at 30
  EXPECT_TRUE(Reproduces(train).ok()) << Reproduces(train);

  // Later ingests, and an answer with no row in a TTL-less view: no horizon that
  // drops rows is safe, so the log is left alone.
  const std::string none = Save("customer_id,event_timestamp\n7,40\n", "empty");
  ASSERT_TRUE(Ingest("2,5,5,9\n").ok());
  applied = ApplyRetentionWithLogs(*store_, *fs_, false, "cron");
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_EQ(applied->logs.size(), 2u);
  EXPECT_EQ(applied->logs[0].held_back_by, (std::vector<std::string>{none, train}));
  EXPECT_FALSE(applied->logs[0].trimmed_to_us.has_value());
  EXPECT_EQ(applied->logs[0].rows_dropped, 0u);
  EXPECT_TRUE(Reproduces(train).ok()) << Reproduces(train);
  EXPECT_TRUE(Reproduces(none).ok()) << Reproduces(none);
}

}  // namespace
}  // namespace strata::features
