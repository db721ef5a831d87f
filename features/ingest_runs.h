// The ingest's "sort/spill" stage: each parsed block's entries sorted by key and
// written to the ingest's run file as a sorted run, and the merge of those runs in
// key order that the "write log" stage consumes. Internal to features/.
#ifndef STRATA_FEATURES_INGEST_RUNS_H_
#define STRATA_FEATURES_INGEST_RUNS_H_

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "features/codec.h"
#include "features/ingest_block.h"
#include "features/scratch.h"
#include "store/status_macros.h"

namespace strata::features::ingest {

// Sorts a block's entries by key, equal keys in file order: a radix sort on the first
// key word (for an int64 entity, the entity), skipping bytes all entries share, then
// a comparison sort of each run of equal first words (mostly single entries: a
// block holds few rows of any one entity). `scratch` is working memory.
void SortEntries(std::vector<Entry>* entries, std::vector<Entry>* scratch);

// The file sorted runs are spilled to: unnamed (nothing is left behind by a crash),
// written by the parse workers, then mapped for the merge. Holding ten million rows
// in anonymous memory until the merge costs more than writing them to the page
// cache and back (each fresh page is zeroed by the kernel, slowly on a VM), and the
// ingest's memory no longer grows with the file.
class RunFile {
 public:
  static absl::StatusOr<std::unique_ptr<RunFile>> Create(const std::string& dir) {
    ASSIGN_OR_RETURN(int fd, OpenUnnamedFile(dir));
    return std::unique_ptr<RunFile>(new RunFile(fd));
  }
  ~RunFile() { ::close(fd_); }

  // Appends `bytes` (from any thread) and returns where they start.
  absl::StatusOr<uint64_t> Append(absl::string_view bytes) {
    const uint64_t at = size_.fetch_add(bytes.size());
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                                 static_cast<off_t>(at + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return absl::UnavailableError(absl::StrCat(
            "cannot write the ingest's scratch file: ", std::strerror(errno)));
      }
      done += static_cast<size_t>(n);
    }
    return at;
  }

  // Reads up to `n` bytes at `offset`; fewer only at the end of the file.
  absl::StatusOr<size_t> Read(uint64_t offset, char* buf, size_t n) const {
    size_t done = 0;
    while (done < n) {
      const ssize_t got =
          ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        return absl::UnavailableError(absl::StrCat(
            "cannot read the ingest's scratch file: ", std::strerror(errno)));
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }

 private:
  explicit RunFile(int fd) : fd_(fd) {}
  int fd_;
  std::atomic<uint64_t> size_{0};
};

// One row of a run.
struct Record {
  absl::string_view key, value;
};

// Reads a run's records [begin, end) of the run file front to back through a small
// buffer, which stays in the CPU's caches while the merge interleaves many runs.
class RunReader {
 public:
  RunReader(const RunFile* file, uint64_t begin, uint64_t end)
      : file_(file), next_(begin), end_(end), buf_(kBufferBytes) {}

  // Positions on the first record; false at the end of the run.
  absl::StatusOr<bool> Start() { return Load(); }
  const Record& record() const { return record_; }
  // The offset in the file of the current record.
  uint64_t offset() const { return next_ - (hi_ - lo_); }
  // Moves to the next record (invalidating the current one); false at the end.
  absl::StatusOr<bool> Advance() {
    lo_ += sizeof(RunHeader) + record_.key.size() + record_.value.size();
    return Load();
  }

