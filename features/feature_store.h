// FeatureStore: ingestion into the bitemporal offline log, point-in-time (historical)
// retrieval, reproduction of saved training sets, and online lookup.
//
//   FeatureStore fs(store.get());
//   fs.Ingest("customer_stats", "events.csv", {.creator = "ana"});
//   HistoricalRequest req{.features = {"customer_stats:spend_7d"}};
//   fs.Historical(req, *spine, *out);
//   fs.Online({"customer_stats:spend_7d"}, {{"customer_id", {Value(int64_t{42})}}}, now);
//
// Every row of the offline log carries its event time (when it was true), its
// created time (when its producer says it was known) and the ingest that brought it
// (when this store received it). docs/features.md has the exact semantics.
#ifndef STRATA_FEATURES_FEATURE_STORE_H_
#define STRATA_FEATURES_FEATURE_STORE_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/features.pb.h"
#include "features/historical_output.h"
#include "features/registry.h"
#include "features/values.h"
#include "store/io.h"
#include "store/store.h"

namespace strata::features {

enum class InputFormat { kAuto, kCsv, kJsonLines };

class IngestObserver;  // features/ingest_observer.h

struct IngestOptions {
  // kAuto: JSON lines for *.jsonl, *.ndjson, *.json and for input starting with '{',
  // else CSV with a header row.
  InputFormat format = InputFormat::kAuto;
  // Unit of integer timestamps; default: the view's timestamp_unit, else seconds.
  std::optional<TimeUnit> timestamp_unit;
  // The dataset artifact the file is stored as; default "<view>-ingest". With
  // it, only that dataset's versions are candidates for a file's content (below).
  // Refused with a stored source (a dataset version is not stored again).
  std::string dataset;
  // Further lineage inputs of the ingest ("KIND/NAME[@REF]"), besides its source:
  // each is resolved to KIND/NAME@N before anything is written and gets a `fed`
  // edge to the view version, as the source does.
  std::vector<std::string> inputs;
  Actor creator;  // of the dataset version and the ingest record
  std::string message;
  // Rows at or above which the log is written as SST files and ingested (RocksDB's
  // bulk path) rather than through the write-ahead log.
  uint64_t bulk_threshold_rows = 100000;
  // Bytes of the file parsed (and sorted) as one unit on a worker thread; the
  // sorted units are merged as they are written. Default 8 MiB.
  size_t parse_block_bytes = 8 << 20;
  // Longest CSV record or JSON line, 1 byte to 1 GiB: a longer one (a file without
  // line breaks) is refused with ResourceExhausted at "FILE:LINE", and bounds the
  // parse's memory whatever the input. Default 16 MiB (kDefaultMaxRecordBytes).
  size_t max_record_bytes = size_t{16} << 20;
  // Packed row bytes after which an entity's rows start a new chunk of the offline
  // log. A retrieval reads an entity's chunks whole, a chunk key per entity and
  // ingest rather than per row. Default 16 KiB (a few hundred rows).
  size_t log_chunk_bytes = 16 << 10;
  // Called with bytes parsed so far (from one thread at a time).
  std::function<void(uint64_t)> progress;
  // What errors call the input ("body:3: ..."); default: the path ("<stdin>" for
  // "-"; "dataset/NAME@N" for a stored source).
  std::string source_name;
  // Whether each entity's newest row also goes to the online table. Default true;
  // false appends to the offline log only (Feast's push to "offline").
  bool update_online = true;
  // What sees this ingest's rows as they are parsed (statistics, validation rules):
  // each may fail the ingest or drop rows before anything is written
  // (features/ingest_observer.h). Not owned; each must outlive the call. Default
  // none: an ingest without observers keeps no typed copy of its rows. Observers
  // are given per ingest rather than per store because each holds one ingest's
  // state (a profile, the violations found) for the caller that asked for it.
  std::vector<IngestObserver*> observers;
  // Whether the store's own observers (FeatureStoreOptions::ingest_observers: the
  // ingest's profile) see this ingest. Default true; false for a read that never
  // commits (`strata validate`), which would compute a profile for nothing.
  bool store_observers = true;
};

// How an ingest's dataset version came to hold its rows.
enum class IngestSource : uint8_t {
  kStored,       // the file, stored as the next version of IngestOptions::dataset
  kSameContent,  // the file's content is that of this existing version: not stored
  kRead,         // the source was this stored version, read from the store
};
// "stored", "same_content", "read".
absl::string_view IngestSourceName(IngestSource source);

// One value breaking a validation rule (docs/quality.md, "Validation rules").
struct RuleViolation {
  std::string source;  // the input, as errors name it ("events.csv")
  uint64_t line = 0;   // its source line, from 1
  std::string column;  // the feature
  std::string value;   // as text, cut and quoted by Excerpt; empty for null
  std::string rule;    // "min 0", "allowed", "pattern ^[a-z]+$", "not_null"

