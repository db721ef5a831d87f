// Kills a writer with SIGKILL at random moments, many times, and checks after each
// crash that every acknowledged write is present and reads back verified (a deleted
// version: marked deleted), that every version present is whole (nothing
// half-written), and that fsck --deep finds nothing wrong.
#include <cstdlib>
#include <random>
#include <set>
#include <sstream>

#include "gc/fsck.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "tests/subprocess.h"
#include "tests/testing.h"

namespace strata {
namespace {

struct Acked {
  std::string ref;
  std::string hex;
};

int Iterations() { return testing::CrashIterations(20); }

TEST(CrashTest, AcknowledgedWritesSurviveSigkill) {
  testing::ScratchDir dir;
  const std::string store_dir = dir.Sub("store");
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  std::vector<Acked> acked;
  std::vector<std::pair<std::string, uint64_t>> alias_moves;
  std::set<std::string> deleted;
  const int iterations = Iterations();
  int killed_mid_flight = 0;
  uint64_t collections = 0, chunks_freed = 0;

  for (int round = 0; round < iterations; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + " seed " + std::to_string(seed));
    {
      testing::ChildProcess writer(
          {CRASH_WRITER, store_dir,
           std::to_string(seed * 1000 + static_cast<uint64_t>(round))});
      std::vector<std::string> lines;
      // Even rounds kill at any moment from the start, open and init included; odd
      // rounds first wait for an acknowledgement, so slow (sanitizer) builds still
      // crash mid-write with acknowledged data in the store.
      if (round % 2 == 1) {
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (lines.empty() && std::chrono::steady_clock::now() < limit &&
               writer.ReadLinesUntil(
                   std::chrono::steady_clock::now() + std::chrono::milliseconds(100),
                   &lines)) {
        }
        ASSERT_FALSE(lines.empty()) << "no acknowledgement within 120 s";
      }
      const auto kill_at =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(20 + rng() % 600);
      const bool still_running = writer.ReadLinesUntil(kill_at, &lines);
      ASSERT_TRUE(still_running) << "the writer exited on its own";
      writer.Kill(&lines);
      killed_mid_flight++;
      for (const auto& line : lines) {
        std::istringstream in(line);
        std::string tag;
        in >> tag;
        if (tag == "ACK") {
          Acked a;
          in >> a.ref >> a.hex;
          acked.push_back(a);
        } else if (tag == "DEL") {
          std::string ref;
          in >> ref;
          deleted.insert(ref);
        } else if (tag == "GC") {
          uint64_t freed = 0;
          in >> freed;
          ++collections;
          chunks_freed += freed;
        } else if (tag == "ALIAS") {
          std::string artifact, alias;
          uint64_t version;
          in >> artifact >> alias >> version;
          alias_moves.emplace_back(artifact, version);
        }
      }
    }

    StoreOptions options;
    auto store = Store::Open(store_dir, options);
    if (absl::IsNotFound(store.status())) continue;  // killed before the store existed
    ASSERT_TRUE(store.ok()) << store.status();
    // Every acknowledged version is there, with its content, verified.
    for (const auto& a : acked) {
      auto ref = ParseRef(a.ref);
      ASSERT_TRUE(ref.ok());
      auto v = (*store)->artifacts().ResolveRecord(*ref);
      ASSERT_TRUE(v.ok()) << a.ref << ": " << v.status();
      EXPECT_EQ(Digest::FromRaw(v->content_id())->Hex(), a.hex) << a.ref;
      // Acknowledged deletions hold (an unacknowledged one may or may not).
      if (deleted.count(a.ref) > 0) {
        EXPECT_TRUE(v->has_deleted()) << a.ref;
      }
    }
    for (const auto& [artifact, version] : alias_moves) {
      auto log = (*store)->artifacts().AliasLog(*ParseArtifactId(artifact));
      ASSERT_TRUE(log.ok()) << log.status();
      bool found = false;
      for (const auto& m : *log) found = found || m.to_version() == version;
      EXPECT_TRUE(found) << artifact << " production -> " << version;
    }
    // Every version present, acknowledged or not, is whole and verifies.
    auto list = (*store)->artifacts().List(std::nullopt);
    ASSERT_TRUE(list.ok()) << list.status();
    for (const auto& summary : *list) {
      auto versions = (*store)->artifacts().Versions(summary.artifact);
      ASSERT_TRUE(versions.ok());
      EXPECT_EQ(versions->size(), summary.head.latest_version());
      for (const auto& v : *versions) {
        if (v.has_deleted()) continue;
        HashingSink sink;
        const Digest id = *Digest::FromRaw(v.content_id());
        absl::Status s = (*store)->content().Get(id, sink);
        ASSERT_TRUE(s.ok()) << summary.artifact.ToString() << "@" << v.number() << ": "
                            << s;
        EXPECT_EQ(sink.Finish(), id);
      }
    }
    gc::FsckOptions deep;
    deep.deep = true;
    auto report = gc::Fsck(**store, deep);
    ASSERT_TRUE(report.ok()) << report.status();
    for (const gc::FsckProblem& p : report->problems) {
      ADD_FAILURE() << "fsck: " << p.kind << ": " << p.detail;
    }
  }
  std::cerr << "crash rounds: " << killed_mid_flight << ", deletions: " << deleted.size()
            << ", acknowledged versions checked: " << acked.size()
            << ", alias moves: " << alias_moves.size() << ", gc runs: " << collections
            << " (" << chunks_freed << " chunks freed)\n";
  EXPECT_GT(acked.size(), 0u);
}

}  // namespace
}  // namespace strata
