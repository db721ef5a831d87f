// gen_versions OUTDIR: writes the content benchmark's three versions of one CSV.
//
//   v1.csv  header + 3,000,000 rows `id,int,float,word,timestamp` (~136 MB)
//   v2.csv  v1 with 1% of rows edited in place (one contiguous block), 0.5% deleted
//           (another block) and 2% new rows appended
//   v3.csv  v2 with 1% new rows inserted after row 1000
//
// Every row is a pure function of (seed, id, revision) through splitmix64, and numbers
// are formatted with integer arithmetic only, so the bytes are the same on every
// machine and library. A file already present with exactly the expected size is kept,
// so reruns cost one formatting pass and no writes.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/splitmix64.h"

namespace {

using strata::bench::SplitMix64;

constexpr uint64_t kSeed = 0x5354524154413031;  // "STRATA01"
constexpr uint64_t kRows = 3'000'000;
constexpr uint64_t kEpochStart = 1'672'531'200;  // 2023-01-01T00:00:00Z

// ~1000 pronounceable words of 2-4 syllables, the same on every run.
std::vector<std::string> MakeWords() {
  static constexpr char kOnsets[] = "bcdfghjklmnprstvz";
  static constexpr char kVowels[] = "aeiou";
  std::vector<std::string> words;
  uint64_t state = kSeed ^ 0x776f726473;  // "words"
  while (words.size() < 1000) {
    const int syllables = 2 + static_cast<int>(SplitMix64(&state) % 3);
    std::string w;
    for (int s = 0; s < syllables; ++s) {
      const uint64_t r = SplitMix64(&state);
      w.push_back(kOnsets[r % (sizeof(kOnsets) - 1)]);
      w.push_back(kVowels[(r >> 8) % (sizeof(kVowels) - 1)]);
    }
    words.push_back(std::move(w));
  }
  return words;
}

// Appends the decimal digits of `v`, at least `width` of them (zero-padded).
char* AppendUint(char* p, uint64_t v, int width = 1) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n < width) tmp[n++] = '0';
  while (n > 0) *p++ = tmp[--n];
  return p;
}

// A run of consecutive ids, all at one revision (0 = original, 1 = edited).
struct Segment {
  uint64_t first_id;
  uint64_t count;
  uint64_t revision;
};

// Formats row `id` at `revision` into `p` (room for 96 bytes); returns the end.
char* FormatRow(char* p, uint64_t id, uint64_t revision,
                const std::vector<std::string>& words) {
  uint64_t state = kSeed ^ (id * 0x9e3779b97f4a7c15) ^ (revision << 56);
  const uint64_t a = SplitMix64(&state);
  const uint64_t b = SplitMix64(&state);
  const uint64_t c = SplitMix64(&state);
  p = AppendUint(p, id);
  *p++ = ',';
  // int: up to 8 digits, which puts v1 at the issue's ~136 MB (10^6 bytes)
  p = AppendUint(p, a % 100'000'000);
  *p++ = ',';
  const uint64_t micros = b % 1'000'000'000;  // float: [0, 1000) with 6 decimals
  p = AppendUint(p, micros / 1'000'000);
  *p++ = '.';
  p = AppendUint(p, micros % 1'000'000, 6);
  *p++ = ',';
  const std::string& w = words[c % words.size()];
  std::memcpy(p, w.data(), w.size());
  p += w.size();
  *p++ = ',';
  p = AppendUint(p, kEpochStart + id * 10 + (c >> 32) % 10);  // timestamp: epoch seconds
  *p++ = '\n';
  return p;
}

// Produces a file's bytes in large blocks and hands each to `emit`.
template <typename Emit>
void Generate(const std::vector<Segment>& segments, const std::vector<std::string>& words,
              Emit emit) {
  constexpr size_t kBlock = 8 << 20;
  std::string buf(kBlock + 128, '\0');
  char* const start = buf.data();
  static constexpr char kHeader[] = "id,int,float,word,timestamp\n";
  std::memcpy(start, kHeader, sizeof(kHeader) - 1);
  char* p = start + sizeof(kHeader) - 1;
  for (const Segment& s : segments) {
    for (uint64_t id = s.first_id; id < s.first_id + s.count; ++id) {
      p = FormatRow(p, id, s.revision, words);
      if (static_cast<size_t>(p - start) >= kBlock) {
        emit(start, static_cast<size_t>(p - start));
        p = start;
      }
    }
  }
  if (p != start) emit(start, static_cast<size_t>(p - start));
}

uint64_t RowCount(const std::vector<Segment>& segments) {
  uint64_t n = 0;
  for (const Segment& s : segments) n += s.count;
  return n;
}

// Writes `path` unless it already holds `expected` bytes; returns false on an I/O error.
bool WriteFile(const std::string& path, const std::vector<Segment>& segments,
               const std::vector<std::string>& words, bool* reused) {
  uint64_t expected = 0;
  Generate(segments, words, [&](const char*, size_t n) { expected += n; });
  std::error_code ec;
  *reused = std::filesystem::file_size(path, ec) == expected && !ec;
  if (*reused) return true;
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "gen_versions: cannot create %s: %s\n", tmp.c_str(),
                 std::strerror(errno));
    return false;
  }
  bool ok = true;
  Generate(segments, words, [&](const char* data, size_t n) {
    while (ok && n > 0) {
      const ssize_t w = ::write(fd, data, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ok = false;
        break;
      }
      data += w;
      n -= static_cast<size_t>(w);
    }
  });
  ok = (::close(fd) == 0) && ok;
  if (ok) ok = ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    std::fprintf(stderr, "gen_versions: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    ::unlink(tmp.c_str());
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gen_versions OUTDIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "gen_versions: cannot create %s: %s\n", dir.c_str(),
                 ec.message().c_str());
    return 1;
  }

  // v2: rows [40%, 41%) edited, rows [70%, 70.5%) deleted, 2% appended with new ids.
  const uint64_t edit_at = kRows * 40 / 100, edit_n = kRows / 100;
  const uint64_t del_at = kRows * 70 / 100, del_n = kRows / 200;
  const uint64_t add_n = kRows * 2 / 100;
  const std::vector<Segment> v1 = {{0, kRows, 0}};
  const std::vector<Segment> v2 = {{0, edit_at, 0},
                                   {edit_at, edit_n, 1},
                                   {edit_at + edit_n, del_at - edit_at - edit_n, 0},
                                   {del_at + del_n, kRows - del_at - del_n, 0},
                                   {kRows, add_n, 0}};
  // v3: 1% of v2's rows, new ids, inserted after row 1000.
  const uint64_t ins_at = 1000, ins_n = RowCount(v2) / 100;
  std::vector<Segment> v3 = {
      {0, ins_at, 0}, {kRows + add_n, ins_n, 0}, {ins_at, edit_at - ins_at, 0}};
  v3.insert(v3.end(), v2.begin() + 1, v2.end());

  const std::vector<std::string> words = MakeWords();
  const struct {
    const char* name;
    const std::vector<Segment>& segments;
  } files[] = {{"v1.csv", v1}, {"v2.csv", v2}, {"v3.csv", v3}};
  for (const auto& f : files) {
    const std::string path = (std::filesystem::path(dir) / f.name).string();
    bool reused = false;
    if (!WriteFile(path, f.segments, words, &reused)) return 1;
    std::printf("%s %llu rows %llu bytes%s\n", path.c_str(),
                static_cast<unsigned long long>(RowCount(f.segments)),
                static_cast<unsigned long long>(std::filesystem::file_size(path)),
                reused ? " (kept)" : "");
  }
  return 0;
}
