// The online workload's rows (online_bench, http_load): one view of kProfileFeatures
// double features per user, drawn in order from one SplitMix64 stream, so the store
// and the Redis copy hold the same values.
#ifndef STRATA_BENCH_PROFILES_H_
#define STRATA_BENCH_PROFILES_H_

#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/splitmix64.h"

namespace strata::bench {

inline constexpr int kProfileFeatures = 50;

// Draws the next user's row: its event time (epoch seconds, in the 90 days from
// 2024-01-01) and its values as text, f0 first.
inline void NextProfile(uint64_t* state, int64_t* event_seconds,
                        std::vector<std::string>* values) {
  *event_seconds = 1704067200 + static_cast<int64_t>(SplitMix64(state) % (90 * 86400));
  values->clear();
  char buf[32];
  for (int f = 0; f < kProfileFeatures; ++f) {
    auto r = std::to_chars(buf, buf + sizeof(buf),
                           static_cast<double>(SplitMix64(state) % 1000000) / 1000.0);
    values->emplace_back(buf, r.ptr);
  }
}

}  // namespace strata::bench

#endif  // STRATA_BENCH_PROFILES_H_