  // "events.csv:12: column spend: value \"-5\" breaks min 0"
  std::string Text() const;
};

// What the view's validation rules found in an ingest or a push.
struct RulesOutcome {
  std::string on_invalid;     // "reject", "drop", "warn"; empty: the view has no rules
  uint64_t invalid_rows = 0;  // rows breaking at least one rule
  uint64_t violations = 0;    // values breaking a rule
  std::vector<RuleViolation> examples;  // the first ones, at most 10
  // Batch rules broken (max_null_fraction), as sentences; under warn only.
  std::vector<std::string> batch;
  // on_invalid drop: "dataset/NAME@N" holding the dropped rows; empty if none.
  std::string quarantine;
};

struct IngestResult {
  uint64_t ingest = 0;   // this ingest's sequence number
  uint64_t rows = 0;     // rows in the file (less those dropped)
  uint64_t written = 0;  // rows written: in-file duplicates count once
  // Rows written that another row of this ingest hides from every reader (same
  // entity and event time, a later created time): not rows in force.
  uint64_t shadowed = 0;
  uint64_t dropped = 0;      // rows observers dropped (IngestBlock::Drop): not in rows
  std::string view_version;  // "featureview/NAME@N" the rows were checked against
  std::string dataset;       // "dataset/NAME@N" holding the file
  IngestSource source = IngestSource::kStored;
  // kSameContent: live dataset versions with that content (the newest is used).
  uint64_t same_content = 0;
  std::vector<std::string> inputs;  // IngestOptions::inputs, as "KIND/NAME@N", sorted
  Micros min_event = 0, max_event = 0;
  bool bulk = false;
  RulesOutcome rules;  // the view's validation rules (features/rules.h)
};

// Whether an ingest's `source` names a stored dataset version rather than a file:
// text starting "dataset/" is a reference (a file in a folder named dataset:
// "./dataset/x.csv"), as a historical spine is. Returns nullopt for a file.
// Errors: InvalidArgument for a malformed reference, and for one of another kind
// ("model/x": ingest reads files and datasets).
absl::StatusOr<std::optional<Ref>> StoredIngestSource(absl::string_view source);

// What the store had received at some moment: ingests numbered at most `position`,
// except those in `pending` (started before and committed after that moment).
struct IngestPosition {
  uint64_t position = 0;
  std::vector<uint64_t> pending;

