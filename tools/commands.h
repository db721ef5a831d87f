// The `strata` command line: shared context and the registration of each command
// group. Each command parses into the Context and leaves one action to run.
#ifndef STRATA_TOOLS_COMMANDS_H_
#define STRATA_TOOLS_COMMANDS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "client/client.h"
#include "store/json_writer.h"
#include "store/store.h"

namespace strata::cli {

struct Context {
  std::string store_dir;                 // --store, $STRATA_STORE, else ./.strata
  std::string server;                    // --server, $STRATA_SERVER: a server's URL
  std::string token;                     // --token, $STRATA_TOKEN
  std::string ca_file;                   // --ca-file, $STRATA_CA_FILE: for https
  bool server_flag = false;              // --server given on the command line
  std::function<absl::Status()> action;  // set by the chosen command

  // FailedPrecondition when --server is given, for a command that works on a local
  // store only.
  absl::Status RequireLocal() const;
  // Opens the store. Errors: as Store::Open (Unavailable "in use" says the server's
  // URL when a `strata serve` holds the store); as RequireLocal.
  absl::StatusOr<std::unique_ptr<Store>> OpenStore(bool create = false) const;
  // As OpenStore, for the commands that only ever work on a local store (init,
  // serve): $STRATA_SERVER does not apply to them; an explicit --server is refused.
  absl::StatusOr<std::unique_ptr<Store>> OpenOwnStore(bool create = false) const;
  // The server given by --server, else the local store.
  // Errors: as ConnectClient.
  absl::StatusOr<std::unique_ptr<StoreClient>> Client() const;
  // Who is acting: $STRATA_USER, else $USER, else "uid:N".
  static std::string Creator();
  // Whether ingests store their profiles: unless $STRATA_INGEST_PROFILES is "0".
  static bool IngestProfiles();
};

// While `strata serve` runs, the file SERVE_FILE in the store's directory holds its
// URL and process id ("URL PID\n"), so a command that finds the store in use can say
// where to send it instead.
inline constexpr char kServeFile[] = "serving";

// Parses KEY=VALUE items. Errors: InvalidArgument naming `flag` and the bad item.
absl::StatusOr<std::map<std::string, std::string>> ParsePairs(
    const std::vector<std::string>& items, const std::string& flag);

// Writes `text` to standard output. Errors: Unavailable when stdout is closed.
absl::Status Print(const std::string& text);

// Prints `items` as one JSON array line, each written by `write(JsonWriter&, item)`.
template <typename Items, typename WriteFn>
absl::Status PrintJsonArray(const Items& items, WriteFn write) {
  JsonWriter w;
  w.BeginArray();
  for (const auto& item : items) write(w, item);
  w.EndArray();
  return Print(w.Take() + "\n");
}

// Writes `path` atomically: `write` fills a temporary file in the same directory,
// which is synced and renamed into place only when everything succeeded.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<absl::Status(ByteSink&)>& write);

// Rows of cells as aligned columns, two spaces apart, one line each.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

void AddArtifactCommands(CLI::App& app, Context& ctx);  // init put get show log ls alias
void AddRunCommands(CLI::App& app, Context& ctx);       // run lineage
void AddFeatureCommands(CLI::App& app, Context& ctx);   // apply ingest historical ...
void AddServerCommands(CLI::App& app, Context& ctx);    // serve token
void AddQualityCommands(CLI::App& app, Context& ctx);  // stats
void AddRetentionCommands(CLI::App& app,
                          Context& ctx);  // rm why-kept fsck backup restore

}  // namespace strata::cli

#endif  // STRATA_TOOLS_COMMANDS_H_
