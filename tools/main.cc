// strata: the command line. Parses arguments, runs one command, and turns its status
// into the one-line error and exit code scripts rely on: 0 success, 2 bad input
// (invalid arguments, unknown names), 1 any other failure.
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "store/s3/s3_chunk_store.h"
#include "tools/commands.h"
#include "tools/flags.h"

namespace {

int ExitCode(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
      return 2;
    default:
      return 1;
  }
}

// The first argument that is not a global option, or null.
const char* FirstCommand(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--store" || arg == "--server" || arg == "--token" || arg == "--ca-file") {
      ++i;
      continue;
    }
    if (arg.rfind("-", 0) == 0) continue;
    return argv[i];
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  strata::RegisterS3ChunkBackend();  // stores may keep their chunks in s3://
  strata::cli::Context ctx;
  CLI::App app{"strata: a versioned artifact and feature store", "strata"};
  app.require_subcommand(1);
  app.fallthrough();
  const char* env_store = std::getenv("STRATA_STORE");
  ctx.store_dir = env_store != nullptr && *env_store != '\0' ? env_store : ".strata";
  app.add_option("--store", ctx.store_dir,
                 "Store directory (default: $STRATA_STORE, else ./.strata)")
      ->check(strata::cli::NotEmpty());
  const auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v == nullptr ? "" : v);
  };
  ctx.server = env("STRATA_SERVER");
  ctx.token = env("STRATA_TOKEN");
  ctx.ca_file = env("STRATA_CA_FILE");
  CLI::Option* server_option = app.add_option("--server", ctx.server,
                 "Talk to this strata server (http[s]://HOST:PORT) instead of a local "
                 "store (default: $STRATA_SERVER)")
      ->check(strata::cli::NotEmpty());
  app.add_option("--token", ctx.token,
                 "Bearer token for --server (default: $STRATA_TOKEN)");
  app.add_option("--ca-file", ctx.ca_file,
                 "CA certificates (PEM) to trust for an https --server "
                 "(default: $STRATA_CA_FILE, else the system's)");
  app.set_version_flag("--version",
                       "strata " STRATA_VERSION " (store format " STRATA_FORMAT_VERSION ")",
                       "Print the version and exit");
  strata::cli::AddArtifactCommands(app, ctx);
  strata::cli::AddRunCommands(app, ctx);
  strata::cli::AddFeatureCommands(app, ctx);
  strata::cli::AddServerCommands(app, ctx);
  strata::cli::AddRetentionCommands(app, ctx);
  strata::cli::AddQualityCommands(app, ctx);

  if (const char* command = FirstCommand(argc, argv); command != nullptr) {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({}))
      known = known || sub->get_name() == command;
    if (!known) {
      std::cerr << "error: unknown command '" << command << "' (see strata --help)\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  ctx.server_flag = server_option->count() > 0;
  if (!ctx.action) {
    std::cerr << "error: no command given (see strata --help)\n";
    return 2;
  }
  absl::Status status = ctx.action();
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return ExitCode(status);
  }
  return 0;
}
