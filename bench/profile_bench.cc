// profile_bench CSV [REPS]: the profile's own cost per row, single-threaded, without
// parsing: a CSV of plain fields (no quotes; the rules benchmark's rows.csv) is read
// into typed columns once (a column of numbers where every field parses, else of
// strings), then TableProfile::Add takes them in 4,096-row pieces, as an ingest's
// profiler does, REPS times (default 7). Prints each column's kind and the minimum
// and median nanoseconds per row: for before/after comparisons of sketch changes,
// steadier than whole ingests on a shared machine.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "quality/profile.h"

namespace {

using strata::quality::ColumnProfile;
using strata::quality::ColumnType;
using strata::quality::ColumnValues;
using strata::quality::TableProfile;

struct Loaded {
  std::string name;
  bool numeric = true;
  std::vector<double> numbers;
  std::vector<std::string> texts;
  std::vector<absl::string_view> strings;
  std::vector<uint8_t> present;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: profile_bench CSV [REPS]\n";
    return 2;
  }
  const int reps = argc > 2 ? std::atoi(argv[2]) : 7;
  std::ifstream in(argv[1]);
  std::string line;
  if (!std::getline(in, line)) {
    std::cerr << "empty " << argv[1] << "\n";
    return 1;
  }
  std::vector<Loaded> cols;
  for (absl::string_view name : absl::StrSplit(line, ',')) {
    cols.emplace_back();
    cols.back().name = std::string(name);
  }
  size_t rows = 0;
  while (std::getline(in, line)) {
    size_t c = 0;
    for (absl::string_view field : absl::StrSplit(line, ',')) {
      if (c >= cols.size()) break;
      Loaded& col = cols[c++];
      col.texts.emplace_back(field);
      double x = 0;
      auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), x);
      if (ec != std::errc() || end != field.data() + field.size()) col.numeric = false;
      col.numbers.push_back(x);
      col.present.push_back(field.empty() ? 0 : 1);
    }
    ++rows;
  }
  std::vector<strata::quality::Column> named;
  for (Loaded& col : cols) {
    if (!col.numeric) col.strings.assign(col.texts.begin(), col.texts.end());
    named.push_back(
        {col.name, col.numeric ? ColumnType::kDouble : ColumnType::kString, {}, {}, {}});
    std::cout << "  column " << col.name << ": " << (col.numeric ? "double" : "string")
              << "\n";
  }
  constexpr size_t kPiece = 4096;
  std::vector<double> ns;
  for (int rep = 0; rep < reps; ++rep) {
    TableProfile profile;
    if (!profile.Add({named, 0}).ok()) return 1;
    std::vector<ColumnValues> values(cols.size());
    const auto start = std::chrono::steady_clock::now();
    for (size_t begin = 0; begin < rows; begin += kPiece) {
      const size_t n = std::min(kPiece, rows - begin);
      for (size_t c = 0; c < cols.size(); ++c) {
        values[c].present = absl::MakeConstSpan(cols[c].present).subspan(begin, n);
        values[c].numbers = cols[c].numeric
                                ? absl::MakeConstSpan(cols[c].numbers).subspan(begin, n)
                                : absl::Span<const double>();
        values[c].strings = cols[c].numeric
                                ? absl::Span<const absl::string_view>()
                                : absl::MakeConstSpan(cols[c].strings).subspan(begin, n);
      }
      if (!profile.Add(n, values).ok()) return 1;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ns.push_back(seconds * 1e9 / static_cast<double>(rows));
  }
  std::sort(ns.begin(), ns.end());
  std::printf(
      "profile of %zu rows x %zu columns, %d runs: min %.1f ns/row, median %.1f ns/row\n",
      rows, cols.size(), reps, ns.front(), ns[ns.size() / 2]);
  return 0;
}