  // Whether `ingest`'s rows are visible at this position: committed by then.
  bool Includes(uint64_t ingest) const {
    return ingest <= position &&
           std::find(pending.begin(), pending.end(), ingest) == pending.end();
  }
};

struct HistoricalRequest {
  std::vector<std::string> features;  // "view:feature"
  // Hide rows whose created time is after this (what was known then).
  std::optional<Micros> as_of;
  // Hide, per spine row, rows created after the row's timestamp.
  bool created_cutoff = false;
  // Name output columns "view__feature" instead of "feature".
  bool full_names = false;
  // Unit of integer timestamps in the spine; default seconds.
  TimeUnit timestamp_unit = TimeUnit::kSeconds;
  // What errors call the spine ("spine.csv:12: ...").
  std::string spine_name = "spine";
  // Most spine rows; more: ResourceExhausted, once the block that passes the limit
  // is read (before its rows are looked up). Default 0: no limit.
  uint64_t max_spine_rows = 0;
  // Longest spine record, 1 byte to 1 GiB: a longer one (a file without line
  // breaks) is refused with ResourceExhausted at "SPINE:LINE". Default 16 MiB.
  size_t max_record_bytes = size_t{16} << 20;
  // Bytes of the spine read and joined as one unit. Default 32 MiB; tests make it
  // small to cross block boundaries.
  size_t spine_block_bytes = size_t{32} << 20;
  // Pinned by Reproduce: view versions (default: latest) and the ingest position
  // (default: now).
  std::map<std::string, uint64_t> view_versions;
  std::optional<IngestPosition> at;
  // The format of the result Historical writes (a saved result is stored as CSV
  // whatever this says); default CSV.
  ResultFormat format = ResultFormat::kCsv;
};

struct HistoricalResult {
  uint64_t rows = 0;                              // spine rows
  uint64_t matched = 0;                           // (row, view) pairs that found a row
  std::map<std::string, uint64_t> view_versions;  // the versions used
  IngestPosition at;                              // what was visible
  // Per view, the earliest event time of the log the answers depend on: the oldest
  // row found or, for a spine row that found none, the start of its TTL window
  // (INT64_MIN with TTL 0: every older row could have been its answer); INT64_MAX
  // for an empty spine. A trim must leave the rows from here on for the result to
  // reproduce (docs/features.md, "Log retention and training sets").
  std::map<std::string, Micros> reads_from;
  std::optional<Micros> earliest_spine;  // the earliest spine event_timestamp
};

// Lineage a saved training set records besides its spine and view versions.
// References ("KIND/NAME[@REF]") are resolved to KIND/NAME@N before anything is
// stored.
struct SaveLineage {
  // Inputs of the saved version: `derived` edges to it (the labels a spine was made
  // from, a config).
  std::vector<std::string> inputs;
  // Inputs of the spine's new version, when the spine is a file stored as
  // "<dataset>-spine" (a spine sent over HTTP); refused with a stored spine, whose
  // inputs were fixed when it was stored.
  std::vector<std::string> spine_inputs;
};

// A saved training set: `dataset` ("dataset/NAME@N").
struct SavedResult {
  HistoricalResult result;
  std::string dataset;
  std::string spine;  // "dataset/NAME@N"
};

struct ReproduceResult {
  bool identical = false;
  Digest recorded, reproduced;
  HistoricalResult result;
};

struct LogTrimOptions {
  // Read the log and report what would go, writing nothing (not even the horizon).
  // Default false.
  bool dry_run = false;
  // Called after each entity with the log bytes read so far and an estimate of the
  // view's log bytes (RocksDB's approximate size; never below the bytes read).
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Trims even when that makes kept saved training sets unreproducible (they are
  // listed in LogTrimReport::breaks), except those an alias protects. Default false:
  // such a trim is refused.
  bool force = false;
  // Instead of refusing a trim that would break kept training sets, trims only to
  // the latest horizon that breaks none, or not at all when there is none
  // (retention's log policies). Default false.
  bool stop_at_safe_horizon = false;
  // The versions about to be deleted ("dataset/NAME@N"), which need nothing kept.
  // Default (nullopt): those gc::PlanRetention would delete now.
  std::optional<std::vector<std::string>> expiring;
};

// A kept saved training set that a trim makes unreproducible.
struct BrokenTrainingSet {
  std::string dataset;  // "dataset/NAME@N"
  // What makes it untouchable even with LogTrimOptions::force: an aliased version
  // among it and what was made from it (DescribeKeptBy); empty for none.
  std::string protected_by;
};

// What FeatureStore::TrimLog read and dropped (or, dry run, would drop).
struct LogTrimReport {
  std::string view;
  Micros horizon = 0;
  bool dry_run = false;
  IngestPosition at;                  // the committed ingests the trim considered
  uint64_t entities = 0;              // entities with rows in the log
  uint64_t rows_before = 0;           // rows of committed ingests
  uint64_t rows_dropped = 0;          // rows removed
  uint64_t rows_kept_at_horizon = 0;  // rows at or before the horizon kept
  uint64_t chunks_dropped = 0;        // log chunks removed whole
  uint64_t chunks_rewritten = 0;      // log chunks rewritten with fewer rows
  // Keys and values of the view's log, before and after (dry run: as it would be).
  uint64_t bytes_before = 0, bytes_after = 0;
  // The kept saved training sets the trim to `horizon` makes unreproducible (dry
  // run: would; force: did), by name; with stop_at_safe_horizon, those that held it
  // back.
  std::vector<BrokenTrainingSet> breaks;
  // When `breaks` is not empty: the latest horizon that breaks none of the kept
  // training sets; nullopt when none does (a trim that drops rows breaks some).
  std::optional<Micros> safe_horizon;
  // With stop_at_safe_horizon, when held back: the horizon asked for (`horizon` is
  // then the safe one used), and whether nothing was trimmed for lack of one.
  std::optional<Micros> requested_horizon;
  bool skipped = false;
};

enum class FeatureStatus : uint8_t { kPresent, kNotFound, kNullValue, kOutsideMaxAge };
absl::string_view FeatureStatusName(FeatureStatus status);

struct OnlineValue {
  Value value;  // null unless kPresent (a row older than the TTL is not served)
  FeatureStatus status = FeatureStatus::kNotFound;
  std::optional<Micros> event_time;  // of the row, when there is one
};

// One requested feature's values, one per entity, stored by type (a status byte,
// an event time and an 8-byte number per entity for numeric and bool features):
// a batch of 100 entities x 50 features is ~85 KB to write rather than ~320 KB of
// OnlineValue. Read it as OnlineValues with [] or a range for.
class OnlineColumn {
 public:
  OnlineColumn() = default;
  OnlineColumn(ValueType type, size_t entities);

