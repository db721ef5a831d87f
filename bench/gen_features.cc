// gen_features OUT_DIR [--entities N] [--events N] [--spine N] [--seed N]: writes the
// historical-retrieval benchmark's workload (issue 3) into OUT_DIR:
//
//   features.yaml  one entity `customer` (join key customer_id, int64) and one feature
//                  view `customer_stats` with five double features f1..f5, TTL 30d
//   features.csv   customer_id,event_timestamp,created_timestamp,f1,f2,f3,f4,f5:
//                  ENTITIES x EVENTS rows (default 100,000 x 100 = 10M), shuffled
//   spine.csv      customer_id,event_timestamp,label: SPINE rows (default 1M)
//
// Timestamps are integer epoch seconds. Event times are uniform over the 90 days from
// 2024-01-01T00:00:00Z; created = event + uniform 0..3600 s. About 1% of an entity's
// rows are ties: they repeat the event time of an earlier row of the same entity with
// another created time and other values, so retrieval must break ties on created
// time. No two rows share (customer_id, event_timestamp, created_timestamp). Feature
// values are k / 10^4 for integers k (four decimals), printed shortest round-trip
// in fixed notation.
//
// The spine: 95% of rows name a known entity, 5% an unknown id (>= ENTITIES). Times
// are uniform over [start - 1 day, start + 91 days], except in 2.5% of the rows (all
// of known entities): 1% are exactly an event time of that entity, 1% exactly that
// entity's last event time + 30 days (the TTL boundary, inside: that row is the
// answer; up to start + 120 days) and 0.5% one second later (just outside: no
// answer). The label is 0 or 1.
//
// Every byte is a function of the parameters and the seed (SplitMix64, integer
// arithmetic, std::to_chars), so reruns produce identical files.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bench/splitmix64.h"

namespace {

using strata::bench::SplitMix64;

constexpr uint64_t kDefaultSeed = 0x5354524154413033;  // "STRATA03"
constexpr int64_t kStart = 1'704'067'200;              // 2024-01-01T00:00:00Z
constexpr int64_t kDay = 86'400;
constexpr int64_t kEventSpan = 90 * kDay;
constexpr int64_t kTtl = 30 * kDay;
constexpr uint32_t kMaxCreatedDelay = 3600;  // created = event + [0, 3600] s

// Uniform in [0, n) (n > 0) from one 64-bit draw: the high half of a 64x64 product,
// with no rejection (the bias is below 2^-32 for the ranges used here).
uint64_t Below(uint64_t* state, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(SplitMix64(state)) * n) >>
                               64);
}

// One feature row before shuffling. The values are not stored: they are a function of
// `serial` (the row's position before the shuffle), computed while writing.
struct Row {
  uint32_t entity;
  uint32_t event_offset;  // seconds after kStart
  uint32_t serial;
  uint32_t created_delay;  // seconds after the event time, <= kMaxCreatedDelay
};

// Buffered output to a temporary file renamed into place on success.
class Output {
 public:
  explicit Output(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
    buf_.resize(kBuffer + kSlack);
    file_ = std::fopen(tmp_.c_str(), "wb");
    if (file_ == nullptr) Fail("cannot create");
  }
  ~Output() {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::remove(tmp_.c_str());
    }
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  bool ok() const { return ok_; }
  // Room for at least kSlack bytes; call Advance with what was written there.
  char* Cursor() { return buf_.data() + used_; }
  void Advance(char* end) {
    used_ = static_cast<size_t>(end - buf_.data());
    if (used_ >= kBuffer) Flush();
  }
  void Write(std::string_view s) {
    for (size_t i = 0; i < s.size(); i += kSlack) {
      const std::string_view part = s.substr(i, kSlack);
      std::memcpy(Cursor(), part.data(), part.size());
      Advance(Cursor() + part.size());
    }
  }
  // Flushes, closes and renames into place; returns the file's size, or -1.
  int64_t Close() {
    Flush();
    if (file_ != nullptr && std::fclose(file_) != 0) Fail("cannot write");
    file_ = nullptr;
    if (ok_ && std::rename(tmp_.c_str(), path_.c_str()) != 0) Fail("cannot rename into");
    if (!ok_) {
      std::remove(tmp_.c_str());
      return -1;
    }
    std::error_code ec;
    return static_cast<int64_t>(std::filesystem::file_size(path_, ec));
  }

