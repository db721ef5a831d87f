#include "tools/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "store/render.h"

namespace strata::cli {

ProgressBar::ProgressBar(std::string label, std::optional<uint64_t> total)
    : label_(std::move(label)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1 &&
               std::getenv("STRATA_NO_PROGRESS") == nullptr),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done);
}

void ProgressBar::Draw(uint64_t done) {
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string rate =
      secs > 0 ? FormatBytes(static_cast<uint64_t>(done / secs)) + "/s" : "";
  std::string line;
  if (total_.has_value() && *total_ > 0) {
    const double frac =
        std::min(1.0, static_cast<double>(done) / static_cast<double>(*total_));
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    line =
        absl::StrFormat("%s [%s%s] %3d%%  %s / %s  %s", label_, std::string(filled, '#'),
                        std::string(width - filled, '.'), static_cast<int>(frac * 100),
                        FormatBytes(done), FormatBytes(*total_), rate);
  } else {
    line = absl::StrFormat("%s %s  %s", label_, FormatBytes(done), rate);
  }
  std::fprintf(stderr, "\r%-79s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r%79s\r", "");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace strata::cli