  size_t size() const { return statuses_.size(); }
  ValueType type() const { return type_; }
  FeatureStatus status(size_t i) const { return statuses_[i]; }
  // The row's event time; none for kNotFound.
  std::optional<Micros> event_time(size_t i) const {
    if (statuses_[i] == FeatureStatus::kNotFound) return std::nullopt;
    return static_cast<Micros>(words_[i]);
  }
  // Entity i's value (null unless kPresent), status and event time.
  OnlineValue operator[](size_t i) const;
  // Entity i's value when kPresent in an int64, timestamp, double or bool column, as
  // its 8 bytes: the integer, a double's bits, 0 or 1. (operator[] without the copy.)
  uint64_t number_bits(size_t i) const { return words_[statuses_.size() + i]; }

  class Iterator {
   public:
    using value_type = OnlineValue;
    using difference_type = std::ptrdiff_t;
    Iterator(const OnlineColumn* column, size_t i) : column_(column), i_(i) {}
    OnlineValue operator*() const { return (*column_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return i_ != other.i_; }
    bool operator==(const Iterator& other) const { return i_ == other.i_; }

   private:
    const OnlineColumn* column_;
    size_t i_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size()}; }

  // Filling, for FeatureStore::Online: a row was found for entity i (status
  // kNullValue until a value is set), then its value, of the column's type.
  void SetFound(size_t i, FeatureStatus status, Micros event_time) {
    statuses_[i] = status;
    words_[i] = static_cast<uint64_t>(event_time);
  }
  // An int64, timestamp or double value by its 8 bytes (a double's bits).
  void SetNumber(size_t i, uint64_t bits) {
    words_[statuses_.size() + i] = bits;
    statuses_[i] = FeatureStatus::kPresent;
  }
  void SetValue(size_t i, int64_t v) { SetNumber(i, static_cast<uint64_t>(v)); }
  void SetValue(size_t i, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    SetNumber(i, bits);
  }
  void SetValue(size_t i, bool v) { SetNumber(i, v); }
  void SetValue(size_t i, std::string v) {
    strings_[i] = std::move(v);
    statuses_[i] = FeatureStatus::kPresent;
  }

