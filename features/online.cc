// Online lookup: one batched lookup per view in the online table (OnlineTable), with
// the online cache in front of it.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/feature_store.h"
#include "features/impl.h"
#include "store/render.h"
#include "store/json_writer.h"
#include "store/status_macros.h"

namespace strata::features {

absl::Status EntityKeys(const ResolvedView& view, EntityColumns& entities,
                        std::vector<std::string>* keys) {
  const size_t n = entities.empty() ? 0 : entities.front().second.size();
  std::vector<std::vector<Value>*> key_columns;
  for (size_t k = 0; k < view.join_key_names.size(); ++k) {
    std::vector<Value>* column = nullptr;
    for (auto& [name, vals] : entities) {
      if (name == view.join_key_names[k]) column = &vals;
    }
    if (column == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("no values for join key ", view.join_key_names[k],
                       " of feature view ", view.def.name()));
    }
    key_columns.push_back(column);
  }
  const std::string prefix = view.Prefix();
  keys->resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::string& key = (*keys)[i];
    key = prefix;
    for (size_t k = 0; k < key_columns.size(); ++k) {
      Value& v = (*key_columns[k])[i];
      if (view.join_key_types[k] == VALUE_TYPE_INT64 &&
          std::holds_alternative<std::string>(v)) {
        // A string holding an int64, by the rules of files (docs/features.md).
        auto parsed =
            ParseValue(std::get<std::string>(v), VALUE_TYPE_INT64, TimeUnit::kSeconds);
        if (!parsed.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("join key ", view.join_key_names[k], " value ", i + 1, ": ",
                           parsed.status().message()));
        }
        v = *parsed;
      }
      const bool ok = view.join_key_types[k] == VALUE_TYPE_INT64
                          ? std::holds_alternative<int64_t>(v)
                          : std::holds_alternative<std::string>(v);
      if (!ok) {
        return absl::InvalidArgumentError(absl::StrCat(
            "join key ", view.join_key_names[k], " value ", i + 1, " is not ",
            view.join_key_types[k] == VALUE_TYPE_INT64 ? "an int64" : "a string"));
      }
      codec::AppendEntityPart(&key, v);
    }
  }
  return absl::OkStatus();
}

namespace {

// The requested features of one view, in the order of the request.
struct ViewRequest {
  std::shared_ptr<const ResolvedView> view;
  std::vector<uint32_t> columns;  // the column id of each
  std::vector<size_t> outputs;    // the place of each in the result
  std::vector<bool> requested;    // by feature index
};

// The number of entities: every join key column's length.
// Errors: InvalidArgument when they differ or there are none.
absl::StatusOr<size_t> EntityCount(const EntityColumns& entities) {
  if (entities.empty()) return absl::InvalidArgumentError("no entities given");
  const size_t n = entities.front().second.size();
  for (const auto& [name, values] : entities) {
    if (values.size() != n) {
      return absl::InvalidArgumentError(absl::StrCat("join key ", name, " has ",
                                                     Count(values.size(), "value"), ", but ",
                                                     entities.front().first, " has ", n));
    }
  }
  return n;
}

// `features` grouped by view, in order of first appearance; sets each feature's
// type and an empty column of `n` values in `result`.
// Errors: NotFound for an unknown view or feature; InvalidArgument for a malformed
// or repeated feature.
absl::StatusOr<std::vector<ViewRequest>> GroupByView(const FeatureStore::Impl& impl,
                                                     const std::vector<std::string>& features,
                                                     size_t n, OnlineResult* result) {
  std::vector<ViewRequest> groups;
  for (size_t f = 0; f < features.size(); ++f) {
    ASSIGN_OR_RETURN(auto parts, SplitFeatureRefView(features[f]));
    ViewRequest* g = nullptr;
    for (auto& existing : groups) {
      if (existing.view->def.name() == parts.first) g = &existing;
    }
    if (g == nullptr) {
      ASSIGN_OR_RETURN(auto view, impl.View(std::string(parts.first), 0));
      g = &groups.emplace_back();
      g->view = std::move(view);
    }
    const int index = g->view->FeatureIndex(parts.second);
    if (index < 0) {
      return absl::NotFoundError(
          absl::StrCat("feature view ", parts.first, " has no feature ", parts.second));
    }
    if (g->requested.size() <= static_cast<size_t>(index)) {
      g->requested.resize(g->view->def.features_size());
    }
    if (g->requested[index]) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature ", features[f], " is requested twice"));
    }
    g->requested[index] = true;
    g->columns.push_back(g->view->feature_columns[index]);
    g->outputs.push_back(f);
    result->types[f] = g->view->def.features(index).type();
    result->values.emplace_back(result->types[f], n);
  }
  return groups;
}

