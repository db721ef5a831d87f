// crash_writer STORE SEED: writes to a store forever, printing one line per
// acknowledged write, until it is killed. crash_test kills it at random moments.
//
//   ACK KIND/NAME@N HEX     a version committed (HEX: its content's sha256)
//   ALIAS KIND/NAME ALIAS N an alias move committed
//   DEL KIND/NAME@N         a version deleted (an older one, when not protected)
//   GC FREED                a gc finished, having freed FREED chunks
//
// A gc thread collects (grace 1 s) after every few commits, concurrently with the
// writes, so kills land inside gc's sweeps and compactions too.
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "gc/gc.h"
#include "store/store.h"

namespace {

std::string Content(std::mt19937_64& rng, size_t size) {
  std::string out(size, '\0');
  const bool text = rng() % 2 == 0;
  for (size_t i = 0; i < size; ++i) {
    out[i] = text ? "0123456789,\n"[rng() % 12] : static_cast<char>(rng());
  }
  return out;
}

void Check(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "crash_writer: %s\n", s.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_writer STORE SEED\n");
    return 2;
  }
  strata::StoreOptions options;
  options.create_if_missing = true;
  auto store = strata::Store::Open(argv[1], options);
  Check(store.status());
  std::mt19937_64 rng(std::strtoull(argv[2], nullptr, 10));
  std::mutex mu;
  std::condition_variable wake;
  uint64_t gc_requests = 0;
  std::thread collector([&] {
    for (uint64_t done = 0;; ++done) {
      {
        std::unique_lock lock(mu);
        wake.wait(lock, [&] { return gc_requests > done; });
      }
      strata::gc::GcOptions options;
      options.grace = absl::Seconds(1);
      options.reclaim = done % 2 == 0;
      auto report = strata::gc::CollectGarbage(**store, options);
      Check(report.status());
      std::printf("GC %llu\n", static_cast<unsigned long long>(report->chunks_freed));
      std::fflush(stdout);
    }
  });
  collector.detach();  // runs until the process is killed
  std::string previous;
  for (uint64_t i = 0;; ++i) {
    size_t size;
    switch (rng() % 6) {
      case 0:
        size = rng() % 2;  // empty or one byte
        break;
      case 1:
      case 2:
        size = rng() % (100 << 10);
        break;
      case 3:
      case 4:
        size = rng() % (2 << 20);
        break;
      default:
        size = (17 << 20) + rng() % (4 << 20);  // past the bulk threshold
    }
    std::string data =
        (rng() % 8 == 0 && !previous.empty()) ? previous : Content(rng, size);
    strata::NewVersion v;
    v.artifact = *strata::ParseArtifactId(i % 3 == 0 ? "model/crash" : "dataset/crash");
    v.metadata["i"] = std::to_string(i);
    v.creator = "crash_writer";
    // gc runs in this process: what the put stored stays until the commit names it.
    auto source = strata::StringSource(data);
    auto stats = (*store)->content().Put(*source);
    Check(stats.status());
    v.content_id = stats->content_id;
    auto committed = (*store)->artifacts().Commit(v);
    Check(committed.status());
    const auto& ver = committed->version;
    std::printf("ACK %s/%s@%llu %s\n", ver.kind().c_str(), ver.name().c_str(),
                static_cast<unsigned long long>(ver.number()),
                stats->content_id.Hex().c_str());
    std::fflush(stdout);
    if (i % 4 == 1) {
      auto move = (*store)->artifacts().SetAlias(v.artifact, "production", ver.number(),
                                                 std::nullopt, "crash_writer", "promote");
      Check(move.status());
      std::printf("ALIAS %s production %llu\n", v.artifact.ToString().c_str(),
                  static_cast<unsigned long long>(ver.number()));
      std::fflush(stdout);
    }
    if (i % 5 == 3 && ver.number() > 2) {
      // An older version, unless an alias protects it (then refused, and skipped).
      strata::DeleteRequest del;
      del.artifact = v.artifact;
      del.version = ver.number() - 2;
      del.who = "crash_writer";
      del.reason = "crash test";
      auto deleted = (*store)->artifacts().Delete(del);
      if (deleted.ok()) {
        std::printf("DEL %s@%llu\n", v.artifact.ToString().c_str(),
                    static_cast<unsigned long long>(del.version));
        std::fflush(stdout);
      } else if (!absl::IsFailedPrecondition(deleted.status())) {
        Check(deleted.status());
      }
    }
    previous = std::move(data);
    if (i % 4 == 2) {
      std::lock_guard lock(mu);
      ++gc_requests;
      wake.notify_one();
    }
  }
}
