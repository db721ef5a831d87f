#include "features/scratch.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
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
