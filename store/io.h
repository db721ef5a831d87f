// ByteSource and ByteSink: the streams content is put from and read into.
#ifndef STRATA_STORE_IO_H_
#define STRATA_STORE_IO_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/digest.h"

namespace strata {

// A readable stream of bytes. Not thread-safe.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `buf`; returns how many, 0 only at end of stream.
  // Errors: Unavailable on an I/O error, naming the source.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;
  // The total size when known in advance (a regular file), for progress reports.
  virtual std::optional<uint64_t> SizeHint() const { return std::nullopt; }
};

// A writable stream of bytes. Not thread-safe.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Writes all of `data`. Errors: Unavailable on an I/O error, naming the sink.
  virtual absl::Status Write(absl::string_view data) = 0;
  // Flushes buffered bytes to the destination. Errors: as Write.
  virtual absl::Status Close() { return absl::OkStatus(); }
};

// Opens `path` for reading; "-" is standard input.
// Errors: NotFound when the file does not exist, InvalidArgument for a directory,
// Unavailable for other open failures.
absl::StatusOr<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path);

// A sink writing to file descriptor `fd` (not closed by the sink). `name` appears in
// errors.
std::unique_ptr<ByteSink> FdSink(int fd, std::string name);

// A source over bytes the caller keeps alive.
std::unique_ptr<ByteSource> StringSource(absl::string_view data);

// A sink that appends to `*out` (owned by the caller).
std::unique_ptr<ByteSink> StringSink(std::string* out);

// A sink computing the SHA-256 of what passes through it, and counting its bytes.
class HashingSink : public ByteSink {
 public:
  absl::Status Write(absl::string_view data) override {
    hash_.Update(data);
    bytes_ += data.size();
    return absl::OkStatus();
  }
  Digest Finish() { return hash_.Finish(); }
  uint64_t bytes() const { return bytes_; }

 private:
  Sha256 hash_;
  uint64_t bytes_ = 0;
};

}  // namespace strata

#endif  // STRATA_STORE_IO_H_
