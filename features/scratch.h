// Scratch files under a store's tmp/ folder, for the feature commands that must read
// something twice or read stored content as a file. Internal to features/ and api/
// (which keeps request and response bodies in ScratchFiles).
#ifndef STRATA_FEATURES_SCRATCH_H_
#define STRATA_FEATURES_SCRATCH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/io.h"
#include "store/store.h"

namespace strata::features {

// A fresh path under STORE/tmp (the folder is created), removed with everything in
// it on destruction. Nothing is created at the path itself.
class ScratchPath {
 public:
  ScratchPath(const Store& store, absl::string_view what);
  ~ScratchPath();
  ScratchPath(const ScratchPath&) = delete;
  ScratchPath& operator=(const ScratchPath&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Opens a new unnamed file in `dir` (created if missing): O_TMPFILE, or where the
// file system lacks it a file unlinked as soon as it is created. Returns its
// descriptor, which the caller closes. Errors: Unavailable naming `dir`.
absl::StatusOr<int> OpenUnnamedFile(const std::string& dir);

// An unnamed file under STORE/tmp (O_TMPFILE; where the file system lacks it, a
// file unlinked as soon as it is created): nothing can reach it by a name, and it
// is gone when closed, on destruction or when the process dies. Thread-compatible;
// ReadAt may be called from several threads at once.
class ScratchFile {
 public:
  // Errors: Unavailable when the file cannot be created.
  static absl::StatusOr<std::unique_ptr<ScratchFile>> Create(const Store& store);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // "/proc/self/fd/N": opens the file afresh (reading from its start) in this
  // process, for functions that take a path.
  const std::string& path() const { return path_; }
  // Appends all of `data`. Errors: Unavailable.
  absl::Status Append(absl::string_view data);
  // Bytes appended so far.
  uint64_t size() const { return size_; }
  // Reads up to `n` bytes at `offset`; fewer only at the end. Errors: Unavailable.
  absl::StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const;
  // A sink that appends (Append through ByteSink). Valid while the file lives.
  std::unique_ptr<ByteSink> Sink();

 private:
  explicit ScratchFile(int fd);
  int fd_;
  std::string path_;
  uint64_t size_ = 0;
};

// Creates (or truncates) the file `path` and fills it with `write(sink)`.
// Errors: Unavailable when the file cannot be written; those of `write`.
absl::Status WriteFile(const std::string& path,
                       const std::function<absl::Status(ByteSink&)>& write);

// Copies everything `source` yields to the file `path`.
absl::Status CopyToFile(ByteSource& source, const std::string& path);

// Writes the content of `version` to the file `path`, verified.
absl::Status SpoolContent(Store& store, const store::Version& version,
                          const std::string& path);

}  // namespace strata::features

#endif  // STRATA_FEATURES_SCRATCH_H_
