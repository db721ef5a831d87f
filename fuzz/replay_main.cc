// main() for a fuzz target built without libFuzzer (the smoke pass of `make test`):
//   NAME_fuzz_replay [--mutations N] [--seed S] CORPUS_DIR_OR_FILE...
// runs every corpus input through LLVMFuzzerTestOneInput, then N inputs made by
// mutating corpus inputs at random (seed S, default: from the clock, printed). An
// input that crashes or fails a check is written to fuzz-crash-NAME-SEED-I in the
// working directory first, so it can be replayed and added to the corpus.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The input being run, for the signal handler.
const std::string* current = nullptr;
char crash_path[256] = "";

void OnCrash(int sig) {
  if (current != nullptr && crash_path[0] != '\0') {
    const int fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t ignored = write(fd, current->data(), current->size());
      (void)ignored;
      close(fd);
    }
    const char note[] = "fuzz replay: the failing input is in ";
    ssize_t ignored = write(2, note, sizeof(note) - 1);
    ignored = write(2, crash_path, strlen(crash_path));
    ignored = write(2, "\n", 1);
    (void)ignored;
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

std::string Mutate(std::mt19937_64& rng, std::string s, const std::vector<std::string>& all) {
  static constexpr std::string_view kTokens[] = {
      "\"", ",", "\r\n", "\n", "\r", "{", "}", "[", "]", ":", "null", "-", "+", ".",
      "e", "1e309", "-0", "NaN", "inf", "0x1F", "99999999999999999999", "\\u0000",
      std::string_view("\0", 1), "\xef\xbb\xbf", "\xff", "T", "Z", "+02:00",
      "1970-01-01T00:00:00Z", "    ", "#", "&", "?", "%00", "@", "/", "..", "\t"};
  const int edits = 1 + static_cast<int>(rng() % 5);
  for (int e = 0; e < edits; ++e) {
    const size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 7) {
      case 0:  // flip a byte
        if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
        break;
      case 1:  // cut
        s.resize(at);
        break;
      case 2:  // duplicate a run
        s.insert(at, s.substr(at, rng() % 32));
        break;
      case 3: {  // insert a token
        const size_t i = rng() % std::size(kTokens);
        s.insert(at, std::string(kTokens[i]));
        break;
      }
      case 4:  // drop a run
        if (at < s.size()) s.erase(at, rng() % 16);
        break;
      case 5: {  // splice in a part of another input
        const std::string& other = all[rng() % all.size()];
        if (!other.empty()) {
          const size_t from = rng() % other.size();
          s.insert(at, other.substr(from, rng() % 64));
        }
        break;
      }
      default:  // a digit or a byte changed in place
        if (!s.empty()) s[rng() % s.size()] = static_cast<char>('0' + rng() % 10);
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t mutations = 0;
  uint64_t seed = static_cast<uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  std::vector<std::string> inputs;
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--mutations" || arg == "--seed") && i + 1 < argc) {
      (arg == "--mutations" ? mutations : seed) = std::strtoull(argv[++i], nullptr, 10);
      continue;
    }
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.emplace_back(arg);
    }
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "%s: cannot read %s\n", name.c_str(), file.c_str());
        return 2;
      }
      inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: %s [--mutations N] [--seed S] CORPUS...\n", name.c_str());
    return 2;
  }
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, OnCrash);

  auto run = [&](const std::string& input, uint64_t index) {
    std::snprintf(crash_path, sizeof(crash_path), "fuzz-crash-%s-%llu-%llu", name.c_str(),
                  static_cast<unsigned long long>(seed),
                  static_cast<unsigned long long>(index));
    current = &input;
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    current = nullptr;
  };
  for (size_t i = 0; i < inputs.size(); ++i) run(inputs[i], i);
  std::mt19937_64 rng(seed);
  for (uint64_t i = 0; i < mutations; ++i) {
    run(Mutate(rng, inputs[rng() % inputs.size()], inputs), inputs.size() + i);
  }
  std::printf("%s: %zu corpus inputs and %llu mutations (seed %llu) passed\n", name.c_str(),
              inputs.size(), static_cast<unsigned long long>(mutations),
              static_cast<unsigned long long>(seed));
  return 0;
}