 private:
  ValueType type_ = VALUE_TYPE_UNSPECIFIED;
  std::vector<FeatureStatus> statuses_;
  // Event times, then numbers: int64, timestamp, double (its bits), bool.
  std::vector<uint64_t> words_;
  std::vector<std::string> strings_;  // string, bytes (empty for other types)
};

// One entity per index: join key name -> values, one per entity.
using EntityColumns = std::vector<std::pair<std::string, std::vector<Value>>>;

// Rows of one view by column: column name -> values, one per row. Values are typed
// as the columns are declared (timestamps as int64 Micros); null is a missing value.
using RowColumns = std::vector<std::pair<std::string, std::vector<Value>>>;

struct OnlineResult {
  EntityColumns entities;             // the join keys, values typed as declared
  std::vector<std::string> features;  // as requested ("view:feature")
  std::vector<ValueType> types;       // per feature
  // values[feature][entity] is an OnlineValue
  std::vector<OnlineColumn> values;
};

struct OnlineRebuildOptions {
  // The entities to rebuild, by join key as Online takes them (every join key of
  // the view, the columns of one length; int64 keys may be decimal strings).
  // Default empty: every entity of the view, in the log or in the online table.
  EntityColumns entities;
  // Entities read and written per step: one snapshot and one atomic write each,
  // during which pushes to the view wait. Default 10000 (a few MB of rows).
  size_t batch_entities = 10000;
  // Called after each step with the work done and the work expected: log bytes
  // read and RocksDB's estimate of the view's log (never below the bytes read), or
  // entities done and named when `entities` is given.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// What FeatureStore::RebuildOnline found and did.
struct OnlineRebuildReport {
  std::string view;
  uint64_t entities = 0;   // entities looked at: in the log, the online table or named
  uint64_t rewritten = 0;  // online rows written: absent or not the log's newest row
  uint64_t removed = 0;    // online rows removed: the entity has no row to put there
  uint64_t unchanged = 0;  // online rows that were already the log's newest row
  // Log rows newer than the row taken, left out for an event or created time outside
  // the view's plausible time (rows ingested before the window was checked).
  uint64_t skipped = 0;
  IngestPosition at;  // the committed ingests read (by the last step)
};

// The served-answer log (docs/quality.md, "Training/serving skew"): a sample of
// Online's answers, read back by FeatureStore::ScanServed.
struct ServedLogOptions {
  // The fraction of answered entities logged, in [0, 1]. Default 0: no log.
  double fraction = 0;
  // Rows kept per view (one per sampled entity and answer); the oldest are deleted
  // first. Default 1,000,000: about 50 MB for a view of 20 double features.
  uint64_t max_rows_per_view = 1000000;
  // Samples waiting to be written; while it is full, new samples are dropped (and
  // counted). Default 65536.
  size_t max_queued = 65536;
};

// What the served log did since the store was opened.
struct ServedLogStats {
  uint64_t logged = 0;        // samples written
  uint64_t dropped = 0;       // samples dropped: the writer was behind
  uint64_t trimmed = 0;       // old rows deleted to keep max_rows_per_view
  uint64_t write_errors = 0;  // samples lost to a failed write
};

// Makes an observer for one ingest (FeatureStoreOptions::ingest_observers).
using IngestObserverFactory = std::function<std::unique_ptr<IngestObserver>()>;

class OnlineTable;

struct FeatureStoreOptions {
  // Observers every ingest of this store gets (after the view's validation rules,
  // before IngestOptions::observers), one made per ingest: how layers above
  // features/ (quality/'s ingest profiles) join every ingest, whichever caller
  // (CLI, HTTP ingest or push, client) started it. Default none.
  std::vector<IngestObserverFactory> ingest_observers;
  // Bytes of online rows (and known-absent entities) kept in memory in front of
  // the online table, for processes that serve lookups. Default 0: no cache (a
  // command-line lookup reads each row once). A server sizes it to its online
  // table; see docs/features.md.
  size_t online_cache_bytes = 0;
  // A sample of the online answers kept in the store (`strata serve --log-served`);
  // off by default.
  ServedLogOptions served_log;
  // The online table every online read and write goes through, when not the
  // embedded one (RocksDB, in the store): a RedisOnlineTable on the store's
  // database (features/online_store.h opens the one a store records). Default
  // null: the embedded table.
  std::shared_ptr<OnlineTable> online_table;
};

// Keys the online cache was asked for (one per entity and view of each Online call).
struct OnlineCacheStats {
  uint64_t hits = 0;    // found in memory: a row, or an entity known to have none
  uint64_t misses = 0;  // read from the online table
};

// A window of a view's offline log (FeatureStore::ScanWindow).
struct WindowScanRequest {
  std::string view;
  // Event times in [from, to).
  Micros from = INT64_MIN, to = INT64_MAX;
  // Rows created after it are hidden (what was known then); none: all rows.
  std::optional<Micros> as_of;
};

// One column of a window's rows: a join key, event_timestamp, created_timestamp,
// or a feature of the view's latest definition, in that order.
struct WindowColumn {
  std::string name;
  ValueType type;
};

// A feature list as callers write it, its feature services expanded
// (FeatureStore::ResolveFeatures).
struct ResolvedFeatures {
  std::vector<std::string> features;  // "VIEW:FEATURE"
  // The service versions read, "featureservice/NAME@N", in request order, each once.
  std::vector<std::string> services;
};

// A feature service's features ("VIEW:FEATURE") and the version they were read from
// ("featureservice/NAME@N").
struct ServiceFeatures {
  std::vector<std::string> features;
  std::string version;
};

// FeatureStore::ResolveFeatures' rules over any source of services: `features` with
// each "featureservice/..." entry replaced by what `expand` gives for it, a feature
// both named and in a service, or in two, kept once where it first appears. Errors:
// those of `expand`.
absl::StatusOr<ResolvedFeatures> ExpandServices(
    const std::vector<std::string>& features,
    const std::function<absl::StatusOr<ServiceFeatures>(const std::string& entry)>& expand);

// FeatureStore's parts, internal to features/ (each in its own header there).
class FeatureTables;  // features/tables.h
class OnlineServing;  // features/online_serving.h
class ViewCatalog;    // features/view_catalog.h
class ServedLog;      // features/served_log.h

// Thread-safe; `store` must outlive it.
class FeatureStore {
 public:
  explicit FeatureStore(Store* store, const FeatureStoreOptions& options = {});
  ~FeatureStore();

  // The online table reads and writes go through (FeatureStoreOptions::online_table,
  // else the embedded one), bypassing the cache: for checks.
  OnlineTable& online_table();

  FeatureRegistry& registry() { return registry_; }

