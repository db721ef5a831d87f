#include "features/redis_online_table.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "store/internal/records.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

constexpr int kSlots = 16384;
constexpr int kMaxRedirects = 8;
// Operations of one bucket per EVALSHA (a larger write is several, in order).
constexpr size_t kOpsPerScript = 512;

// Applies ARGV[2..] (op, key, value) triples in order to the rows ARGV[1]..key and
// the index KEYS[1]. "u": upsert, newest wins; "p": put; "d": delete (value "").
// Newer compares the first 24 bytes (kOnlineVersionBytes) byte by byte: Lua's
// string comparison follows the server's locale.
constexpr char kWriteScript[] = R"lua(
local function newer(a, b)
  if #a < 24 then return false end
  if #b < 24 then return true end
  for i = 1, 24 do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return false
end
local prefix = ARGV[1]
for i = 2, #ARGV, 3 do
  local op, key, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local row = prefix .. key
  if op == 'd' then
    redis.call('DEL', row)
    redis.call('ZREM', KEYS[1], key)
  else
    local keep = false
    if op == 'u' then
      local cur = redis.call('GET', row)
      keep = cur and newer(cur, value)
    end
    if not keep then
      redis.call('SET', row, value)
      redis.call('ZADD', KEYS[1], 0, key)
    end
  end
end
return 1
)lua";

// Up to ARGV[3] keys of index KEYS[1] from ARGV[2] (a ZRANGEBYLEX bound) with their
// rows' values (ARGV[1] the rows' prefix), as {keys, values}.
constexpr char kScanScript[] = R"lua(
local keys = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], '+', 'LIMIT', 0, ARGV[3])
local values = {}
for i = 1, #keys do
  values[i] = redis.call('GET', ARGV[1] .. keys[i]) or ''
end
return {keys, values}
)lua";

// CRC16-CCITT (XMODEM), Redis Cluster's key hash.
uint16_t Crc16(absl::string_view bytes) {
  uint16_t crc = 0;
  for (unsigned char c : bytes) {
    crc ^= static_cast<uint16_t>(c) << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

// The cluster slot of a key: of its hash tag when it has one.
int SlotOf(absl::string_view key) {
  const size_t open = key.find('{');
  if (open != absl::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != absl::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16(key) % kSlots;
}

uint32_t ViewOf(absl::string_view key) {
  uint32_t view = 0;
  for (size_t i = 0; i < 4; ++i) {
    view = (view << 8) | (i < key.size() ? static_cast<unsigned char>(key[i]) : 0);
  }
  return view;
}

int BucketOf(absl::string_view key) {
  uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : key.substr(std::min<size_t>(4, key.size()))) {
    hash = (hash ^ c) * 16777619u;
  }
  return static_cast<int>(hash % kRedisBuckets);
}

std::string Tag(uint32_t view, int bucket) {
  return absl::StrFormat("{s%08x.%02x}", view, bucket);
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};

// A command: its words, and the slot of its keys.
struct Command {
  std::vector<std::string> argv;
  int slot = 0;
};

struct Endpoint {
  std::string host;
  int port = 0;
  std::string name() const { return absl::StrCat(host, ":", port); }
};

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text) {
  const size_t colon = text.rfind(':');
  Endpoint e;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &e.port) || e.port <= 0 || e.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("not HOST:PORT: \"", text, "\""));
  }
  e.host = std::string(text.substr(0, colon));
  return e;
}

}  // namespace

std::string RedisIndexKey(uint32_t view, int bucket) { return Tag(view, bucket) + "i"; }

std::string RedisRowKey(absl::string_view key) {
  return absl::StrCat(Tag(ViewOf(key), BucketOf(key)), "r", key);
}

