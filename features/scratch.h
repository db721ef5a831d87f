// Scratch files under a store's tmp/ folder, for the feature commands that must read
// something twice or read stored content as a file. Internal to features/.
#ifndef STRATA_FEATURES_SCRATCH_H_
#define STRATA_FEATURES_SCRATCH_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
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