  // Ingests the CSV or JSON lines file at `path` ("-": standard input), or the
  // stored dataset version `path` names ("dataset/NAME[@REF]", StoredIngestSource),
  // into `view`. The whole input is checked before anything is written; then its
  // rows are written to the offline log, the online table keeps each entity's
  // newest row, and the rows become visible together when the ingest commits, with
  // a `fed` lineage edge to the view version from the dataset version that holds
  // the input and from each of options.inputs. That version is the stored one read
  // (kRead); else the newest live dataset version (of options.dataset, when given)
  // whose content is the file's (kSameContent: nothing stored again); else the file
  // stored as the next version of options.dataset (kStored). Finding the same
  // content reads every dataset version record (of options.dataset, when given).
  // Errors: NotFound for an unknown view, source or input (naming it);
  // FailedPrecondition for a deleted one; InvalidArgument naming the line and
  // column of the first bad value or record (features/csv.h says what a CSV may
  // hold; an event or created time outside the view's plausible time, PlausibleTimeOf,
  // is one), a missing, unknown, empty or repeated column name, or an empty file;
  // InvalidArgument for a source of another kind, options.dataset with a stored
  // source, max_record_bytes out of range, or observers that dropped every row;
  // ResourceExhausted naming the line of a record longer than max_record_bytes; an
  // observer's error (options.observers), unchanged.
  absl::StatusOr<IngestResult> Ingest(const std::string& view, const std::string& path,
                                      const IngestOptions& options);

  // Point-in-time join: for each spine row (CSV with the views' join keys and
  // event_timestamp), writes the row as it was, then one column per requested
  // feature. Spine order is kept; memory is bounded by the block size, not the spine.
  // The spine is CSV as features/csv.h reads it; its columns come out with the same
  // values (re-quoted as the writer quotes), each row ending in LF.
  // Errors: InvalidArgument for a bad feature reference, a spine missing a join key
  // or event_timestamp, an empty or repeated column name, a bad record or value
  // (naming line and column), max_record_bytes out of range; ResourceExhausted for
  // a record longer than max_record_bytes or more than max_spine_rows; NotFound for an
  // unknown view or feature; FailedPrecondition for a spine row before a view's log
  // retention horizon (TrimLog), or, for a request that sees less than the trim did
  // (an older ingest position, an as-of before the horizon), for a row whose answer
  // the trim may have changed (naming the view, the row and the horizon).
  absl::StatusOr<HistoricalResult> Historical(const HistoricalRequest& request,
                                              ByteSource& spine, ByteSink& out) const;
  // The same with the spine named: a CSV file, "-" for standard input, or
  // "dataset/NAME[@REF]" (read from a verified copy of the stored content).
  // Errors: as above; NotFound for an unknown dataset or version.
  absl::StatusOr<HistoricalResult> Historical(const HistoricalRequest& request,
                                              const std::string& spine,
                                              ByteSink& out) const;

  // Historical, saved as a new version of `dataset_name` with lineage to the spine's
  // dataset version, to each feature view version used and to lineage.inputs, and
  // the request (with the ingest position) in its metadata. `spine` is
  // "dataset/NAME[@REF]" or a file, which is stored first as dataset
  // "<dataset_name>-spine" with lineage.spine_inputs as its inputs. `out`, when
  // given, also receives the result. Nothing is stored unless every reference
  // resolves and the retrieval succeeds.
  // Errors: as Historical; NotFound for an unknown input; InvalidArgument for
  // spine_inputs with a stored spine.
  absl::StatusOr<SavedResult> SaveHistorical(const HistoricalRequest& request,
                                             const std::string& spine,
                                             const std::string& dataset_name,
                                             const Actor& creator,
                                             const std::string& message, ByteSink* out,
                                             const SaveLineage& lineage = {});

  // Re-runs the request recorded in a saved training set, seeing only what the store
  // had received then, and compares the result with the stored content. `out`, when
  // given, receives the reproduced result.
  // Errors: NotFound; FailedPrecondition when the version is not a saved result.
  absl::StatusOr<ReproduceResult> Reproduce(const std::string& dataset_ref,
                                            ByteSink* out) const;

  // The newest row of each entity, for each feature, with its status at `now`.
  // `entities` names every join key of every requested view's entity; all columns
  // have the same length. Values of int64 join keys may be given as decimal
  // strings.
  // Errors: InvalidArgument for a bad feature reference, missing join key, wrong
  // value type or ragged columns; NotFound for an unknown view or feature.
  // With a served log (FeatureStoreOptions::served_log), each entity of the answer
  // is logged with probability `fraction`, once per view, as served at `now`.
  absl::StatusOr<OnlineResult> Online(const std::vector<std::string>& features,
                                      const EntityColumns& entities, Micros now) const;

  // Writes rows to the online table only (Feast's push to "online"). `rows` has
  // every join key of the view and event_timestamp, optionally created_timestamp
  // (null or absent: `now`) and any of its features (absent: null in every row).
  // Each entity keeps the row with the largest (event time, created time), as after
  // an ingest: a row older than the stored one changes nothing. The rows carry the
  // last committed ingest number, so at equal times they replace that ingest's row
  // and earlier ones, and a later ingest's row replaces them. Nothing else is
  // written (no offline log rows, dataset or ingest record), except the view's
  // column dictionary the first time a feature is written; historical retrieval
  // never sees these rows. Everything is checked before anything is written; the
  // rows are written in one transaction.
  // Errors: NotFound for an unknown view; InvalidArgument for an unknown, repeated
  // or missing column, ragged columns, no rows, a null join key or event time, a
  // value not of the column's type, or an event or created time outside the view's
  // plausible time (PlausibleTimeOf; naming the column and the row, from 1).
  absl::Status PushOnline(const std::string& view, const RowColumns& rows, Micros now);

