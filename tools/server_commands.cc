// serve: the HTTP API (api/server.h) over the store, until SIGINT or SIGTERM;
// token: the API tokens kept in the store (store/tokens.h).
#include <arpa/inet.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/server.h"
#include "api/tokens.h"
#include "features/csv.h"
#include "store/json_writer.h"
#include "store/status_macros.h"
#include "tools/commands.h"
#include "tools/flags.h"

namespace strata::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8080";
  int threads = 0;
  size_t max_body_bytes = 64 << 20;
  size_t max_online_entities = 10000;
  size_t max_spine_rows = 10'000'000;
  int64_t max_record_bytes = int64_t{16} << 20;
  size_t online_cache_mb = 256;
  std::string online_store;
  double log_served = 0;
  uint64_t log_served_max_rows = 1000000;
  std::string tls_cert_file, tls_key_file;
  int io_timeout_seconds = 30;
  int header_timeout_seconds = 10;
  int body_timeout_seconds = 60;
  size_t max_connections = 10000;
  size_t max_connections_per_address = 2000;
  std::string tokens_file;
  std::string backup_dir;
  bool insecure_no_auth = false;
  bool quiet = false;
  bool online_only = false;
  std::string primary, primary_token;
};

// HOST:PORT, HOST an IPv4 address (or "localhost").
absl::Status ParseListen(const std::string& text, api::ServerOptions* o) {
  const size_t colon = text.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(text.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen ", text, ": expected HOST:PORT, PORT 0..65535"));
  }
  o->host = text.substr(0, colon);
  if (o->host == "localhost") o->host = "127.0.0.1";
  in_addr addr;
  if (inet_pton(AF_INET, o->host.c_str(), &addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen ", text, ": ", o->host, " is not an IPv4 address"));
  }
  o->port = port;
  return absl::OkStatus();
}

absl::Status RunServe(const Context& ctx, const ServeArgs& a) {
  api::ServerOptions o;
  RETURN_IF_ERROR(ParseListen(a.listen, &o));
  o.tokens_file = a.tokens_file;
  o.backup_dir = a.backup_dir;
  o.threads = a.threads;
  o.max_body_bytes = a.max_body_bytes;
  o.max_online_entities = a.max_online_entities;
  o.max_spine_rows = a.max_spine_rows;
  o.max_record_bytes = static_cast<size_t>(a.max_record_bytes);
  o.online_cache_bytes = a.online_cache_mb << 20;
  o.online_store = a.online_store;
  o.served_log.fraction = a.log_served;
  o.served_log.max_rows_per_view = a.log_served_max_rows;
  // The same switch as the CLI's ingests into a local store (docs/cli.md).
  o.ingest_profiles = Context::IngestProfiles();
  o.tls_cert_file = a.tls_cert_file;
  o.tls_key_file = a.tls_key_file;
  o.io_timeout_seconds = a.io_timeout_seconds;
  o.insecure_no_auth = a.insecure_no_auth;
  o.header_timeout_seconds = a.header_timeout_seconds;
  o.body_timeout_seconds = a.body_timeout_seconds;
  o.max_connections = a.max_connections;
  o.max_connections_per_address = a.max_connections_per_address;
  if (!a.quiet) {
    o.access_log = [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
    };
  }
  // The signals are taken by sigwait below, not by a handler on some thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (a.online_only != !a.primary.empty()) {
    return absl::InvalidArgumentError(
        a.online_only ? "--online-only needs --primary URL (the server whose feature "
                        "views it serves)"
                      : "--primary is for an online-only replica: add --online-only");
  }
  if (a.online_only) {
    // A replica: no store opened, no lock taken.
    o.primary = a.primary;
    o.primary_token = a.primary_token;
    o.primary_ca_file = ctx.ca_file;
    api::Server server(nullptr, o);
    RETURN_IF_ERROR(server.Start());
    std::fprintf(stderr, "serving online features of %s on %s://%s:%d (%s; Ctrl-C stops)\n",
                 a.primary.c_str(), o.tls_cert_file.empty() ? "http" : "https",
                 o.host.c_str(), server.port(),
                 server.authenticating() ? "tokens required" : "no tokens, no authentication");
    int signal = 0;
    sigwait(&signals, &signal);
    std::fprintf(stderr, "stopping (%s)\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
    server.Stop();
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(auto store, ctx.OpenOwnStore());
  api::Server server(store.get(), o);
  RETURN_IF_ERROR(server.Start());
  const std::string url = absl::StrCat(o.tls_cert_file.empty() ? "http" : "https", "://",
                                       o.host, ":", server.port());
  // Where a command that finds the store in use should go instead (kServeFile).
  const std::string serve_file = absl::StrCat(ctx.store_dir, "/", kServeFile);
  if (absl::Status s =
          WriteFileAtomically(serve_file,
                              [&](ByteSink& out) {
                                return out.Write(absl::StrCat(url, " ", getpid(), "\n"));
                              });
      !s.ok()) {
    std::fprintf(stderr, "warning: %s\n", std::string(s.message()).c_str());
  }
  std::fprintf(
      stderr, "serving %s on %s (%s; Ctrl-C stops)\n", ctx.store_dir.c_str(), url.c_str(),
      server.authenticating() ? "tokens required" : "no tokens, no authentication");
  int signal = 0;
  sigwait(&signals, &signal);
  std::fprintf(stderr, "stopping (%s)\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  ::unlink(serve_file.c_str());
  server.Stop();
  return absl::OkStatus();
}

struct TokenArgs {
  std::string scope, name, owner;
  bool json = false;
};

absl::Status RunTokenCreate(const Context& ctx, const TokenArgs& a) {
  ASSIGN_OR_RETURN(Scope scope, ParseScope(a.scope));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(CreatedToken created,
                   client->CreateToken({.scope = scope,
                                        .name = a.name,
                                        .owner = a.owner,
                                        .creator = Context::Creator()}));
  if (isatty(STDERR_FILENO)) {  // for a person; a script reads the token alone
    std::fprintf(stderr,
                 "%s: a %s token owned by %s; keep it now: the store keeps only its "
                 "hash\n",
                 created.name.c_str(), std::string(ScopeName(scope)).c_str(),
                 created.owner.c_str());
  }
  return Print(created.token + "\n");
}

absl::Status RunTokenList(const Context& ctx, const TokenArgs& a) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto tokens, client->ListTokens());
  if (a.json) {
    return PrintJsonArray(tokens, api::WriteTokenJson);
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "OWNER", "SCOPE", "CREATOR"}};
  for (const auto& t : tokens) {
    rows.push_back({t.name, t.owner, std::string(ScopeName(t.scope)),
                    DescribeActor(t.creator.who, t.creator.on_behalf_of)});
  }
  return Print(FormatTable(rows));
}

