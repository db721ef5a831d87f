#include "store/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace strata {
namespace {

absl::Status ErrnoError(absl::string_view what, absl::string_view name, int err) {
  return absl::UnavailableError(absl::StrCat(what, " ", name, ": ", std::strerror(err)));
}

class FdSource : public ByteSource {
 public:
  FdSource(int fd, bool owned, std::string name, std::optional<uint64_t> size)
      : fd_(fd), owned_(owned), name_(std::move(name)), size_(size) {}
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return ErrnoError("reading", name_, errno);
    }
  }
  std::optional<uint64_t> SizeHint() const override { return size_; }

 private:
  int fd_;
  bool owned_;
  std::string name_;
  std::optional<uint64_t> size_;
};

class FdSinkImpl : public ByteSink {
 public:
  FdSinkImpl(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  absl::Status Write(absl::string_view data) override {
    while (!data.empty()) {
      ssize_t w = ::write(fd_, data.data(), data.size());
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("writing", name_, errno);
      }
      data.remove_prefix(static_cast<size_t>(w));
    }
    return absl::OkStatus();
  }

 private:
  int fd_;
  std::string name_;
};

class StringSourceImpl : public ByteSource {
 public:
  explicit StringSourceImpl(absl::string_view data) : data_(data) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, data_.size());
    std::memcpy(buf, data_.data(), k);
    data_.remove_prefix(k);
    return k;
  }
  std::optional<uint64_t> SizeHint() const override { return data_.size(); }

 private:
  absl::string_view data_;
};

class StringSinkImpl : public ByteSink {
 public:
  explicit StringSinkImpl(std::string* out) : out_(out) {}
  absl::Status Write(absl::string_view data) override {
    out_->append(data.data(), data.size());
    return absl::OkStatus();
  }

 private:
  std::string* out_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path) {
  if (path == "-") {
    return std::make_unique<FdSource>(STDIN_FILENO, false, "standard input",
                                      std::nullopt);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat("no such file: ", path));
    return ErrnoError("opening", path, err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError("stat", path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, " is a directory, not a file"));
  }
  std::optional<uint64_t> size;
  if (S_ISREG(st.st_mode)) {
    size = static_cast<uint64_t>(st.st_size);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  return std::make_unique<FdSource>(fd, true, path, size);
}

std::unique_ptr<ByteSink> FdSink(int fd, std::string name) {
  return std::make_unique<FdSinkImpl>(fd, std::move(name));
}

std::unique_ptr<ByteSource> StringSource(absl::string_view data) {
  return std::make_unique<StringSourceImpl>(data);
}

std::unique_ptr<ByteSink> StringSink(std::string* out) {
  return std::make_unique<StringSinkImpl>(out);
}

}  // namespace strata