// Decodes the online rows of one view's entities into the result's columns.
class RowDecoder {
 public:
  RowDecoder(const ViewRequest& request, Micros now, OnlineResult* result)
      : request_(request),
        view_(*request.view),
        now_(now),
        ttl_(view_.def.ttl_seconds() * 1000000),
        slots_(codec::ColumnSlots(request.columns, view_.column_types.size())),
        width_(view_.column_types.size()) {
    for (size_t out : request.outputs) columns_.push_back(&result->values[out]);
    // Rows of a view whose columns are all 8 bytes wide are usually dense: every
    // column, in id order, as AppendRow writes a row without nulls.
    dense_ = width_ < 128;
    for (ValueType t : view_.column_types) {
      dense_ = dense_ && (t == VALUE_TYPE_INT64 || t == VALUE_TYPE_DOUBLE ||
                          t == VALUE_TYPE_TIMESTAMP);
    }
  }

  // Entity `i`'s online row `value`. Errors: DataLoss for a malformed row.
  absl::Status Decode(size_t i, absl::string_view value) const {
    if (value.size() < codec::kOnlineHeaderBytes) {
      return absl::DataLossError("malformed online row");
    }
    const codec::RowStamp h = codec::DecodeOnlineHeader(value);
    const bool stale = ttl_ > 0 && h.event < now_ - ttl_;
    const FeatureStatus status =
        stale ? FeatureStatus::kOutsideMaxAge : FeatureStatus::kNullValue;
    for (OnlineColumn* column : columns_) column->SetFound(i, status, h.event);
    if (stale) return absl::OkStatus();  // the values are withheld
    const absl::string_view row = value.substr(codec::kOnlineHeaderBytes);
    const std::vector<uint32_t>& wanted = request_.columns;
    if (dense_ && row.size() == 1 + 9 * width_ && static_cast<uint8_t>(row[0]) == width_) {
      // Every entry is 9 bytes, at a known place: read the wanted ones directly,
      // checking each one's column id.
      size_t c = 0;
      for (; c < wanted.size(); ++c) {
        const char* p = row.data() + 1 + 9 * wanted[c];
        if (static_cast<uint8_t>(*p) != wanted[c]) break;
        uint64_t bits;
        std::memcpy(&bits, p + 1, 8);
        columns_[c]->SetNumber(i, codec::LittleEndian64(bits));
      }
      if (c == wanted.size()) return absl::OkStatus();
    }
    return codec::VisitRow(row, slots_, view_.column_types, [&](int slot, auto&& v) {
      columns_[slot]->SetValue(i, std::forward<decltype(v)>(v));
    });
  }

 private:
  const ViewRequest& request_;
  const ResolvedView& view_;
  const Micros now_, ttl_;
  const std::vector<int> slots_;  // by column id
  std::vector<OnlineColumn*> columns_;  // by slot
  const size_t width_;
  bool dense_;
};