// Over --server, the server refuses to revoke its store's last admin token; on a
// local store it is allowed (a new one can be made here at any time), with a warning.
absl::Status RunTokenRevoke(const Context& ctx, const TokenArgs& a) {
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  const auto admins = [&]() -> absl::StatusOr<std::vector<std::string>> {
    ASSIGN_OR_RETURN(auto tokens, client->ListTokens());
    std::vector<std::string> names;
    for (const TokenInfo& t : tokens) {
      if (t.scope == Scope::kAdmin) names.push_back(t.name);
    }
    return names;
  };
  std::vector<std::string> admins_before;
  if (ctx.server.empty()) {
    ASSIGN_OR_RETURN(admins_before, admins());
  }
  RETURN_IF_ERROR(client->RevokeToken(a.name));
  RETURN_IF_ERROR(Print(absl::StrCat("revoked token ", a.name, "\n")));
  if (admins_before != std::vector<std::string>{a.name}) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto left, client->ListTokens());
  std::fprintf(stderr, "%s\n",
               left.empty()
                   ? "warning: the store has no token left: strata serve will not "
                     "authenticate (loopback addresses only, unless --insecure-no-auth)"
                   : "warning: the store has no admin token left: no one can manage "
                     "tokens over HTTP (strata token create --scope admin makes one)");
  return absl::OkStatus();
}