 private:
  static constexpr size_t kBufferBytes = 128 << 10;
  absl::StatusOr<bool> Load() {
    RunHeader h;
    if (hi_ - lo_ < sizeof h || !Whole(&h)) {
      RETURN_IF_ERROR(Fill(sizeof h));
      if (hi_ - lo_ < sizeof h) return false;
      std::memcpy(&h, buf_.data() + lo_, sizeof h);
      const size_t need = sizeof h + h.klen + h.vlen;
      if (hi_ - lo_ < need) RETURN_IF_ERROR(Fill(need));
      if (hi_ - lo_ < need)
        return absl::DataLossError("the ingest's scratch file is short");
    }
    std::memcpy(&h, buf_.data() + lo_, sizeof h);
    const char* p = buf_.data() + lo_ + sizeof h;
    record_ = {{p, h.klen}, {p + h.klen, h.vlen}};
    return true;
  }
  // Whether a whole record starts at lo_; its header in *h.
  bool Whole(RunHeader* h) const {
    std::memcpy(h, buf_.data() + lo_, sizeof *h);
    return hi_ - lo_ >= sizeof *h + h->klen + h->vlen;
  }
  // Keeps [lo_, hi_), moved to the front, and reads more: at least `need` bytes
  // buffered unless the run ends first.
  absl::Status Fill(size_t need) {
    std::memmove(buf_.data(), buf_.data() + lo_, hi_ - lo_);
    hi_ -= lo_;
    lo_ = 0;
    if (buf_.size() < need) buf_.resize(need);
    const size_t want = std::min<uint64_t>(buf_.size() - hi_, end_ - next_);
    ASSIGN_OR_RETURN(size_t got, file_->Read(next_, buf_.data() + hi_, want));
    hi_ += got;
    next_ += got;
    return absl::OkStatus();
  }
  const RunFile* file_;
  uint64_t next_, end_;  // file offsets: next to read, end of the run
  std::vector<char> buf_;
  size_t lo_ = 0, hi_ = 0;  // buffered bytes [lo_, hi_), lo_ at the current record
  Record record_;
};

// Merges sorted runs, dropping all but the last (in file order) of equal keys, and
// hands each surviving row to a sink in key order.
class RunMerger {
 public:
  // Runs in file order, each [begin, end) in the run file.
  RunMerger(const RunFile* file, const std::vector<std::pair<uint64_t, uint64_t>>& runs) {
    for (const auto& [begin, end] : runs) {
      if (begin != end) readers_.emplace_back(file, begin, end);
    }
  }

  // Calls emit(const Record&) for each row to keep; stops at the first error.
  template <typename Emit>
  absl::Status Run(Emit emit) {
    for (size_t r = 0; r < readers_.size(); ++r) {
      ASSIGN_OR_RETURN(bool any, readers_[r].Start());
      if (any) heap_.push_back(MakeItem(r));
    }
    std::make_heap(heap_.begin(), heap_.end(), Greater);
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), Greater);
      const size_t run = heap_.back().run;
      heap_.pop_back();
      RunReader& reader = readers_[run];
      const Record& r = reader.record();
      // A run holds no two equal keys, so an equal key is at the top of another,
      // later run: the later line wins.
      if (heap_.empty() || heap_.front().key() != r.key) RETURN_IF_ERROR(emit(r));
      ASSIGN_OR_RETURN(bool more, reader.Advance());
      if (more) {
        heap_.push_back(MakeItem(run));
        std::push_heap(heap_.begin(), heap_.end(), Greater);
      }
    }
    return absl::OkStatus();
  }

 private:
  struct Item {
    uint64_t k0, k1;  // key bytes 4..20, as in Entry
    const char* key_data;
    uint32_t key_size;
    uint32_t run;
    absl::string_view key() const { return {key_data, key_size}; }
  };
  Item MakeItem(size_t run) const {
    const absl::string_view key = readers_[run].record().key;
    return {codec::KeyWord(key.data(), key.size(), 4),
            codec::KeyWord(key.data(), key.size(), 12), key.data(),
            static_cast<uint32_t>(key.size()), static_cast<uint32_t>(run)};
  }
  // Heap order: key, then run, so equal keys come out in file order.
  static bool Greater(const Item& a, const Item& b) {
    if (a.k0 != b.k0) return a.k0 > b.k0;
    if (a.k1 != b.k1) return a.k1 > b.k1;
    const int c = a.key().compare(b.key());
    return c != 0 ? c > 0 : a.run > b.run;
  }
  std::vector<RunReader> readers_;
  std::vector<Item> heap_;
};

}  // namespace strata::features::ingest

#endif  // STRATA_FEATURES_INGEST_RUNS_H_
