// init, put, get, show, log, ls, alias.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "store/chunk_backend.h"
#include "store/render.h"
#include "store/status_macros.h"
#include "tools/commands.h"
#include "tools/progress.h"

namespace strata::cli {

absl::Status Context::RequireLocal() const {
  if (server.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "this command works on a local store (--store), not with --server");
}

namespace {

// `s`, or when `s` says the store is in use and a live `strata serve` holds it, `s`
// with the server's URL to use instead.
absl::Status WithServerHint(absl::Status s, const std::string& store_dir) {
  if (!absl::IsUnavailable(s) || !absl::StrContains(s.message(), "in use")) return s;
  std::ifstream in(absl::StrCat(store_dir, "/", kServeFile));
  std::string url;
  pid_t pid = 0;
  if (!(in >> url >> pid) || pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)) {
    return s;
  }
  return absl::UnavailableError(
      absl::StrCat(s.message(), ": strata serve (pid ", pid, ") serves it at ", url,
                   "; send the command there with --server ", url,
                   " (or export STRATA_SERVER=", url, ")"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Context::OpenStore(bool create) const {
  RETURN_IF_ERROR(RequireLocal());
  StoreOptions options;
  options.create_if_missing = create;
  auto store = Store::Open(store_dir, options);
  if (!store.ok()) return WithServerHint(store.status(), store_dir);
  return store;
}

absl::StatusOr<std::unique_ptr<Store>> Context::OpenOwnStore(bool create) const {
  if (server_flag) {
    return absl::InvalidArgumentError(
        "this command works on the local store (--store) and takes no --server");
  }
  Context local = *this;
  local.server.clear();  // $STRATA_SERVER is for the commands that can use it
  return local.OpenStore(create);
}

absl::StatusOr<std::unique_ptr<StoreClient>> Context::Client() const {
  ClientOptions options;
  options.server = server;
  options.token = token;
  options.ca_file = ca_file;
  options.store_dir = store_dir;
  options.creator = Creator();
  options.ingest_profiles = IngestProfiles();
  auto client = ConnectClient(options);
  if (!client.ok() && server.empty()) return WithServerHint(client.status(), store_dir);
  return client;
}

bool Context::IngestProfiles() {
  const char* profiles = std::getenv("STRATA_INGEST_PROFILES");
  return profiles == nullptr || std::string(profiles) != "0";
}

std::string Context::Creator() {
  for (const char* var : {"STRATA_USER", "USER"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) return pw->pw_name;
  return absl::StrCat("uid:", ::getuid());
}

absl::StatusOr<std::map<std::string, std::string>> ParsePairs(
    const std::vector<std::string>& items, const std::string& flag) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, " expects KEY=VALUE, got '", item, "'"));
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

absl::Status Print(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
      std::fflush(stdout) != 0) {
    return absl::UnavailableError("cannot write to standard output");
  }
  return absl::OkStatus();
}

namespace {

// Writes the content to `path` atomically, once every chunk verified.
absl::Status GetToFile(StoreClient& client, const store::Version& v,
                       const std::string& path) {
  return WriteFileAtomically(path, [&](ByteSink& sink) {
    ProgressBar bar("get", v.size());
    absl::Status s = client.Read(v, sink, [&](uint64_t done) { bar.Update(done); });
    bar.Finish();
    return s;
  });
}

// Where chunks go, from the command line (init --chunks, migrate --chunks).
struct ChunkArgs {
  std::string url, endpoint, region, credentials;
  ChunkBackend Backend() const {
    ChunkBackend b;
    b.url = url;
    b.endpoint = endpoint;
    b.region = region;
    b.credentials_file = credentials;
    return b;
  }
};

void AddChunkOptions(CLI::App* command, ChunkArgs* a, bool required) {
  auto* chunks = command->add_option(
      "--chunks", a->url,
      "Keep the store's chunks here, e.g. s3://BUCKET/PREFIX (recorded in the store)");
  if (required) chunks->required();
  command->add_option("--s3-endpoint", a->endpoint,
                      "The S3 endpoint, http(s)://HOST[:PORT] (Ceph RGW, MinIO, AWS)");
  command->add_option("--s3-region", a->region,
                      "The S3 signing region (default us-east-1)");
  command->add_option("--s3-credentials", a->credentials,
                      "A file holding the access key and secret (default: "
                      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
}

absl::Status RunInit(const Context& ctx, const ChunkArgs& a) {
  if (ctx.server_flag) return ctx.OpenOwnStore().status();  // refused before mkdir
  const bool existed =
      std::filesystem::exists(std::filesystem::path(ctx.store_dir) / "CURRENT");
  if (!a.url.empty()) {
    RETURN_IF_ERROR(InitChunkBackend(ctx.store_dir, a.Backend(), StoreOptions{}));
    return Print(absl::StrCat(existed ? "store at " : "initialized store at ",
                              ctx.store_dir, existed ? " keeps" : ", keeping",
                              " its chunks in ", a.url, "\n"));
  }
  std::error_code ec;
  std::filesystem::create_directories(ctx.store_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", ctx.store_dir, ": ", ec.message()));
  }
  ASSIGN_OR_RETURN(auto store, ctx.OpenOwnStore(/*create=*/true));
  return Print(existed
                   ? absl::StrCat("store at ", ctx.store_dir, " already initialized\n")
                   : absl::StrCat("initialized empty store at ", ctx.store_dir, "\n"));
}

absl::Status RunMigrate(const Context& ctx, const ChunkArgs& a) {
  if (ctx.server_flag) return ctx.OpenOwnStore().status();
  std::optional<ProgressBar> bar;
  std::string phase;
  auto migrated =
      MigrateChunks(ctx.store_dir, a.Backend(), StoreOptions{},
                    [&](const std::string& now, uint64_t done, uint64_t total) {
                      if (now != phase) {
                        if (bar.has_value()) bar->Finish();
                        bar.emplace(absl::StrCat("migrate: ", now), total);
                        phase = now;
                      }
                      bar->Update(done);
                    });
  if (bar.has_value()) bar->Finish();
  if (!migrated.ok()) return WithServerHint(migrated.status(), ctx.store_dir);
  return Print(absl::StrCat("chunks of ", ctx.store_dir, " are in ", a.url, ": ",
                            migrated->chunks, " found locally, ", migrated->copied,
                            " copied (", migrated->bytes_copied, " bytes), ",
                            migrated->already, " already there; ",
                            migrated->local_dropped, " local copies dropped\n"));
}

struct PutArgs {
  std::string ref, file, run, message, alias;
  std::vector<std::string> meta, inputs;
};

absl::Status RunPut(const Context& ctx, const PutArgs& a) {
  NewVersion request;
  ASSIGN_OR_RETURN(request.artifact, ParseArtifactId(a.ref));
  ASSIGN_OR_RETURN(request.metadata, ParsePairs(a.meta, "--meta"));
  request.inputs = a.inputs;
  request.run_id = a.run;
  request.message = a.message;
  request.alias = a.alias;
  request.creator = Context::Creator();
  ASSIGN_OR_RETURN(auto source, OpenFileSource(a.file));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ProgressBar bar("put", source->SizeHint());
  auto put = client->Put(request, *source, [&](uint64_t done) { bar.Update(done); });
  bar.Finish();
  if (!put.ok()) return put.status();
  const CommitResult& result = put->commit;
  if (!result.created && ::isatty(STDERR_FILENO) == 1) {
    std::fprintf(stderr,
                 "note: identical to the latest version; nothing new was stored\n");
  }
  return Print(
      absl::StrCat(VersionRef(result.version), " sha256:", put->content_id.Hex(), "\n"));
}

struct GetArgs {
  std::string ref, output;
};

absl::Status RunGet(const Context& ctx, const GetArgs& a) {
  ASSIGN_OR_RETURN(Ref ref, ParseRef(a.ref));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(store::Version v, client->Resolve(ref));
  if (!a.output.empty() && a.output != "-") return GetToFile(*client, v, a.output);
  auto sink = FdSink(STDOUT_FILENO, "standard output");
  ProgressBar bar("get", v.size());
  absl::Status s = client->Read(v, *sink, [&](uint64_t done) { bar.Update(done); });
  bar.Finish();
  return s;
}

struct ShowArgs {
  std::string ref;
  bool json = false;
};

std::string ShowText(const store::Version& v, const std::vector<std::string>& aliases) {
  std::string out = absl::StrCat(VersionRef(v), "\n");
  auto line = [&](absl::string_view k, absl::string_view value) {
    absl::StrAppend(&out, absl::StrFormat("  %-9s %s\n", k, value));
  };
  line("content", absl::StrCat("sha256:", Digest::FromRaw(v.content_id())->Hex()));
  line("size", absl::StrCat(FormatBytes(v.size()), " (", v.size(), " bytes)"));
  line("created", absl::StrCat(FormatTimeShort(v.created_us()), " by ",
                               DescribeActor(v.creator(), v.on_behalf_of())));
  if (!v.message().empty()) line("message", v.message());
  if (!aliases.empty()) line("aliases", absl::StrJoin(aliases, ", "));
  if (!v.run_id().empty()) line("run", absl::StrCat("run/", v.run_id()));
  if (v.inputs_size() > 0) line("inputs", absl::StrJoin(v.inputs(), ", "));
  if (v.has_deleted()) {
    const store::Deletion& d = v.deleted();
    line("deleted", absl::StrCat(FormatTimeShort(d.at_us()), " by ",
                                 DescribeActor(d.who(), d.on_behalf_of()),
                                 d.reason().empty() ? "" : ": ", d.reason()));
  }
  std::map<std::string, std::string> meta(v.metadata().begin(), v.metadata().end());
  bool first = true;
  for (const auto& [k, val] : meta) {
    line(first ? "metadata" : "", absl::StrCat(k, "=", val));
    first = false;
  }
  return out;
}

absl::Status RunShow(const Context& ctx, const ShowArgs& a) {
  ASSIGN_OR_RETURN(Ref ref, ParseRef(a.ref));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(store::Version v, client->Resolve(ref));
  ASSIGN_OR_RETURN(auto aliases, client->AliasesByVersion(ref.artifact));
  const auto& mine = aliases[v.number()];
  if (!a.json) return Print(ShowText(v, mine));
  JsonWriter w;
  WriteVersionJson(w, v, mine);
  return Print(w.Take() + "\n");
}

struct LogArgs {
  std::string artifact;
  bool json = false;
};

absl::Status RunLog(const Context& ctx, const LogArgs& a) {
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(a.artifact));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto versions, client->Versions(artifact));
  ASSIGN_OR_RETURN(auto aliases, client->AliasesByVersion(artifact));
  std::reverse(versions.begin(), versions.end());  // newest first
  if (a.json) {
    return PrintJsonArray(versions, [&](JsonWriter& w, const store::Version& v) {
      WriteVersionJson(w, v, aliases[v.number()]);
    });
  }
  std::string out;
  for (const auto& v : versions) {
    const auto& names = aliases[v.number()];
    absl::StrAppend(
        &out, absl::StrFormat("@%-4d %s  %-10s %10s  sha256:%s", v.number(),
                              FormatTimeShort(v.created_us()),
                              DescribeActor(v.creator(), v.on_behalf_of()),
                              FormatBytes(v.size()),
                              Digest::FromRaw(v.content_id())->Hex().substr(0, 12)));
    if (!names.empty()) absl::StrAppend(&out, "  [", absl::StrJoin(names, ", "), "]");
    if (!v.message().empty()) absl::StrAppend(&out, "  ", v.message());
    if (v.has_deleted()) absl::StrAppend(&out, "  (deleted)");
    out.push_back('\n');
  }
  return Print(out);
}

struct LsArgs {
  std::string kind;
  bool json = false;
};

absl::Status RunLs(const Context& ctx, const LsArgs& a) {
  std::optional<Kind> kind;
  if (!a.kind.empty()) {
    ASSIGN_OR_RETURN(kind, ParseKind(a.kind));
  }
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto list, client->List(kind));
  if (a.json) {
    return PrintJsonArray(list, WriteArtifactSummaryJson);
  }
  std::string out;
  for (const auto& s : list) {
    std::vector<std::string> aliases;
    for (const auto& [name, version] : s.aliases)
      aliases.push_back(absl::StrCat(name, "=@", version));
    const std::string line = absl::StrFormat(
        "%-40s @%-5d %s  %s", s.artifact.ToString(), s.head.latest_version(),
        FormatTimeShort(s.head.updated_us()), absl::StrJoin(aliases, " "));
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return Print(out);
}

absl::StatusOr<std::optional<uint64_t>> ParseExpect(const std::string& text) {
  if (text.empty()) return std::optional<uint64_t>();
  if (text == "none") return std::optional<uint64_t>(0);
  uint64_t n = 0;
  if (!absl::SimpleAtoi(text[0] == '@' ? text.substr(1) : text, &n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--expect takes a version number or 'none', got '", text, "'"));
  }
  return std::optional<uint64_t>(n);
}

// "@N", or "(none)" for 0 (an alias that did not exist, or was removed).
std::string VersionText(uint64_t n) {
  return n == 0 ? std::string("(none)") : absl::StrCat("@", n);
}

std::string MoveText(const ArtifactId& artifact, const store::AliasMove& m) {
  const auto& v = VersionText;
  return absl::StrCat(artifact.ToString(), "@", m.alias(), ": ", v(m.from_version()),
                      " -> ", v(m.to_version()), "\n");
}

struct AliasArgs {
  std::string artifact, alias, version, expect, reason;
  bool json = false;
};

absl::Status RunAliasSet(const Context& ctx, const AliasArgs& a) {
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(a.artifact));
  uint64_t version = 0;
  std::string number = a.version[0] == '@' ? a.version.substr(1) : a.version;
  if (!absl::SimpleAtoi(number, &version) || version == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a version number (1, 2, ...), got '", a.version, "'"));
  }
  ASSIGN_OR_RETURN(auto expect, ParseExpect(a.expect));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto move, client->SetAlias(artifact, a.alias, version, expect,
                                               Context::Creator(), a.reason));
  return Print(MoveText(artifact, move));
}

absl::Status RunAliasRm(const Context& ctx, const AliasArgs& a) {
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(a.artifact));
  ASSIGN_OR_RETURN(auto expect, ParseExpect(a.expect));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto move, client->RemoveAlias(artifact, a.alias, expect,
                                                  Context::Creator(), a.reason));
  return Print(MoveText(artifact, move));
}

