// The ingest's sort (features/ingest_runs.h).
#include "features/ingest_runs.h"

#include <array>

namespace strata::features::ingest {

void SortEntries(std::vector<Entry>* entries, std::vector<Entry>* scratch) {
  const size_t n = entries->size();
  if (n < 1024) {
    std::sort(entries->begin(), entries->end(), EntryLess);
    return;
  }
  std::vector<std::array<uint32_t, 256>> counts(8);
  for (auto& c : counts) c.fill(0);
  for (const Entry& e : *entries) {
    for (int b = 0; b < 8; ++b) ++counts[b][(e.k0 >> (8 * b)) & 0xff];
  }
  scratch->resize(n);
  Entry* from = entries->data();
  Entry* to = scratch->data();
  for (int b = 0; b < 8; ++b) {
    auto& c = counts[b];
    if (c[(from[0].k0 >> (8 * b)) & 0xff] == n) continue;  // every entry alike
    uint32_t at = 0;
    for (auto& x : c) at += std::exchange(x, at);
    for (size_t i = 0; i < n; ++i) to[c[(from[i].k0 >> (8 * b)) & 0xff]++] = from[i];
    std::swap(from, to);
  }
  if (from != entries->data()) entries->swap(*scratch);
  Entry* es = entries->data();
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && es[j].k0 == es[i].k0) ++j;
    if (j - i > 1) std::sort(es + i, es + j, EntryLess);
    i = j;
  }
}

}  // namespace strata::features::ingest
