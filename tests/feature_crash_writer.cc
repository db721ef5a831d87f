// feature_crash_writer STORE SEED: ingests batches into a feature view forever,
// printing a line before and after each, until it is killed. feature_crash_test
// kills it at random moments.
//
//   START ID ROWS   an ingest of ROWS rows of entities ID*10^6 + 0..ROWS-1 begins
//   ACK ID ROWS     it committed
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "features/definitions.h"
#include "features/feature_store.h"

namespace {

void Check(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "feature_crash_writer: %s\n", s.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: feature_crash_writer STORE SEED\n");
    return 2;
  }
  const std::string dir = argv[1];
  strata::StoreOptions options;
  options.create_if_missing = true;
  auto store = strata::Store::Open(dir, options);
  Check(store.status());
  strata::features::FeatureStore fs(store->get());
  auto defs = strata::features::ParseDefinitions(
      "entities:\n  - name: thing\n    join_keys: [{name: id, type: int64}]\n"
      "feature_views:\n  - name: events\n    entities: [thing]\n"
      "    features: [{name: v, type: double}]\n",
      "crash");
  Check(defs.status());
  Check(fs.registry().Apply(*defs, "crash", "").status());
  std::mt19937_64 rng(std::strtoull(argv[2], nullptr, 10));
  const std::string file = dir + "-batch.csv";
  while (true) {
    const uint64_t id = rng() % (uint64_t{1} << 40);
    // Half the batches take the write-batch path, half the SST path.
    const uint64_t rows = rng() % 2 == 0 ? 1 + rng() % 5000 : 100000 + rng() % 100000;
    {
      std::ofstream out(file, std::ios::binary);
      out << "id,event_timestamp,v\n";
      std::string line;
      for (uint64_t i = 0; i < rows; ++i) {
        line = absl::StrCat(id * 1000000 + i, ",", 1000 + i, ",", i, "\n");
        out << line;
      }
    }
    std::printf("START %llu %llu\n", static_cast<unsigned long long>(id),
                static_cast<unsigned long long>(rows));
    std::fflush(stdout);
    Check(fs.Ingest("events", file, {}).status());
    std::printf("ACK %llu %llu\n", static_cast<unsigned long long>(id),
                static_cast<unsigned long long>(rows));
    std::fflush(stdout);
  }
}
