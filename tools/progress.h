// ProgressBar: a one-line progress display on stderr for long puts and gets. It draws
// only when stderr is a terminal (and STRATA_NO_PROGRESS is unset), so scripts and
// pipes see nothing.
#ifndef STRATA_TOOLS_PROGRESS_H_
#define STRATA_TOOLS_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace strata::cli {

// Not thread-safe: call from one thread.
class ProgressBar {
 public:
  // `total`: bytes expected, when known.
  ProgressBar(std::string label, std::optional<uint64_t> total);
  ~ProgressBar();

  // Redraws at most ten times a second.
  void Update(uint64_t done);
  // Clears the line.
  void Finish();

 private:
  void Draw(uint64_t done);
  std::string label_;
  std::optional<uint64_t> total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace strata::cli

#endif  // STRATA_TOOLS_PROGRESS_H_