// serve: the HTTP API, its limits, timeouts, TLS and tokens.
void AddServeCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ServeArgs>();
  auto* s = app.add_subcommand("serve", "Serve the HTTP API (docs/http-api.md)");
  s->add_option("--listen", args->listen,
                "HOST:PORT (default 127.0.0.1:8080; port 0: any)");
  s->add_option("--threads", args->threads,
                "Request threads (default: 4 per hardware thread, at least 8)")
      ->transform(IntegerIn(1, 1024));
  s->add_option("--max-body-bytes", args->max_body_bytes,
                "Largest request body, 1 B..1 TiB (default 64 MiB); larger: 413")
      ->transform(IntegerIn(1, int64_t{1} << 40, "bytes, at most 1 TiB"));
  s->add_option("--max-online-entities", args->max_online_entities,
                "Most entities per online request (default 10000); more: 413")
      ->transform(IntegerIn(1, 10'000'000));
  s->add_option("--max-spine-rows", args->max_spine_rows,
                "Most spine rows per historical request (default 10000000); more: 413")
      ->transform(IntegerIn(1, 1'000'000'000));
  s->add_option("--max-record-bytes", args->max_record_bytes,
                "Longest CSV record or JSON line of an ingest or spine, 1..1073741824 "
                "(default 16 MiB); longer: 413")
      ->transform(IntegerIn(1, features::kMaxMaxRecordBytes, "bytes, at most 1 GiB"));
  s->add_option(
      "--online-store", args->online_store,
      "Serve and write online rows in redis://HOST:PORT or "
      "redis-cluster://HOST:PORT[,...] (or embedded); recorded in the store, so "
      "every later command uses it too");
  s->add_option("--online-cache-mb", args->online_cache_mb,
                "Online rows cached in memory, MiB (default 256; 0: none)")
      ->transform(IntegerIn(0, 1 << 20, "MiB, at most 1 TiB; 0: no cache"));
  s->add_option("--log-served", args->log_served,
                "Keep this fraction of the online answers (per entity) in the store, for "
                "`strata drift ... served:featureview/NAME[FROM..TO]` (default 0: none)")
      ->transform(Fraction());
  s->add_option("--log-served-max-rows", args->log_served_max_rows,
                "Served answers kept per feature view, oldest dropped first "
                "(default 1000000)")
      ->transform(IntegerIn(1, int64_t{1} << 40));
  s->add_option("--tls-cert", args->tls_cert_file,
                "PEM certificate (chain): serve HTTPS only; needs --tls-key");
  s->add_option("--tls-key", args->tls_key_file,
                "PEM private key of --tls-cert (unencrypted)");
  s->add_option("--io-timeout", args->io_timeout_seconds,
                "Seconds for each read or write of a request or response, "
                "and a keep-alive connection's idle time (default 30)")
      ->transform(IntegerIn(1, 3600, "seconds"));
  s->add_option("--header-timeout", args->header_timeout_seconds,
                "Seconds, 1..3600, for a whole request head; slower: 408 and closed "
                "(default 10; plain HTTP)")
      ->transform(IntegerIn(1, 3600, "seconds"));
  s->add_option("--body-timeout", args->body_timeout_seconds,
                "Seconds, 1..86400, for a request body, plus 1 per 64 KiB received; "
                "slower: 408 and closed (default 60; plain HTTP)")
      ->transform(IntegerIn(1, 86400, "seconds"));
  s->add_option("--max-connections", args->max_connections,
                "Open connections, 1..1000000; past it the longest-idle keep-alive one "
                "closes, or 503 (default 10000; plain HTTP)")
      ->transform(IntegerIn(1, 1'000'000));
  s->add_option("--max-connections-per-address", args->max_connections_per_address,
                "Open connections from one client address, 1..1000000; past it: 429 "
                "(default 2000; plain HTTP)")
      ->transform(IntegerIn(1, 1'000'000));
  s->add_option("--tokens", args->tokens_file,
                "File of extra tokens, \"SCOPE TOKEN [OWNER]\" per line (besides the "
                "store's)");
  s->add_option(
      "--backup-dir", args->backup_dir,
      "Directory for backups taken over HTTP (strata --server URL backup NAME)");
  s->add_flag("--insecure-no-auth", args->insecure_no_auth,
              "Allow a non-loopback address without tokens (never turns tokens off)");
  s->add_flag("-q,--quiet", args->quiet, "No access log on stderr");
  s->add_flag("--online-only", args->online_only,
              "Run an online-only replica: open no store, answer get-online-features "
              "from the Redis of the --primary server, with its feature views");
  s->add_option("--primary", args->primary,
                "The server an --online-only replica reads feature views from "
                "(http(s)://HOST:PORT; https trusts --ca-file)");
  s->add_option("--primary-token", args->primary_token,
                "A read token for --primary, when it needs one "
                "(default: $STRATA_PRIMARY_TOKEN)")
      ->envname("STRATA_PRIMARY_TOKEN");
  s->callback(
      [&ctx, args] { ctx.action = [&ctx, args] { return RunServe(ctx, *args); }; });
}

// token create, ls and revoke.
void AddTokenCommands(CLI::App& app, Context& ctx) {
  auto token = std::make_shared<TokenArgs>();
  auto* t = app.add_subcommand("token", "API tokens for strata serve");
  t->require_subcommand(1);
  auto* create = t->add_subcommand("create", "Create a token and print it (once)");
  create->add_option("--scope", token->scope, "read, write or admin")->required();
  create->add_option("--name", token->name, "Its name (default: token-XXXXXXXX)");
  create->add_option("--owner", token->owner,
                     "Who acts with it: recorded as who of every change its requests "
                     "make (default: its name)");
  create->callback([&ctx, token] {
    ctx.action = [&ctx, token] { return RunTokenCreate(ctx, *token); };
  });
  auto* ls =
      t->add_subcommand("ls", "List tokens (names, owners, scopes; never the tokens)");
  ls->add_flag("--json", token->json, "Print JSON");
  ls->callback([&ctx, token] {
    ctx.action = [&ctx, token] { return RunTokenList(ctx, *token); };
  });
  auto* revoke = t->add_subcommand("revoke", "Delete a token");
  revoke->add_option("name", token->name, "The token's name")->required();
  revoke->callback([&ctx, token] {
    ctx.action = [&ctx, token] { return RunTokenRevoke(ctx, *token); };
  });
}

}  // namespace

void AddServerCommands(CLI::App& app, Context& ctx) {
  AddServeCommand(app, ctx);
  AddTokenCommands(app, ctx);
}

}  // namespace strata::cli