// The connections (one per node, each with its lock) and, in a cluster, the slot
// map. A node's connection is opened when first used and again after it failed.
class RedisOnlineTable::Client {
 public:
  struct Node {
    explicit Node(Endpoint e) : endpoint(std::move(e)) {}
    Endpoint endpoint;
    std::mutex mu;
    std::unique_ptr<redisContext, ContextDeleter> context;  // guarded by mu
  };

  Client(const RedisOptions& options, bool cluster, std::vector<Endpoint> seeds)
      : options_(options), cluster_(cluster), seeds_(std::move(seeds)) {
    slots_.fill(nullptr);
  }

  absl::Status Start() {
    if (!cluster_) {
      Node* node = NodeAt(seeds_[0]);
      slots_.fill(node);
    } else {
      RETURN_IF_ERROR(RefreshSlots());
    }
    return LoadScripts(Any());
  }

  std::string write_sha() {
    std::lock_guard lock(sha_mu_);
    return write_sha_;
  }
  std::string scan_sha() {
    std::lock_guard lock(sha_mu_);
    return scan_sha_;
  }

  // Runs `commands` (pipelined, one round trip per node per round) and returns a
  // reply for each, following MOVED, ASK and NOSCRIPT. Other error replies are
  // returned as they are; a node that cannot be reached is Unavailable.
  absl::StatusOr<std::vector<Reply>> Run(const std::vector<Command>& commands) {
    std::vector<Reply> replies(commands.size());
    std::vector<size_t> pending(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) pending[i] = i;
    std::vector<Node*> ask(commands.size(), nullptr);  // ASK: the node to ask once
    std::string last_node, last_error;  // of the last command to be sent again
    for (int round = 0; !pending.empty(); ++round) {
      if (round > kMaxRedirects) {
        return absl::UnavailableError(absl::StrCat("redis ", last_node, " is unavailable: ",
                                                   "still answering after ", kMaxRedirects,
                                                   " tries: ", last_error));
      }
      if (round > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5 * round));
      // Each pending command's node, in node order (a fixed lock order).
      std::map<Node*, std::vector<size_t>> by_node;
      {
        std::shared_lock lock(slots_mu_);
        for (size_t i : pending) {
          Node* node = ask[i] != nullptr ? ask[i] : slots_[commands[i].slot];
          if (node == nullptr) node = seed_node_;
          by_node[node].push_back(i);
        }
      }
      std::vector<std::unique_lock<std::mutex>> locks;
      for (auto& [node, indexes] : by_node) locks.emplace_back(node->mu);
      // A round left early (an error) may leave replies unread on any of its
      // connections: they are dropped, to be opened afresh.
      bool round_done = false;
      absl::Cleanup drop = [&] {
        if (round_done) return;
        for (auto& [node, indexes] : by_node) node->context.reset();
      };
      // Send to every node, then read: the nodes work at once.
      for (auto& [node, indexes] : by_node) {
        RETURN_IF_ERROR(Connect(*node));
        for (size_t i : indexes) {
          if (ask[i] != nullptr) Append(*node, {"ASKING"});
          Append(*node, commands[i].argv);
        }
        RETURN_IF_ERROR(Flush(*node));
      }
      std::vector<size_t> again;
      std::vector<Node*> noscript;
      bool refresh = false;
      for (auto& [node, indexes] : by_node) {
        for (size_t i : indexes) {
          const bool asking = ask[i] != nullptr;
          ask[i] = nullptr;
          if (asking) {
            ASSIGN_OR_RETURN(Reply ok, Read(*node));  // ASKING's +OK
          }
          ASSIGN_OR_RETURN(replies[i], Read(*node));
          const redisReply* r = replies[i].get();
          if (r->type != REDIS_REPLY_ERROR) continue;
          const absl::string_view error(r->str, r->len);
          last_node = node->endpoint.name();
          last_error = std::string(error);
          if (absl::StartsWith(error, "MOVED ") || absl::StartsWith(error, "ASK ")) {
            const std::vector<absl::string_view> words = absl::StrSplit(error, ' ');
            int slot = 0;
            if (words.size() != 3 || !absl::SimpleAtoi(words[1], &slot) || slot < 0 ||
                slot >= kSlots) {
              return absl::InternalError(absl::StrCat("redis ", node->endpoint.name(), ": ",
                                                      commands[i].argv[0],
                                                      ": malformed redirect: ", error));
            }
            auto target = ParseEndpoint(words[2]);
            if (!target.ok()) return target.status();
            if (target->host.empty()) target->host = node->endpoint.host;
            if (words[0] == "MOVED") {
              refresh = true;
              std::unique_lock lock(slots_mu_);
              slots_[slot] = NodeAt(*target);
            } else {
              ask[i] = NodeAt(*target);
            }
            again.push_back(i);
          } else if (absl::StartsWith(error, "NOSCRIPT")) {
            again.push_back(i);
            noscript.push_back(node);
          } else if (absl::StartsWith(error, "TRYAGAIN") ||
                     absl::StartsWith(error, "CLUSTERDOWN")) {
            again.push_back(i);
          }
        }
      }
      noscript.erase(std::unique(noscript.begin(), noscript.end()), noscript.end());
      for (Node* node : noscript) RETURN_IF_ERROR(LoadScriptsLocked(*node));
      round_done = true;
      locks.clear();
      if (refresh && cluster_) RefreshSlots().IgnoreError();  // MOVED already applied
      std::sort(again.begin(), again.end());
      pending = std::move(again);
    }
    return replies;
  }

 private:
  Node* NodeAt(const Endpoint& endpoint) {
    std::lock_guard lock(nodes_mu_);
    auto& node = nodes_[endpoint.name()];
    if (node == nullptr) node = std::make_unique<Node>(endpoint);
    if (seed_node_ == nullptr) seed_node_ = node.get();
    return node.get();
  }

  Node* Any() {
    std::shared_lock lock(slots_mu_);
    for (Node* n : slots_) {
      if (n != nullptr) return n;
    }
    return seed_node_;
  }

  absl::Status Unavailable(const Node& node, absl::string_view what) {
    return absl::UnavailableError(
        absl::StrCat("redis ", node.endpoint.name(), " is unavailable: ", what));
  }

  // REQUIRES: node.mu held.
  absl::Status Connect(Node& node) {
    if (node.context != nullptr && node.context->err == 0) return absl::OkStatus();
    node.context.reset(redisConnectWithTimeout(node.endpoint.host.c_str(), node.endpoint.port,
                                               absl::ToTimeval(options_.connect_timeout)));
    if (node.context == nullptr) return Unavailable(node, "cannot allocate a connection");
    if (node.context->err != 0) {
      const std::string error = node.context->errstr;
      node.context.reset();
      return Unavailable(node, error);
    }
    if (redisSetTimeout(node.context.get(), absl::ToTimeval(options_.command_timeout)) != REDIS_OK) {
      node.context.reset();
      return Unavailable(node, "cannot set the command timeout");
    }
    return absl::OkStatus();
  }

  // REQUIRES: node.mu held, connected.
  void Append(Node& node, const std::vector<std::string>& argv) {
    std::vector<const char*> words(argv.size());
    std::vector<size_t> lengths(argv.size());
    for (size_t i = 0; i < argv.size(); ++i) {
      words[i] = argv[i].data();
      lengths[i] = argv[i].size();
    }
    redisAppendCommandArgv(node.context.get(), static_cast<int>(argv.size()), words.data(),
                           lengths.data());
  }

  // Sends what Append buffered. REQUIRES: node.mu held, connected.
  absl::Status Flush(Node& node) {
    for (int done = 0; !done;) {
      if (redisBufferWrite(node.context.get(), &done) != REDIS_OK) {
        const std::string error = node.context->errstr;
        node.context.reset();
        return Unavailable(node, error);
      }
    }
    return absl::OkStatus();
  }

  // REQUIRES: node.mu held. A failed connection is dropped (opened again next time).
  absl::StatusOr<Reply> Read(Node& node) {
    void* raw = nullptr;
    if (node.context == nullptr || redisGetReply(node.context.get(), &raw) != REDIS_OK ||
        raw == nullptr) {
      const std::string error =
          node.context == nullptr ? "not connected" : node.context->errstr;
      node.context.reset();
      return Unavailable(node, error);
    }
    return Reply(static_cast<redisReply*>(raw));
  }

  absl::StatusOr<Reply> Call(Node& node, const std::vector<std::string>& argv) {
    RETURN_IF_ERROR(Connect(node));
    Append(node, argv);
    return Read(node);
  }

  absl::Status LoadScripts(Node* node) {
    std::lock_guard lock(node->mu);
    return LoadScriptsLocked(*node);
  }

  // REQUIRES: node.mu held.
  absl::Status LoadScriptsLocked(Node& node) {
    for (auto [script, sha] : {std::pair{kWriteScript, &write_sha_},
                               std::pair{kScanScript, &scan_sha_}}) {
      ASSIGN_OR_RETURN(Reply r, Call(node, {"SCRIPT", "LOAD", script}));
      if (r->type != REDIS_REPLY_STRING) {
        return absl::InternalError(absl::StrCat(
            "redis ", node.endpoint.name(), ": SCRIPT LOAD: unexpected reply ",
            r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "type"));
      }
      std::lock_guard lock(sha_mu_);
      *sha = std::string(r->str, r->len);  // the script's SHA1: the same everywhere
    }
    return absl::OkStatus();
  }

  // Reads the slot map from the first node that answers CLUSTER SLOTS.
  absl::Status RefreshSlots() {
    std::vector<Endpoint> candidates = seeds_;
    {
      std::lock_guard lock(nodes_mu_);
      for (auto& [name, node] : nodes_) candidates.push_back(node->endpoint);
    }
    absl::Status last = absl::UnavailableError("redis: no cluster node given");
    for (const Endpoint& e : candidates) {
      Node* node = NodeAt(e);
      Reply r;
      {
        std::lock_guard lock(node->mu);
        auto reply = Call(*node, {"CLUSTER", "SLOTS"});
        if (!reply.ok()) {
          last = reply.status();
          continue;
        }
        r = std::move(*reply);
      }
      if (r->type != REDIS_REPLY_ARRAY) {
        last = absl::InternalError(absl::StrCat("redis ", e.name(),
                                                ": CLUSTER SLOTS: not an array"));
        continue;
      }
      std::array<Node*, kSlots> map;
      map.fill(nullptr);
      for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* range = r->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
            range->element[0]->type != REDIS_REPLY_INTEGER ||
            range->element[1]->type != REDIS_REPLY_INTEGER ||
            range->element[2]->type != REDIS_REPLY_ARRAY ||
            range->element[2]->elements < 2 ||
            range->element[2]->element[0]->type != REDIS_REPLY_STRING ||
            range->element[2]->element[1]->type != REDIS_REPLY_INTEGER) {
          return absl::InternalError(
              absl::StrCat("redis ", e.name(), ": CLUSTER SLOTS: malformed slot range"));
        }
        Endpoint master{std::string(range->element[2]->element[0]->str,
                                    range->element[2]->element[0]->len),
                        static_cast<int>(range->element[2]->element[1]->integer)};
        if (master.host.empty() || master.host == "?") master.host = e.host;
        Node* node_of_range = NodeAt(master);
        const long long first = range->element[0]->integer;
        const long long last_slot = range->element[1]->integer;
        for (long long s = std::max(0LL, first); s <= last_slot && s < kSlots; ++s) {
          map[s] = node_of_range;
        }
      }
      std::unique_lock lock(slots_mu_);
      slots_ = map;
      return absl::OkStatus();
    }
    return last;
  }

  const RedisOptions options_;
  const bool cluster_;
  const std::vector<Endpoint> seeds_;

  std::mutex nodes_mu_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;  // by HOST:PORT, never removed
  Node* seed_node_ = nullptr;

  std::shared_mutex slots_mu_;
  std::array<Node*, kSlots> slots_;

  std::mutex sha_mu_;
  std::string write_sha_, scan_sha_;
};

