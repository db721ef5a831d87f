#include "features/scratch.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "store/status_macros.h"

namespace strata::features {

ScratchPath::ScratchPath(const Store& store, absl::string_view what) {
  const std::string dir = absl::StrCat(store.dir(), "/tmp");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  static std::atomic<int> counter{0};
  path_ = absl::StrCat(dir, "/", what, "-", getpid(), "-", counter++);
}

ScratchPath::~ScratchPath() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<int> OpenUnnamedFile(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {  // no O_TMPFILE here: create, then unlink at once
    static std::atomic<int> counter{0};
    const std::string path = absl::StrCat(dir, "/scratch-", getpid(), "-", counter++);
    fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) ::unlink(path.c_str());
  }
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create a scratch file in ", dir,
                                               ": ", std::strerror(errno)));
  }
  return fd;
}

absl::StatusOr<std::unique_ptr<ScratchFile>> ScratchFile::Create(const Store& store) {
  ASSIGN_OR_RETURN(int fd, OpenUnnamedFile(absl::StrCat(store.dir(), "/tmp")));
  return std::unique_ptr<ScratchFile>(new ScratchFile(fd));
}

ScratchFile::ScratchFile(int fd) : fd_(fd), path_(absl::StrCat("/proc/self/fd/", fd)) {}

ScratchFile::~ScratchFile() { ::close(fd_); }

absl::Status ScratchFile::Append(absl::string_view data) {
  for (size_t done = 0; done < data.size();) {
    const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                               static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot write a scratch file: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  size_ += data.size();
  return absl::OkStatus();
}

absl::StatusOr<size_t> ScratchFile::ReadAt(uint64_t offset, char* buf, size_t n) const {
  size_t done = 0;
  while (done < n) {
    const ssize_t got =
        ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot read a scratch file: ", std::strerror(errno)));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

std::unique_ptr<ByteSink> ScratchFile::Sink() {
  struct AppendSink : ByteSink {
    explicit AppendSink(ScratchFile* f) : file(f) {}
    absl::Status Write(absl::string_view data) override { return file->Append(data); }
    ScratchFile* file;
  };
  return std::make_unique<AppendSink>(this);
}

absl::Status WriteFile(const std::string& path,
                       const std::function<absl::Status(ByteSink&)>& write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  auto sink = FdSink(fd, path);
  absl::Status s = write(*sink);
  if (s.ok()) s = sink->Close();
  ::close(fd);
  return s;
}

absl::Status CopyToFile(ByteSource& source, const std::string& path) {
  return WriteFile(path, [&](ByteSink& sink) -> absl::Status {
    std::string buf(1 << 20, '\0');
    while (true) {
      ASSIGN_OR_RETURN(size_t n, source.Read(buf.data(), buf.size()));
      if (n == 0) return absl::OkStatus();
      RETURN_IF_ERROR(sink.Write(absl::string_view(buf.data(), n)));
    }
  });
}

absl::Status SpoolContent(Store& store, const store::Version& version,
                          const std::string& path) {
  ASSIGN_OR_RETURN(Digest id, Digest::FromRaw(version.content_id()));
  return WriteFile(path, [&](ByteSink& sink) { return store.content().Get(id, sink); });
}

}  // namespace strata::features
