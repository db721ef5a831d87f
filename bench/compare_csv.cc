// compare_csv A.csv B.csv [--features N]: checks that two point-in-time join results
// (features_bench.sh) hold the same rows. Each file is a header and rows of the spine's
// columns followed by N feature columns (default 5).
//
// Row by row: the same number of rows and columns; the spine's columns equal as text;
// each feature either empty in both files or numbers a and b with
// |a - b| <= 1e-9 * max(|a|, |b|) (so 0.0 and 0, 3e-04 and 0.0003 are equal). Header
// names of the spine's columns must match; feature column names may differ (noted).
// Prints the rows compared, how many have features, and the first 5 mismatches (by
// record: line numbers when no field holds a line break); exits 1 on any mismatch, 2
// on a usage or I/O error or a malformed file (read by strata's CSV reader).
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "features/csv.h"

namespace {

// A CSV file read whole, handed out record by record by strata's reader
// (features/csv.h: quoted fields, CRLF, a BOM); a malformed file exits 2.
class Records {
 public:
  bool Open(const char* path) {
    path_ = path;
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    in.seekg(0, std::ios::end);
    data_.resize(static_cast<size_t>(in.tellg()));
    in.seekg(0);
    in.read(data_.data(), static_cast<std::streamsize>(data_.size()));
    if (!in) return false;
    std::string_view text = data_;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    records_.emplace(absl::string_view(text.data(), text.size()), nullptr,
                     strata::features::kMaxMaxRecordBytes);
    return true;
  }
  // The next record that is not a blank line; false at the end. `fields` and `raw`
  // stay valid until the next call.
  bool Next(std::vector<std::string_view>* fields, std::string_view* raw) {
    while (true) {
      auto more = records_->Next();
      if (!more.ok()) {
        std::fprintf(stderr, "compare_csv: %s:%llu: %s\n", path_,
                     static_cast<unsigned long long>(records_->line()),
                     std::string(more.status().message()).c_str());
        std::exit(2);
      }
      if (!*more) return false;
      const auto& f = records_->fields();
      if (f.size() == 1 && f[0].empty() && !records_->quoted(0)) continue;
      fields->clear();
      for (absl::string_view x : f) fields->emplace_back(x.data(), x.size());
      *raw = std::string_view(records_->raw().data(), records_->raw().size());
      return true;
    }
  }

 private:
  const char* path_ = "";
  std::string data_;
  std::optional<strata::features::CsvRecords> records_;
};

bool ParseDouble(std::string_view s, double* v) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool SameValue(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty();
  double x, y;
  if (!ParseDouble(a, &x) || !ParseDouble(b, &y)) return false;
  return x == y || std::fabs(x - y) <= 1e-9 * std::max(std::fabs(x), std::fabs(y));
}

int Usage() {
  std::fprintf(stderr, "usage: compare_csv A.csv B.csv [--features N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<const char*> paths;
  size_t nfeatures = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--features") == 0 && i + 1 < argc) {
      const char* s = argv[++i];
      const auto [ptr, ec] = std::from_chars(s, s + std::strlen(s), nfeatures);
      if (ec != std::errc() || *ptr != '\0') return Usage();
    } else {
      paths.push_back(argv[i]);
    }
  }
  if (paths.size() != 2) return Usage();
  Records a, b;
  for (int k = 0; k < 2; ++k) {
    if (!(k == 0 ? a : b).Open(paths[k])) {
      std::fprintf(stderr, "compare_csv: cannot read %s: %s\n", paths[k],
                   std::strerror(errno));
      return 2;
    }
  }

  std::vector<std::string_view> fa, fb;
  uint64_t mismatches = 0;
  auto report = [&](uint64_t line, const std::string& what) {
    if (++mismatches <= 5) {
      std::printf("  mismatch at line %llu: %s\n", static_cast<unsigned long long>(line),
                  what.c_str());
    }
  };
  auto quote = [](std::string_view s) {
    std::string q(1, '\'');  // not "'" + std::string(s): GCC 12 warns (-Wrestrict)
    q.append(s);
    q.push_back('\'');
    return q;
  };

  std::string_view la, lb;
  const bool ha = a.Next(&fa, &la), hb = b.Next(&fb, &lb);
  if (!ha || !hb) {
    std::printf("compare_csv: %s has no header\n", paths[ha ? 1 : 0]);
    return 1;
  }
  if (fa.size() != fb.size() || fa.size() < nfeatures) {
    std::printf("compare_csv: headers differ: %s vs %s\n", quote(la).c_str(),
                quote(lb).c_str());
    return 1;
  }
  const size_t nspine = fa.size() - nfeatures;
  for (size_t i = 0; i < fa.size(); ++i) {
    if (fa[i] == fb[i]) continue;
    if (i < nspine) {
      report(1, "spine column " + quote(fa[i]) + " vs " + quote(fb[i]));
    } else {
      std::printf("  note: feature column %zu is named %s vs %s\n", i - nspine + 1,
                  quote(fa[i]).c_str(), quote(fb[i]).c_str());
    }
  }

  uint64_t rows = 0, with_features = 0, without = 0, partial = 0;
  uint64_t line = 1;
  while (true) {
    const bool more_a = a.Next(&fa, &la), more_b = b.Next(&fb, &lb);
    if (!more_a || !more_b) {
      if (more_a || more_b) {
        uint64_t extra = 1;
        Records& rest = more_a ? a : b;
        for (std::string_view l; rest.Next(&fa, &l);) ++extra;
        report(line + 1, std::string(paths[more_a ? 0 : 1]) + " has " +
                             std::to_string(extra) + " more row(s)");
      }
      break;
    }
    ++line;
    ++rows;
    if (fa.size() != nspine + nfeatures || fb.size() != nspine + nfeatures) {
      report(line, std::to_string(fa.size()) + " vs " + std::to_string(fb.size()) +
                       " fields: " + quote(la) + " vs " + quote(lb));
      continue;
    }
    bool same = true;
    for (size_t i = 0; i < nspine && same; ++i) same = fa[i] == fb[i];
    size_t present = 0;
    for (size_t i = nspine; i < fa.size() && same; ++i) {
      same = SameValue(fa[i], fb[i]);
      present += !fa[i].empty();
    }
    if (!same) {
      report(line, quote(la) + " vs " + quote(lb));
      continue;
    }
    with_features += present > 0;
    without += present == 0;
    partial += present > 0 && present < nfeatures;
  }

  std::printf(
      "compared %llu rows (%zu spine columns, %zu features): %llu with features, "
      "%llu without",
      static_cast<unsigned long long>(rows), nspine, nfeatures,
      static_cast<unsigned long long>(with_features),
      static_cast<unsigned long long>(without));
  if (partial > 0) {
    std::printf(" (%llu partly empty)", static_cast<unsigned long long>(partial));
  }
  std::printf("; %llu mismatch%s\n", static_cast<unsigned long long>(mismatches),
              mismatches == 1 ? "" : "es");
  return mismatches == 0 ? 0 : 1;
}