// Decodes the rows of `keys` with `decoder`: those in `cache` (when there is one)
// from it, the rest with one lookup of `table`, whose findings are then cached.
absl::Status ReadRows(const OnlineTable& table, OnlineCache* cache,
                      const std::vector<std::string>& keys, const RowDecoder& decoder) {
  const auto decode = [&](size_t i, absl::string_view value) {
    return decoder.Decode(i, value);
  };
  if (cache == nullptr) {
    const std::vector<absl::string_view> all(keys.begin(), keys.end());
    return table.Lookup(all, decode);
  }
  std::vector<OnlineCache::Found> lookups;
  std::string cached_rows;
  cache->FindMany(keys, &cached_rows, &lookups);
  std::vector<size_t> misses;
  std::vector<absl::string_view> miss_keys;
  for (size_t i = 0; i < keys.size(); ++i) {
    const OnlineCache::Found& hit = lookups[i];
    if (!hit.hit) {
      misses.push_back(i);
      miss_keys.push_back(keys[i]);
    } else if (hit.present) {
      RETURN_IF_ERROR(
          decoder.Decode(i, absl::string_view(cached_rows).substr(hit.offset, hit.size)));
    }
  }
  if (misses.empty()) return absl::OkStatus();
  std::vector<bool> found(misses.size(), false);
  RETURN_IF_ERROR(table.Lookup(miss_keys, [&](size_t m, absl::string_view value) {
    const size_t i = misses[m];
    found[m] = true;
    cache->Insert(keys[i], OnlineCache::MakeRow(value), lookups[i].generation);
    return decoder.Decode(i, value);
  }));
  for (size_t m = 0; m < misses.size(); ++m) {
    if (!found[m]) cache->Insert(keys[misses[m]], OnlineCache::Row(), lookups[misses[m]].generation);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<OnlineResult> FeatureStore::Online(
    const std::vector<std::string>& features, const EntityColumns& entities,
    Micros now) const {
  if (features.empty()) return absl::InvalidArgumentError("no features requested");
  ASSIGN_OR_RETURN(const size_t n, EntityCount(entities));
  OnlineResult result;
  result.entities = entities;
  result.features = features;
  result.types.resize(features.size());
  result.values.reserve(features.size());
  ASSIGN_OR_RETURN(const std::vector<ViewRequest> groups,
                   GroupByView(*impl_, features, n, &result));
  std::vector<std::string> keys(n);
  for (const ViewRequest& g : groups) {
    RETURN_IF_ERROR(EntityKeys(*g.view, result.entities, &keys));
    if (g.view->id == 0) continue;  // nothing ingested: every entity NOT_FOUND
    const RowDecoder decoder(g, now, &result);
    RETURN_IF_ERROR(ReadRows(*impl_->online, impl_->online_cache.get(), keys, decoder));
  }
  return result;
}

absl::Status FeatureStore::Impl::WriteOnline(const OnlineWrite& write, Change change,
                                             OnlineTable::StoreRecords records) {
  RETURN_IF_ERROR(online->Write(write, std::move(change), records));
  if (online_cache == nullptr) return absl::OkStatus();
  for (const auto& [key, value] : write.upserts) {
    online_cache->Update(key, value, kOnlineVersionBytes);
  }
  // Replaced or removed whatever their age: the next reader reads the table.
  for (const auto& row : write.puts) online_cache->Erase(row.first);
  for (const std::string& key : write.deletes) online_cache->Erase(key);
  return absl::OkStatus();
}

OnlineCacheStats FeatureStore::online_cache_stats() const {
  const OnlineCache* cache = impl_->online_cache.get();
  if (cache == nullptr) return {};
  const OnlineCache::Stats stats = cache->stats();
  return {.hits = stats.hits, .misses = stats.misses};
}

namespace {

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Writes v's decimal digits to end at `end`, two at a time; returns the first.
char* DigitsBefore(uint64_t v, char* end) {
  for (; v >= 100; v /= 100) {
    end -= 2;
    std::memcpy(end, kDigitPairs + 2 * (v % 100), 2);
  }
  if (v >= 10) {
    end -= 2;
    std::memcpy(end, kDigitPairs + 2 * v, 2);
  } else {
    *--end = static_cast<char>('0' + v);
  }
  return end;
}

// Length of the exponent form of a number of `significant` digits: 1e+06, 1.25e-05.
int ExponentFormSize(int significant) { return significant + (significant > 1) + 4; }

// Writes `d` as std::to_chars(d) would (the shortest text that reads back as `d`,
// fixed or exponent form, whichever is shorter; fixed on a tie) when `d` is a decimal
// of at most 6 fraction digits and |d| < 4e9, and returns the end; else returns
// nullptr. Such decimals (prices, rates, counts) are most doubles of an online
// response, and this takes a third of the time of to_chars. Below 4e9 a double's
// rounding interval is narrower than 10^-6, so the decimal is its only shortest text.
char* ShortDecimal(double d, char* out) {
  const double scaled = d * 1e6;
  if (!(std::fabs(scaled) < 4e15) || d == 0) return nullptr;  // -0 and NaN to to_chars
  const int64_t k = static_cast<int64_t>(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
  // Division is correctly rounded, as strtod is: k / 10^6 reads back as d.
  if (static_cast<double>(k) / 1e6 != d) return nullptr;
  const uint64_t m = k < 0 ? 0 - static_cast<uint64_t>(k) : static_cast<uint64_t>(k);
  const uint64_t whole = m / 1000000;
  uint64_t fraction = m % 1000000;
  char buf[24];
  char* const end = buf + sizeof(buf);
  const char* first;    // of the text in buf
  if (fraction == 0) {  // 1250; but 1e+06
    first = DigitsBefore(whole, end);
    const int n = static_cast<int>(end - first);
    int zeros = 0;
    while (zeros < n - 1 && end[-1 - zeros] == '0') ++zeros;
    if (ExponentFormSize(n - zeros) < n) return nullptr;
  } else {
    int places = 6;
    for (const auto& [divisor, digits] : {std::pair{1000, 3}, {100, 2}, {10, 1}}) {
      if (fraction % divisor == 0) {
        fraction /= divisor;
        places -= digits;
      }
    }
    char* const point = end - places - 1;
    char* const digits = DigitsBefore(fraction, end);
    std::fill(point + 1, digits, '0');
    *point = '.';
    if (whole == 0) {  // 0.0125; but 1.25e-05
      if (ExponentFormSize(static_cast<int>(end - digits)) < 2 + places) return nullptr;
      first = point - 1;
      *(point - 1) = '0';
    } else {  // 12.5
      first = DigitsBefore(whole, point);
    }
  }
  if (k < 0) *out++ = '-';
  return std::copy(first, static_cast<const char*>(end), out);
}

// JSON text written through a pointer into this thread's buffer, which is reused and
// only grows (but for a rare huge answer): a batch of 100 x 50 doubles is ~15,000
// short pieces (values, statuses, event times), each a bounds check and a copy of a
// fixed size here rather than a std::string append. One per thread at a time.
class JsonText {
 public:
  // The text of the thread's previous JsonText ends here.
  JsonText() : buffer_(ThreadBuffer()) {
    if (buffer_.size() > (8 << 20)) std::string(64 << 10, '\0').swap(buffer_);
  }
  JsonText(const JsonText&) = delete;
  JsonText& operator=(const JsonText&) = delete;

  // Where the next `n` bytes go; Advance past those written.
  char* Room(size_t n) {
    if (buffer_.size() - size_ < n) {
      buffer_.resize(std::max(2 * buffer_.size(), size_ + n));
    }
    return buffer_.data() + size_;
  }
  void Advance(const char* end) { size_ = static_cast<size_t>(end - buffer_.data()); }
  void Append(absl::string_view s) {
    std::memcpy(Room(s.size()), s.data(), s.size());
    size_ += s.size();
  }
  // Appends a copy of the `n` bytes written from offset `at`.
  void AppendOwn(size_t at, size_t n) {
    char* p = Room(n);  // may move the buffer: the source is taken after
    std::memcpy(p, buffer_.data() + at, n);
    size_ += n;
  }
  size_t size() const { return size_; }
  // The text, valid until the thread's next JsonText.
  absl::string_view view() const { return absl::string_view(buffer_.data(), size_); }

 private:
  static std::string& ThreadBuffer() {
    thread_local std::string buffer(64 << 10, '\0');
    return buffer;
  }
  std::string& buffer_;
  size_t size_ = 0;
};

// A quoted status or time, copied as kSize bytes (the rest is padding) so that the copy
// is a few moves. FormatTimestamp's text is at most 30 characters.
struct Snippet {
  static constexpr size_t kSize = 40;
  explicit Snippet(absl::string_view text = "") { Set(text); }
  void Set(absl::string_view text) {
    size = std::min(text.size(), kSize);
    std::memcpy(bytes, text.data(), size);
  }
  char* CopyTo(char* p) const {
    std::memcpy(p, bytes, kSize);
    return p + size;
  }
  char bytes[kSize] = {};
  size_t size = 0;
};

template <size_t N>
char* Copy(char* p, const char (&literal)[N]) {
  std::memcpy(p, literal, N - 1);
  return p + N - 1;
}

constexpr size_t kNumberRoom = 32;  // the longest number, and a comma

// Writes `d` at `p` (kNumberRoom bytes) and returns the end: the shortest text that
// reads back as the same double; JSON has no NaN.
char* WriteDouble(double d, char* p) {
  if (char* end = ShortDecimal(d, p); end != nullptr) return end;
  if (std::isfinite(d)) return std::to_chars(p, p + kNumberRoom, d).ptr;
  return Copy(p, "null");
}

// Writes a number, bool or null value at `p` (kNumberRoom bytes) and returns the end.
char* WriteNumber(const Value& v, char* p) {
  if (const auto* d = std::get_if<double>(&v)) return WriteDouble(*d, p);
  if (const auto* i = std::get_if<int64_t>(&v)) {
    return std::to_chars(p, p + kNumberRoom, *i).ptr;
  }
  if (const auto* b = std::get_if<bool>(&v))
    return *b ? Copy(p, "true") : Copy(p, "false");
  return Copy(p, "null");
}

// Writes a present value of a number `type` column (OnlineColumn::number_bits) at
// `p` (kNumberRoom bytes) and returns the end.
char* WriteNumberBits(ValueType type, uint64_t bits, char* p) {
  if (type == VALUE_TYPE_DOUBLE) {
    double d;
    std::memcpy(&d, &bits, 8);
    return WriteDouble(d, p);
  }
  if (type == VALUE_TYPE_BOOL) return bits != 0 ? Copy(p, "true") : Copy(p, "false");
  return std::to_chars(p, p + kNumberRoom, static_cast<int64_t>(bits)).ptr;
}

bool SameStatuses(const OnlineColumn& a, const OnlineColumn& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a.status(i) != b.status(i)) return false;
  }
  return true;
}

bool SameEventTimes(const OnlineColumn& a, const OnlineColumn& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a.event_time(i) != b.event_time(i)) return false;
  }
  return true;
}