  // PushOnline of several views as one write (a push to a push source feeding them):
  // every view's rows are checked before anything is written, and all are written
  // in one transaction, or none. The change's subject lists the views
  // ("featureview/a,featureview/b").
  // Errors: as PushOnline, for the first view at fault; InvalidArgument for none.
  struct ViewRows {
    std::string view;
    RowColumns rows;
  };
  // Each view's validation rules (docs/quality.md) apply to its rows: under
  // reject a row breaking one fails the push (InvalidArgument listing the
  // violations); under drop such rows are left out (the push fails if none is
  // left) and first stored, by `creator`, as the next version of dataset
  // VIEW-quarantine (the view's columns, then `line`: the row of the push, and
  // `rule`), with the view version as its input; under warn they are written.
  // `rules`, when given, receives each view's outcome (RulesOutcome::on_invalid
  // empty for a view without rules; quarantine set under drop), in order.
  absl::Status PushOnline(const std::vector<ViewRows>& views, Micros now,
                          std::vector<RulesOutcome>* rules = nullptr,
                          const Actor& creator = Actor());

  // Offline log retention: removes from `view`'s log the rows whose event time is
  // at or before `horizon` that no point-in-time answer at a time at or after the
  // horizon can pick, keeping per entity the row in force at the horizon (and, for
  // rows that arrived late, each row an as-of or created-cutoff answer at or after
  // the horizon could pick). Answers at or after the horizon do not change; the
  // horizon is recorded, and a retrieval asking for a time before it fails
  // (docs/features.md, "Log retention"). Rows of ingests not committed when the trim
  // starts are left alone, so concurrent ingests lose nothing; the removal is one
  // atomic step (one ingested SST file), and trimming again with the same horizon
  // removes nothing more. The online table is untouched. Thread-safe; trims of one
  // process run one at a time.
  // A trim never silently breaks a kept saved training set (a live version that
  // retention would not delete now, reading the view) that reproduces now: those
  // it would make unreproducible are listed in the report (dry run) and refused
  // unless options.force; an alias on the set or on a version made from it protects
  // it even then. With options.stop_at_safe_horizon it trims less far instead.
  // Errors: NotFound for an unknown view; InvalidArgument for a horizon in the
  // future; FailedPrecondition naming the training sets the trim would break (a few,
  // then "and K more") and the latest safe horizon; DataLoss for a malformed log
  // chunk or record; Unavailable when RocksDB fails.
  absl::StatusOr<LogTrimReport> TrimLog(const std::string& view, Micros horizon,
                                        const LogTrimOptions& options);

  // What the store has received now.
  absl::StatusOr<IngestPosition> Position() const;

  // The retention horizon of `view`'s offline log (TrimLog): rows in force at or
  // before it may be gone. nullopt when the log was never trimmed.
  // Errors: DataLoss for a malformed record; Unavailable when RocksDB fails.
  absl::StatusOr<std::optional<Micros>> LogRetentionHorizon(
      const std::string& view) const;

  // The records of the committed ingests numbered `from` and up, in ingest order:
  // view, dataset version, inputs, who, rows, times (features.proto IngestRecord).
  // Errors: DataLoss for a malformed record.
  absl::StatusOr<std::vector<IngestRecord>> Ingests(uint64_t from = 1) const;

  // Online repair. Recomputes the online rows of `view` from the offline log, for
  // the named entities or all of them: each entity's row becomes the newest (event,
  // created, ingest) row of the committed ingests that update the online table (all
  // but Feast's push to "offline"; ingests recorded before strata kept that flag
  // count), leaving out rows whose event or created time is outside the view's
  // plausible time (PlausibleTimeOf), exactly as those ingests would have left it;
  // an entity without such a row loses its online row. Rows pushed online only
  // (PushOnline) are not in the log and are replaced or removed. Works in steps
  // (options.batch_entities), each one atomic write; an ingest into the view that
  // commits during a step makes the step run again, so nothing it wrote is lost.
  // Thread-safe.
  // Errors: NotFound for an unknown view; InvalidArgument for bad entities (as
  // Online); DataLoss for a malformed log chunk; Aborted when ingests into the view
  // keep committing during one step (run it again); Unavailable when RocksDB fails.
  absl::StatusOr<OnlineRebuildReport> RebuildOnline(const std::string& view,
                                                    const OnlineRebuildOptions& options);