absl::StatusOr<std::unique_ptr<RedisOnlineTable>> RedisOnlineTable::Open(
    internal::Db* db, const RedisOptions& options) {
  bool cluster = false;
  absl::string_view rest = options.url;
  if (absl::ConsumePrefix(&rest, "redis-cluster://")) {
    cluster = true;
  } else if (!absl::ConsumePrefix(&rest, "redis://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "online store \"", options.url,
        "\": expected redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT...]"));
  }
  std::vector<Endpoint> seeds;
  for (absl::string_view part : absl::StrSplit(rest, ',')) {
    auto e = ParseEndpoint(part);
    if (!e.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("online store \"", options.url, "\": ", e.status().message()));
    }
    seeds.push_back(*std::move(e));
  }
  if (!cluster && seeds.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "online store \"", options.url, "\": redis:// names one server (redis-cluster:// "
        "names several nodes)"));
  }
  auto client = std::make_unique<Client>(options, cluster, std::move(seeds));
  RETURN_IF_ERROR(client->Start());
  return std::unique_ptr<RedisOnlineTable>(new RedisOnlineTable(db, std::move(client)));
}

RedisOnlineTable::RedisOnlineTable(internal::Db* db, std::unique_ptr<Client> client)
    : db_(db), client_(std::move(client)) {}