// Where a JSON array's text was written: its offset and length.
struct Written {
  size_t at = 0, size = 0;
};

// A string, bytes (base64) or timestamp (RFC 3339) value, quoted.
std::string QuotedText(const Value& v, ValueType type) {
  std::string text;
  AppendValueText(v, type, &text);
  return JsonWriter::Quote(text);
}

bool IsNumber(ValueType type) {
  return type == VALUE_TYPE_INT64 || type == VALUE_TYPE_DOUBLE || type == VALUE_TYPE_BOOL;
}

// A join key column's values: integers through the pointer, strings quoted.
void WriteValues(const std::vector<Value>& values, JsonText& text) {
  for (size_t i = 0; i < values.size(); ++i) {
    const Value& v = values[i];
    if (std::holds_alternative<std::string>(v)) {
      if (i > 0) text.Append(",");
      text.Append(JsonWriter::Quote(std::get<std::string>(v)));
      continue;
    }
    char* p = text.Room(kNumberRoom + 1);
    if (i > 0) *p++ = ',';
    text.Advance(WriteNumber(v, p));
  }
}

// n copies of `snippet`, comma separated.
void WriteRepeated(const Snippet& snippet, size_t n, JsonText& text) {
  for (size_t i = 0; i < n; ++i) {
    char* p = text.Room(Snippet::kSize + 1);
    if (i > 0) *p++ = ',';
    text.Advance(snippet.CopyTo(p));
  }
}

}  // namespace