  // Removes the online row of one entity of `view` (`entity`: every join key, one
  // value each). The log is untouched: a later ingest or rebuild may write a row
  // again. Thread-safe.
  // Errors: NotFound for an unknown view or an entity without an online row;
  // InvalidArgument for bad or several entities; Unavailable when RocksDB fails.
  absl::Status RemoveOnline(const std::string& view, const EntityColumns& entity);

  // Reads the rows in force of a window of `request.view`'s offline log (the
  // latest row per entity and event time, as retrieval sees them; rows created
  // after as_of hidden) at one snapshot: calls `columns` once with the columns,
  // then `row` per row, entity by entity, with one value per column (timestamps
  // as int64 microseconds; a feature the row lacks is null). Stops at the first
  // error of a callback and returns it. Memory: one entity's rows at a time.
  // Errors: NotFound for an unknown view; DataLoss for a malformed chunk or row;
  // Unavailable when RocksDB fails.
  absl::Status ScanWindow(
      const WindowScanRequest& request,
      const std::function<absl::Status(const std::vector<WindowColumn>&)>& columns,
      const std::function<absl::Status(const std::vector<Value>&)>& row) const;

  // Reads the served log (FeatureStoreOptions::served_log) of `request.view`: the
  // sampled answers served at times in [from, to), oldest first, as ScanWindow
  // reads a window. Columns: the join keys, served_timestamp, then the features of
  // the view's latest definition (a feature the sampled answer did not hold, or
  // held without a value, is null; a value whose feature has changed type since is
  // null too). A view served without a log has no rows. Every answer this process
  // sampled before the call is read (the log is flushed first).
  // Errors: NotFound for an unknown view; InvalidArgument when as_of is set (the log
  // has no knowledge time); DataLoss for a malformed row; Unavailable when RocksDB
  // fails.
  absl::Status ScanServed(
      const WindowScanRequest& request,
      const std::function<absl::Status(const std::vector<WindowColumn>&)>& columns,
      const std::function<absl::Status(const std::vector<Value>&)>& row) const;

  // Waits until every answer sampled so far is in the served log; returns the
  // first write error since the last call. OK at once without a log.
  absl::Status FlushServedLog();

  // What the served log did; zeros without one.
  ServedLogStats served_log_stats() const;

  // Feature services (features/feature_services.cc): `features` with each
  // "featureservice/NAME[@REF]" replaced, in place, by the "VIEW:FEATURE" list its
  // version holds; other entries are kept as given (Historical and Online check
  // them). A feature both named and in a service, or in two services, is kept once
  // (where it first appears), so a service and a feature of it may be asked for
  // together. The one place the
  // routes, the CLI and the clients turn a service into features, before Historical,
  // SaveHistorical (which records the services as lineage inputs) and Online.
  // Errors: NotFound for an unknown service or version ("no feature service
  // featureservice/NAME"); InvalidArgument for a malformed reference; FailedPrecondition
  // for a deleted version; DataLoss for an unreadable definition.
  absl::StatusOr<ResolvedFeatures> ResolveFeatures(
      const std::vector<std::string>& features) const;

  // Feast's push_source_name: the feature views a push to `name` writes to. Those
  // whose latest definition names push source `name` (FeatureView.push_source), by
  // name; when none does, the feature view called `name` itself. Reads every view's
  // latest definition (one read per view).
  // Errors: NotFound when `name` is neither a push source nor a view;
  // InvalidArgument for a malformed name; DataLoss for an unreadable definition.
  absl::StatusOr<std::vector<std::string>> PushTargets(const std::string& name) const;

  // The online cache's hits and misses since construction; zeros without a cache
  // (FeatureStoreOptions::online_cache_bytes 0). Cheap: a few relaxed loads.
  OnlineCacheStats online_cache_stats() const;

  // What an online-only replica needs to answer lookups (features/online_catalog.h):
  // every feature view's latest version with its columns, every feature service's
  // latest features (online_store is left to the caller: features/online_store.h
  // reads it). Views and services whose latest version was deleted are left out.
  // Errors: DataLoss for an unreadable definition; Unavailable on I/O failure.
  absl::StatusOr<OnlineCatalog> OnlineCatalogSnapshot() const;

 private:
  Store* store_;
  FeatureRegistry registry_;
  // Constructed in this order: the tables write online rows, the catalog reads
  // the tables.
  std::unique_ptr<OnlineServing> online_;
  std::unique_ptr<FeatureTables> tables_;
  std::unique_ptr<ViewCatalog> views_;
  std::unique_ptr<ServedLog> served_;  // null: no served log
  std::vector<IngestObserverFactory> ingest_observers_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_FEATURE_STORE_H_