RedisOnlineTable::~RedisOnlineTable() = default;

namespace {

// An error reply, or a reply not of `type`, as an error naming the command and
// what it read (`what`). A key holding another Redis type was damaged: DataLoss.
absl::Status Expect(const redisReply* r, int type, absl::string_view command,
                    absl::string_view what) {
  if (r->type == REDIS_REPLY_ERROR) {
    const absl::string_view error(r->str, r->len);
    const std::string message = absl::StrCat("redis: ", command, " of ", what, ": ", error);
    if (absl::StrContains(error, "WRONGTYPE")) return absl::DataLossError(message);
    return absl::UnavailableError(message);
  }
  if (r->type != type) {
    return absl::DataLossError(absl::StrCat("redis: ", command, " of ", what,
                                            ": unexpected reply of type ", r->type));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RedisOnlineTable::Lookup(absl::Span<const absl::string_view> keys,
                                      FoundRow found) const {
  if (keys.empty()) return absl::OkStatus();
  std::vector<Command> commands(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string row = RedisRowKey(keys[i]);
    commands[i].slot = SlotOf(row);
    commands[i].argv = {"GET", std::move(row)};
  }
  ASSIGN_OR_RETURN(std::vector<Reply> replies, client_->Run(commands));
  for (size_t i = 0; i < keys.size(); ++i) {
    const redisReply* r = replies[i].get();
    if (r->type == REDIS_REPLY_NIL) continue;
    RETURN_IF_ERROR(Expect(r, REDIS_REPLY_STRING, "GET",
                           absl::StrCat("row \"", absl::CHexEscape(keys[i]), "\"")));
    RETURN_IF_ERROR(found(i, absl::string_view(r->str, r->len)));
  }
  return absl::OkStatus();
}

absl::Status RedisOnlineTable::Write(const OnlineWrite& write, Change change,
                                     StoreRecords records) {
  if (db_ == nullptr) {
    return absl::FailedPreconditionError(
        "this online table serves lookups only (a replica has no store to write)");
  }
  // The store's records first: a refused change writes nothing anywhere.
  RETURN_IF_ERROR(internal::CommitChange(*db_, change,
                                         [&](rocksdb::Transaction* txn)
                                             -> absl::StatusOr<bool> {
                                           RETURN_IF_ERROR(records(txn));
                                           return true;
                                         })
                      .status());
  // Each bucket's operations in the write's order (upserts, puts, deletes, as
  // RocksOnlineTable applies them), a script per kOpsPerScript of them.
  std::map<std::pair<uint32_t, int>, std::vector<std::string>> ops;
  auto add = [&](char op, absl::string_view key, absl::string_view value) {
    std::vector<std::string>& args = ops[{ViewOf(key), BucketOf(key)}];
    args.emplace_back(1, op);
    args.emplace_back(key);
    args.emplace_back(value);
  };
  for (const auto& [key, value] : write.upserts) add('u', key, value);
  for (const auto& [key, value] : write.puts) add('p', key, value);
  for (const std::string& key : write.deletes) add('d', key, "");
  std::vector<Command> commands;
  for (const auto& [bucket, args] : ops) {
    const std::string index = RedisIndexKey(bucket.first, bucket.second);
    const int slot = SlotOf(index);
    const std::string prefix = Tag(bucket.first, bucket.second) + "r";
    for (size_t begin = 0; begin < args.size(); begin += 3 * kOpsPerScript) {
      const size_t end = std::min(args.size(), begin + 3 * kOpsPerScript);
      Command c;
      c.slot = slot;
      c.argv = {"EVALSHA", client_->write_sha(), "1", index, prefix};
      c.argv.insert(c.argv.end(), args.begin() + begin, args.begin() + end);
      commands.push_back(std::move(c));
    }
  }
  if (commands.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<Reply> replies, client_->Run(commands));
  for (size_t i = 0; i < replies.size(); ++i) {
    RETURN_IF_ERROR(Expect(replies[i].get(), REDIS_REPLY_INTEGER, "EVALSHA (write)",
                           commands[i].argv[3]));
  }
  return absl::OkStatus();
}

absl::StatusOr<OnlinePage> RedisOnlineTable::Scan(uint32_t view, absl::string_view from,
                                                  size_t limit) const {
  const std::string bound = from.empty() ? std::string("-") : absl::StrCat("[", from);
  const std::string count = std::to_string(limit + 1);
  std::vector<Command> commands(kRedisBuckets);
  for (int b = 0; b < kRedisBuckets; ++b) {
    const std::string index = RedisIndexKey(view, b);
    commands[b].slot = SlotOf(index);
    commands[b].argv = {"EVALSHA", client_->scan_sha(), "1", index, Tag(view, b) + "r", bound,
                        count};
  }
  ASSIGN_OR_RETURN(std::vector<Reply> replies, client_->Run(commands));
  std::vector<std::pair<absl::string_view, absl::string_view>> rows;
  for (size_t b = 0; b < replies.size(); ++b) {
    const redisReply* r = replies[b].get();
    RETURN_IF_ERROR(Expect(r, REDIS_REPLY_ARRAY, "EVALSHA (scan)", commands[b].argv[3]));
    if (r->elements != 2 || r->element[0]->type != REDIS_REPLY_ARRAY ||
        r->element[1]->type != REDIS_REPLY_ARRAY ||
        r->element[0]->elements != r->element[1]->elements) {
      return absl::DataLossError("redis: EVALSHA (scan): malformed reply");
    }
    for (size_t i = 0; i < r->element[0]->elements; ++i) {
      const redisReply* k = r->element[0]->element[i];
      const redisReply* v = r->element[1]->element[i];
      if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
        return absl::DataLossError("redis: EVALSHA (scan): malformed row");
      }
      rows.emplace_back(absl::string_view(k->str, k->len), absl::string_view(v->str, v->len));
    }
  }
  std::sort(rows.begin(), rows.end());
  OnlinePage page;
  for (const auto& [key, value] : rows) {
    if (page.size() == limit) {
      page.resume = std::string(key);
      break;
    }
    page.Add(key, value);
  }
  return page;
}

}  // namespace strata::features