std::string OnlineResponseJson(const OnlineResult& result, bool full_names) {
  return std::string(OnlineResponseJsonView(result, full_names));
}

absl::string_view OnlineResponseJsonView(const OnlineResult& result, bool full_names) {
  const size_t n = result.entities.empty() ? 0 : result.entities.front().second.size();
  JsonText text;
  text.Append("{\"metadata\":{\"feature_names\":[");
  bool first = true;
  for (const auto& [name, values] : result.entities) {
    if (!first) text.Append(",");
    first = false;
    text.Append(JsonWriter::Quote(name));
  }
  for (const std::string& f : result.features) {
    if (!first) text.Append(",");
    first = false;
    const size_t colon = f.find(':');
    text.Append(JsonWriter::Quote(full_names
                                      ? f.substr(0, colon) + "__" + f.substr(colon + 1)
                                      : f.substr(colon + 1)));
  }
  text.Append("]},\"results\":[");
  const Snippet epoch(absl::StrCat("\"", FormatTimestamp(0), "\""));
  Snippet statuses[4];
  for (const FeatureStatus s :
       {FeatureStatus::kPresent, FeatureStatus::kNotFound, FeatureStatus::kNullValue,
        FeatureStatus::kOutsideMaxAge}) {
    statuses[static_cast<int>(s)].Set(JsonWriter::Quote(FeatureStatusName(s)));
  }
  first = true;
  for (const auto& [name, values] : result.entities) {
    if (!first) text.Append(",");
    first = false;
    text.Append("{\"values\":[");
    WriteValues(values, text);
    text.Append("],\"statuses\":[");
    WriteRepeated(statuses[static_cast<int>(FeatureStatus::kPresent)], values.size(),
                  text);
    text.Append("],\"event_timestamps\":[");
    WriteRepeated(epoch, values.size(), text);
    text.Append("]}");
  }
  // Each entity's event time, quoted; features of one view share it.
  std::vector<std::pair<Micros, Snippet>> times(n);
  // The previous column's statuses and event times as written: the next column
  // copies them when they are the same (features of one view share their rows).
  Written last_statuses, last_times;
  for (size_t f = 0; f < result.features.size(); ++f) {
    if (!first) text.Append(",");
    first = false;
    const OnlineColumn& column = result.values[f];
    const OnlineColumn* previous = f > 0 ? &result.values[f - 1] : nullptr;
    const ValueType type = result.types[f];
    text.Append("{\"values\":[");
    for (size_t i = 0; i < column.size(); ++i) {
      const bool present = column.status(i) == FeatureStatus::kPresent;
      if (present && !IsNumber(type)) {
        if (i > 0) text.Append(",");
        text.Append(QuotedText(column[i].value, type));
        continue;
      }
      char* p = text.Room(kNumberRoom + 1);
      if (i > 0) *p++ = ',';
      text.Advance(present ? WriteNumberBits(type, column.number_bits(i), p)
                           : Copy(p, "null"));
    }
    text.Append("],\"statuses\":[");
    if (previous != nullptr && SameStatuses(column, *previous)) {
      const Written same = last_statuses;
      last_statuses.at = text.size();
      text.AppendOwn(same.at, same.size);
    } else {
      last_statuses.at = text.size();
      for (size_t i = 0; i < column.size(); ++i) {
        char* p = text.Room(Snippet::kSize + 1);
        if (i > 0) *p++ = ',';
        text.Advance(statuses[static_cast<int>(column.status(i))].CopyTo(p));
      }
      last_statuses.size = text.size() - last_statuses.at;
    }
    text.Append("],\"event_timestamps\":[");
    if (previous != nullptr && SameEventTimes(column, *previous)) {
      const Written same = last_times;
      last_times.at = text.size();
      text.AppendOwn(same.at, same.size);
      text.Append("]}");
      continue;
    }
    last_times.at = text.size();
    for (size_t i = 0; i < column.size(); ++i) {
      char* p = text.Room(Snippet::kSize + 1);
      if (i > 0) *p++ = ',';
      const std::optional<Micros> t = column.event_time(i);
      if (!t.has_value()) {
        text.Advance(epoch.CopyTo(p));
        continue;
      }
      auto& [cached_time, quoted] = times[i];
      if (quoted.size == 0 || cached_time != *t) {
        cached_time = *t;
        quoted.Set(absl::StrCat("\"", FormatTimestamp(*t), "\""));  // no escapes
      }
      text.Advance(quoted.CopyTo(p));
    }
    last_times.size = text.size() - last_times.at;
    text.Append("]}");
  }
  text.Append("]}");
  return text.view();
}

}  // namespace strata::features