  static constexpr size_t kSlack = 256;

 private:
  static constexpr size_t kBuffer = 16 << 20;
  void Flush() {
    if (ok_ && used_ > 0 && std::fwrite(buf_.data(), 1, used_, file_) != used_) {
      Fail("cannot write");
    }
    used_ = 0;
  }
  void Fail(const char* what) {
    if (ok_) {
      std::fprintf(stderr, "gen_features: %s %s: %s\n", what, tmp_.c_str(),
                   std::strerror(errno));
    }
    ok_ = false;
  }

  std::string path_, tmp_;
  std::vector<char> buf_;
  size_t used_ = 0;
  std::FILE* file_ = nullptr;
  bool ok_ = true;
};

char* AppendInt(char* p, int64_t v) { return std::to_chars(p, p + 24, v).ptr; }

// Appends k / 10^4 printed shortest round-trip in fixed notation (0.1234, 57.5,
// -3.0007, 12, 0.0003: not the shorter 3e-04).
char* AppendValue(char* p, int64_t k) {
  return std::to_chars(p, p + 32, static_cast<double>(k) / 1e4, std::chars_format::fixed)
      .ptr;
}

// The five feature values of the row with `serial`, as k / 10^4:
// f1 in [0, 1), f2 in [0, 100), f3 in [-10, 10), f4 in [0, 1000), f5 in [0, 10).
char* AppendValues(char* p, uint64_t seed, uint32_t serial) {
  uint64_t state = seed ^ (0x76616c7565730000 + serial * 0x9e3779b97f4a7c15);  // "values"
  const uint64_t a = SplitMix64(&state), b = SplitMix64(&state), c = SplitMix64(&state);
  const int64_t k[5] = {
      static_cast<int64_t>((a & 0xffffffff) % 10'000),
      static_cast<int64_t>((a >> 32) % 1'000'000),
      static_cast<int64_t>((b & 0xffffffff) % 200'000) - 100'000,
      static_cast<int64_t>((b >> 32) % 10'000'000),
      static_cast<int64_t>((c & 0xffffffff) % 100'000),
  };
  for (int64_t v : k) {
    *p++ = ',';
    p = AppendValue(p, v);
  }
  return p;
}

// Draws every entity's rows, entity by entity (rows [e * events, (e + 1) * events)).
std::vector<Row> MakeRows(uint64_t seed, uint32_t entities, uint32_t events,
                          uint64_t* ties) {
  std::vector<Row> rows(static_cast<size_t>(entities) * events);
  uint64_t state = seed ^ 0x6576656e74730000;  // "events"
  std::vector<uint64_t> keys(events);
  *ties = 0;
  for (uint32_t e = 0; e < entities; ++e) {
    Row* const r = rows.data() + static_cast<size_t>(e) * events;
    for (uint32_t i = 0; i < events; ++i) {
      r[i].entity = e;
      r[i].serial = static_cast<uint32_t>(static_cast<size_t>(e) * events + i);
      if (i > 0 && Below(&state, 100) == 0) {
        // A tie: an earlier row's event time, another created time.
        const uint32_t j = static_cast<uint32_t>(Below(&state, i));
        r[i].event_offset = r[j].event_offset;
        do {
          r[i].created_delay = static_cast<uint32_t>(Below(&state, kMaxCreatedDelay + 1));
        } while (r[i].created_delay == r[j].created_delay);
        ++*ties;
      } else {
        r[i].event_offset = static_cast<uint32_t>(Below(&state, kEventSpan));
        r[i].created_delay = static_cast<uint32_t>(Below(&state, kMaxCreatedDelay + 1));
      }
    }
    // (event, created) must be unique within the entity: redraw the created time of
    // any repeat until there is none (rare: two independent draws colliding).
    for (;;) {
      for (uint32_t i = 0; i < events; ++i) {
        keys[i] =
            (uint64_t{r[i].event_offset} << 32 | uint64_t{r[i].created_delay} << 12) | i;
      }
      std::sort(keys.begin(), keys.end());
      bool repeated = false;
      for (uint32_t i = 1; i < events; ++i) {
        if ((keys[i] >> 12) == (keys[i - 1] >> 12)) {
          Row& dup = r[keys[i] & 0xfff];
          dup.created_delay = static_cast<uint32_t>(Below(&state, kMaxCreatedDelay + 1));
          repeated = true;
        }
      }
      if (!repeated) break;
    }
  }
  return rows;
}

int64_t WriteFeatures(const std::string& path, uint64_t seed,
                      const std::vector<Row>& rows) {
  Output out(path);
  out.Write("customer_id,event_timestamp,created_timestamp,f1,f2,f3,f4,f5\n");
  for (const Row& r : rows) {
    char* p = out.Cursor();
    p = AppendInt(p, r.entity);
    *p++ = ',';
    const int64_t event = kStart + r.event_offset;
    p = AppendInt(p, event);
    *p++ = ',';
    p = AppendInt(p, event + r.created_delay);
    p = AppendValues(p, seed, r.serial);
    *p++ = '\n';
    out.Advance(p);
  }
  return out.Close();
}

struct SpineCounts {
  uint64_t unknown = 0, at_event = 0, at_ttl = 0, past_ttl = 0;
};

// The spine, drawn from `rows` in entity order (before the shuffle).
int64_t WriteSpine(const std::string& path, uint64_t seed, const std::vector<Row>& rows,
                   uint32_t entities, uint32_t events, uint64_t spine,
                   SpineCounts* counts) {
  Output out(path);
  out.Write("customer_id,event_timestamp,label\n");
  uint64_t state = seed ^ 0x7370696e65000000;  // "spine"
  constexpr int64_t kSpineFirst = kStart - kDay;
  constexpr int64_t kSpineSpan = kEventSpan + 2 * kDay + 1;  // both ends inclusive
  for (uint64_t n = 0; n < spine; ++n) {
    int64_t id, t;
    const uint64_t kind = Below(&state, 1000);
    if (kind < 50) {  // 5%: an entity with no rows
      id = entities + static_cast<int64_t>(Below(&state, entities));
      t = kSpineFirst + static_cast<int64_t>(Below(&state, kSpineSpan));
      ++counts->unknown;
    } else {
      const uint32_t e = static_cast<uint32_t>(Below(&state, entities));
      id = e;
      const Row* const r = rows.data() + static_cast<size_t>(e) * events;
      if (kind < 60) {  // 1%: exactly the time of one of the entity's events
        t = kStart + r[Below(&state, events)].event_offset;
        ++counts->at_event;
      } else if (kind < 75) {
        // 1%: the entity's last event + TTL, where that row is the newest and exactly
        // at the TTL boundary (inside); 0.5%: one second later (outside: empty).
        uint32_t last = 0;
        for (uint32_t i = 0; i < events; ++i) last = std::max(last, r[i].event_offset);
        t = kStart + last + kTtl;
        if (kind < 70) {
          ++counts->at_ttl;
        } else {
          t += 1;
          ++counts->past_ttl;
        }
      } else {
        t = kSpineFirst + static_cast<int64_t>(Below(&state, kSpineSpan));
      }
    }
    char* p = out.Cursor();
    p = AppendInt(p, id);
    *p++ = ',';
    p = AppendInt(p, t);
    *p++ = ',';
    *p++ = static_cast<char>('0' + (SplitMix64(&state) >> 63));
    *p++ = '\n';
    out.Advance(p);
  }
  return out.Close();
}

int64_t WriteDefinitions(const std::string& path) {
  Output out(path);
  out.Write(
      "entities:\n"
      "  - name: customer\n"
      "    join_keys:\n"
      "      - {name: customer_id, type: int64}\n"
      "feature_views:\n"
      "  - name: customer_stats\n"
      "    entities: [customer]\n"
      "    ttl: 30d\n"
      "    features:\n"
      "      - {name: f1, type: double}\n"
      "      - {name: f2, type: double}\n"
      "      - {name: f3, type: double}\n"
      "      - {name: f4, type: double}\n"
      "      - {name: f5, type: double}\n");
  return out.Close();
}

bool ParseCount(const char* s, uint64_t max, uint64_t* v) {
  const char* end = s + std::strlen(s);
  int base = 10;
  if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s += 2;
    base = 16;
  }
  const auto [ptr, ec] = std::from_chars(s, end, *v, base);
  return ec == std::errc() && ptr == end && *v <= max;
}

int Usage() {
  std::fprintf(stderr,
               "usage: gen_features OUT_DIR [--entities 100000] [--events 100] "
               "[--spine 1000000] [--seed N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  uint64_t entities = 100'000, events = 100, spine = 1'000'000, seed = kDefaultSeed;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    uint64_t* target = nullptr;
    uint64_t max = 0;
    if (arg == "--entities") {
      target = &entities, max = 1'000'000'000;
    } else if (arg == "--events") {
      target = &events, max = 4096;  // a row's index within its entity takes 12 bits
    } else if (arg == "--spine") {
      target = &spine, max = uint64_t{1} << 40;
    } else if (arg == "--seed") {
      target = &seed, max = UINT64_MAX;
    } else if (!arg.starts_with("-") && dir.empty()) {
      dir = arg;
      continue;
    } else {
      return Usage();
    }
    if (i + 1 >= argc || !ParseCount(argv[++i], max, target)) {
      std::fprintf(stderr, "gen_features: bad value for %s\n", argv[i - 1]);
      return Usage();
    }
  }
  if (dir.empty() || entities == 0 || events == 0 || entities * events > UINT32_MAX) {
    return Usage();
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "gen_features: cannot create %s: %s\n", dir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  const auto path = [&](const char* name) {
    return (std::filesystem::path(dir) / name).string();
  };

  uint64_t ties = 0;
  std::vector<Row> rows = MakeRows(seed, static_cast<uint32_t>(entities),
                                   static_cast<uint32_t>(events), &ties);
  SpineCounts counts;
  const int64_t spine_bytes =
      WriteSpine(path("spine.csv"), seed, rows, static_cast<uint32_t>(entities),
                 static_cast<uint32_t>(events), spine, &counts);
  // Fisher-Yates with the same generator: the file's row order is random.
  uint64_t state = seed ^ 0x73687566666c6500;  // "shuffle"
  for (size_t i = rows.size() - 1; i > 0; --i) {
    std::swap(rows[i], rows[Below(&state, i + 1)]);
  }
  const int64_t feature_bytes = WriteFeatures(path("features.csv"), seed, rows);
  const int64_t yaml_bytes = WriteDefinitions(path("features.yaml"));
  if (spine_bytes < 0 || feature_bytes < 0 || yaml_bytes < 0) return 1;

  std::printf(
      "%s %zu rows (%llu entities x %llu events, %llu ties) %lld bytes\n",
      path("features.csv").c_str(), rows.size(),
      static_cast<unsigned long long>(entities), static_cast<unsigned long long>(events),
      static_cast<unsigned long long>(ties), static_cast<long long>(feature_bytes));
  std::printf(
      "%s %llu rows (%llu unknown entities; %llu at an event, %llu at last event + TTL, "
      "%llu at last event + TTL + 1 s) %lld bytes\n",
      path("spine.csv").c_str(), static_cast<unsigned long long>(spine),
      static_cast<unsigned long long>(counts.unknown),
      static_cast<unsigned long long>(counts.at_event),
      static_cast<unsigned long long>(counts.at_ttl),
      static_cast<unsigned long long>(counts.past_ttl),
      static_cast<long long>(spine_bytes));
  std::printf("%s %lld bytes\n", path("features.yaml").c_str(),
              static_cast<long long>(yaml_bytes));
  return 0;
}
