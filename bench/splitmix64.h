// SplitMix64: the benchmarks' random numbers. Its own code, not <random>'s
// distributions, so generated workloads are the same bytes with every library.
#ifndef STRATA_BENCH_SPLITMIX64_H_
#define STRATA_BENCH_SPLITMIX64_H_

#include <cstdint>

namespace strata::bench {

// Advances `*state` and returns the next value.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

}  // namespace strata::bench

#endif  // STRATA_BENCH_SPLITMIX64_H_