absl::Status RunAliasLog(const Context& ctx, const AliasArgs& a) {
  ASSIGN_OR_RETURN(ArtifactId artifact, ParseArtifactId(a.artifact));
  ASSIGN_OR_RETURN(auto client, ctx.Client());
  ASSIGN_OR_RETURN(auto moves, client->AliasLog(artifact));
  if (a.json) return PrintJsonArray(moves, WriteAliasMoveJson);
  std::string out;
  const auto& v = VersionText;
  for (const auto& m : moves) {
    absl::StrAppend(
        &out, absl::StrFormat("#%-3d %s  %-10s %-12s %6s -> %-6s %s\n", m.sequence(),
                              FormatTimeShort(m.at_us()),
                              DescribeActor(m.who(), m.on_behalf_of()), m.alias(),
                              v(m.from_version()), v(m.to_version()), m.reason()));
  }
  return Print(out);
}

}  // namespace

void AddArtifactCommands(CLI::App& app, Context& ctx) {
  auto init_chunks = std::make_shared<ChunkArgs>();
  auto* init = app.add_subcommand("init", "Create an empty store (no-op if it exists)");
  AddChunkOptions(init, init_chunks.get(), /*required=*/false);
  init->callback([&ctx, init_chunks] {
    ctx.action = [&ctx, init_chunks] { return RunInit(ctx, *init_chunks); };
  });

  auto migrate_chunks = std::make_shared<ChunkArgs>();
  auto* migrate = app.add_subcommand("migrate",
                                     "Move the store's chunks to an object store "
                                     "(resumable), then drop the local copies");
  AddChunkOptions(migrate, migrate_chunks.get(), /*required=*/true);
  migrate->callback([&ctx, migrate_chunks] {
    ctx.action = [&ctx, migrate_chunks] { return RunMigrate(ctx, *migrate_chunks); };
  });

  auto put = std::make_shared<PutArgs>();
  auto* p = app.add_subcommand(
      "put", "Store a file as a new version; prints KIND/NAME@N sha256:HEX");
  p->add_option("ref", put->ref, "KIND/NAME, e.g. dataset/raw or model/team/churn")
      ->required();
  p->add_option("file", put->file, "File to store, or - for standard input")->required();
  p->add_option("--meta", put->meta, "Metadata KEY=VALUE (repeatable)");
  p->add_option("--input", put->inputs, "A version this one was made from (repeatable)");
  p->add_option("--run", put->run, "The run that produced this version");
  p->add_option("-m,--message", put->message, "What this version is");
  p->add_option("--alias", put->alias, "Point this alias at the version");
  p->callback([&ctx, put] { ctx.action = [&ctx, put] { return RunPut(ctx, *put); }; });

  auto get = std::make_shared<GetArgs>();
  auto* g = app.add_subcommand("get", "Write a version's content to stdout or a file");
  g->add_option("ref", get->ref, "KIND/NAME[@N|@ALIAS]")->required();
  g->add_option("-o,--output", get->output, "Output file (written atomically)");
  g->callback([&ctx, get] { ctx.action = [&ctx, get] { return RunGet(ctx, *get); }; });

  auto show = std::make_shared<ShowArgs>();
  auto* s = app.add_subcommand("show", "Describe one version");
  s->add_option("ref", show->ref, "KIND/NAME[@N|@ALIAS]")->required();
  s->add_flag("--json", show->json, "Print JSON");
  s->callback(
      [&ctx, show] { ctx.action = [&ctx, show] { return RunShow(ctx, *show); }; });

  auto log = std::make_shared<LogArgs>();
  auto* l = app.add_subcommand("log", "List an artifact's versions, newest first");
  l->add_option("artifact", log->artifact, "KIND/NAME")->required();
  l->add_flag("--json", log->json, "Print JSON");
  l->callback([&ctx, log] { ctx.action = [&ctx, log] { return RunLog(ctx, *log); }; });

  auto ls = std::make_shared<LsArgs>();
  auto* li = app.add_subcommand("ls", "List artifacts");
  li->add_option("kind", ls->kind,
                 "dataset, featureview, model, config, featureservice or profile");
  li->add_flag("--json", ls->json, "Print JSON");
  li->callback([&ctx, ls] { ctx.action = [&ctx, ls] { return RunLs(ctx, *ls); }; });

  auto* alias = app.add_subcommand("alias", "Move, remove and audit aliases");
  alias->require_subcommand(1);
  auto set = std::make_shared<AliasArgs>();
  auto* as = alias->add_subcommand(
      "set", "Point ALIAS at version N (compare-and-set with --expect)");
  as->add_option("artifact", set->artifact, "KIND/NAME")->required();
  as->add_option("alias", set->alias, "Alias, e.g. production")->required();
  as->add_option("version", set->version, "Version number")->required();
  as->add_option(
      "--expect", set->expect,
      "Fail unless the alias now points at this version ('none': does not exist)");
  as->add_option("-m,--message", set->reason, "Why (kept in the alias log)");
  as->callback(
      [&ctx, set] { ctx.action = [&ctx, set] { return RunAliasSet(ctx, *set); }; });
  auto rm = std::make_shared<AliasArgs>();
  auto* ar = alias->add_subcommand("rm", "Remove an alias");
  ar->add_option("artifact", rm->artifact, "KIND/NAME")->required();
  ar->add_option("alias", rm->alias, "Alias")->required();
  ar->add_option("--expect", rm->expect,
                 "Fail unless the alias now points at this version");
  ar->add_option("-m,--message", rm->reason, "Why (kept in the alias log)");
  ar->callback([&ctx, rm] { ctx.action = [&ctx, rm] { return RunAliasRm(ctx, *rm); }; });
  auto alog = std::make_shared<AliasArgs>();
  auto* al = alias->add_subcommand(
      "log", "Every alias move of an artifact: who, when, from, to, why");
  al->add_option("artifact", alog->artifact, "KIND/NAME")->required();
  al->add_flag("--json", alog->json, "Print JSON");
  al->callback(
      [&ctx, alog] { ctx.action = [&ctx, alog] { return RunAliasLog(ctx, *alog); }; });
}

}  // namespace strata::cli
