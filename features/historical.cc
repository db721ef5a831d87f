// Point-in-time retrieval: the spine is read in blocks; per block and view, lookups
// are split at an entity into two key ranges, each sorted and swept by its own
// thread and iterator (stepping to the next entity when near, seeking when far,
// reading each entity's chunks once); the output is written in spine order.
#include <algorithm>
#include <cstring>
#include <deque>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "features/codec.h"
#include "features/csv.h"
#include "features/feature_log.h"
#include "features/historical_output.h"
#include "features/feature_store.h"
#include "features/tables.h"
#include "features/scratch.h"
#include "features/training_sets.h"
#include "features/view_catalog.h"
#include "store/database.h"
#include "store/internal/keys.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;

// Spine bytes joined at once: ~1.7M rows of a typical spine, ~200 MB of working
// memory. Each block's lookups sweep the log once in key order, so larger blocks
// mean fewer sweeps; the memory bound does not grow with the spine.

// One requested view: its definition and the requested features' columns.
struct ViewPlan {
  std::shared_ptr<const ResolvedView> view;
  std::vector<uint32_t> columns;          // requested features' column ids
  std::vector<int> slots;                 // codec::ColumnSlots of `columns`
  std::vector<ValueType> types;           // and types
  std::vector<size_t> output;             // and output positions
  std::vector<size_t> spine_key_columns;  // spine column of each join key
  std::string prefix;                     // the view's key prefix
  std::unique_ptr<FeatureLog> log;        // the view's log, at the join's snapshot
  // The log's retention horizon, when it was trimmed (read with the log's snapshot).
  std::optional<LogHorizon> horizon;
  // Whether the request sees all the trim saw (its ingest position and as-of), so
  // that every answer at or after the horizon is exact; when not, an answer is
  // given only where no trimmed row can matter.
  bool sees_trim = true;
};

struct Plan {
  std::vector<ViewPlan> views;
  std::vector<std::string> output_names;
  std::vector<ValueType> output_types;  // of each output column
  LogVisibility rules;  // the request's position, as-of and created cutoff
};

absl::StatusOr<Plan> MakePlan(const ViewCatalog& views, const HistoricalRequest& request) {
  if (request.features.empty()) {
    return absl::InvalidArgumentError("no features requested");
  }
  Plan plan;
  for (const std::string& ref : request.features) {
    ASSIGN_OR_RETURN(auto parts, SplitFeatureRefView(ref));
    const std::string view_name(parts.first);
    const absl::string_view feature = parts.second;
    ViewPlan* vp = nullptr;
    for (auto& v : plan.views) {
      if (v.view->def.name() == view_name) vp = &v;
    }
    if (vp == nullptr) {
      auto pinned = request.view_versions.find(view_name);
      ASSIGN_OR_RETURN(
          auto view,
          views.View(view_name,
                     pinned == request.view_versions.end() ? 0 : pinned->second));
      vp = &plan.views.emplace_back();
      vp->view = view;
    }
    const int index = vp->view->FeatureIndex(feature);
    if (index < 0) {
      std::vector<std::string> known;
      for (const Feature& f : vp->view->def.features()) known.push_back(f.name());
      return absl::NotFoundError(absl::StrCat("feature view ", view_name,
                                              " has no feature ", feature, " (it has ",
                                              absl::StrJoin(known, ", "), ")"));
    }
    vp->columns.push_back(vp->view->feature_columns[index]);
    vp->types.push_back(vp->view->def.features(index).type());
    vp->output.push_back(plan.output_names.size());
    std::string name = request.full_names ? absl::StrCat(view_name, "__", feature)
                                          : std::string(feature);
    for (const auto& existing : plan.output_names) {
      if (existing == name) {
        return absl::InvalidArgumentError(
            absl::StrCat("two requested features make the column ", name,
                         request.full_names ? " (a feature is requested twice)"
                                            : "; use --full-names"));
      }
    }
    plan.output_names.push_back(std::move(name));
    plan.output_types.push_back(vp->types.back());
  }
  for (auto& vp : plan.views) {
    vp.slots = codec::ColumnSlots(vp.columns, vp.view->column_types.size());
    vp.prefix = vp.view->Prefix();
  }
  return plan;
}

struct Lookup {
  uint64_t k0, k1;     // target bytes 4..20, big-endian: most comparisons end here
  const char* target;  // VIEW ENTITY ~T, in SpineRows::keys
  uint32_t target_bytes, entity_bytes;
  Micros t;
  uint32_t row;
  absl::string_view key() const { return {target, target_bytes}; }
  absl::string_view entity() const { return {target, entity_bytes}; }
};

// Target order: by entity, then latest time first, as the log keeps chunk rows.
bool TargetLess(const Lookup& a, const Lookup& b) {
  if (a.k0 != b.k0) return a.k0 < b.k0;
  if (a.k1 != b.k1) return a.k1 < b.k1;
  return a.key() < b.key();
}

// The lookups of one entity (a run of `begin`..`end` with its entity) and the row
// in force found for each.
struct EntityLookups {
  const Lookup* begin;
  const Lookup* end;
  const std::vector<RowInForce>* best;
};

// Adds the group's answers to `matched` and lowers `reads_from` to the earliest
// event time an answer read (or its TTL window would have).
void CountAnswers(const EntityLookups& group, Micros ttl, uint64_t* matched,
                  Micros* reads_from) {
  for (size_t i = 0; i < group.best->size(); ++i) {
    const RowInForce& b = (*group.best)[i];
    *matched += b.found;
    *reads_from =
        std::min(*reads_from, b.found ? b.event : TtlWindowStart(group.begin[i].t, ttl));
  }
}

// OK when every answer of the group is what the whole log gives although the request
// sees less than the view's trim did: trimmed rows all have event times at or before
// the horizon, so an answer found after it, or a TTL window that ends after it, is
// exact; anything else might have been a trimmed row (FailedPrecondition).
absl::Status CheckUntrimmed(const ViewPlan& plan, const LogVisibility& rules,
                            const HistoricalRequest& request, uint64_t row_base,
                            const EntityLookups& group, Micros ttl) {
  const Micros h = plan.horizon->horizon_us();
  for (size_t i = 0; i < group.best->size(); ++i) {
    const Lookup& l = group.begin[i];
    const RowInForce& b = (*group.best)[i];
    if (b.found && b.event > h) continue;
    if (ttl > 0 && l.t > h && l.t - h > ttl) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        request.spine_name, " row ", row_base + l.row, " at ", FormatTimestamp(l.t),
        ": feature view ", plan.view->def.name(), "'s offline log was trimmed to horizon ",
        FormatTimestamp(h), " at ingest position ", plan.horizon->position(),
        ", and this request sees less than that trim did (",
        !SeesTrim(rules.at, *plan.horizon)
            ? absl::StrCat("ingest position ", rules.at.position)
            : absl::StrCat("rows created as of ", FormatTimestamp(*rules.as_of)),
        "): the row in force may be one the trim removed"));
  }
  return absl::OkStatus();
}

// Finds, for each lookup, the row in force and copies its value into `arena`;
// found[row] = (offset, length), length UINT32_MAX when there is none. The lookups
// come sorted by entity: each entity's chunks are read once, by one cursor that
// steps to the next entity when it is near and seeks when it is not.
// `row_base`: the spine row number (from 1) of the block's first row, for errors.
absl::Status RunLookups(const ViewPlan& plan, const LogVisibility& rules,
                        const HistoricalRequest& request, uint64_t row_base,
                        const Lookup* begin, const Lookup* end, std::string* arena,
                        std::vector<std::pair<uint64_t, uint32_t>>* found,
                        uint64_t* matched, Micros* reads_from) {
  FeatureLog::EntityChunks chunks = plan.log->Entities(rules.at, {.sweep = true});
  const Micros ttl = plan.view->def.ttl_seconds() * 1000000;
  std::vector<RowInForce> best;
  for (const Lookup* group = begin; group != end;) {
    const absl::string_view entity = group->entity();
    const Lookup* group_end = group + 1;
    while (group_end != end && group_end->entity() == entity) ++group_end;
    chunks.Seek(entity);
    best.assign(group_end - group, RowInForce());
    while (chunks.Next()) {
      const codec::LogChunk& chunk = chunks.chunk();
      for (size_t i = 0; i < best.size(); ++i) {
        const Lookup& l = group[i];
        const size_t r =
            best[i].Offer(chunk, chunks.ingest(), l.t, TtlWindowStart(l.t, ttl), rules);
        if (r == SIZE_MAX) continue;
        const absl::string_view row = chunk.row(r);
        (*found)[l.row] = {arena->size(), static_cast<uint32_t>(row.size())};
        arena->append(row.data(), row.size());
      }
    }
    RETURN_IF_ERROR(chunks.status());
    const EntityLookups lookups{group, group_end, &best};
    CountAnswers(lookups, ttl, matched, reads_from);
    if (!plan.sees_trim) {
      RETURN_IF_ERROR(CheckUntrimmed(plan, rules, request, row_base, lookups, ttl));
    }
    group = group_end;
  }
  return absl::OkStatus();
}

// The rows of part of a spine block.
struct SpineRows {
  std::vector<absl::string_view> raws;   // each row's spine columns as written out
  std::deque<std::string> rewritten;     // those re-quoted (raws point here)
  std::string keys;                                       // the lookups' targets
  std::vector<std::vector<Lookup>> lookups;               // per view
  uint64_t lines = 0;                                     // lines the part spans
  std::optional<std::pair<uint64_t, std::string>> error;  // local line, message
  absl::StatusCode error_code = absl::StatusCode::kInvalidArgument;
};

// Makes room in `out` for `capacity` rows of `text` (fresh memory grown by doubling
// is copied and faulted in twice).
void ReserveSpineRows(const Plan& plan, absl::string_view text, size_t capacity,
                      SpineRows* out) {
  out->lookups.resize(plan.views.size());
  out->raws.reserve(capacity);
  out->keys.reserve(plan.views.size() * (text.size() + capacity * 24));
  for (auto& ls : out->lookups) ls.reserve(capacity);
}

// Keeps the current record as the row's spine columns (re-quoted when it is not
// written as the writer would); returns the row's number in `out`.
uint32_t KeepSpineRecord(const CsvRecords& records, SpineRows* out) {
  const auto row = static_cast<uint32_t>(out->raws.size());
  if (records.plain()) {
    out->raws.push_back(records.raw());
  } else {
    records.AppendRecord(&out->rewritten.emplace_back());
    out->raws.push_back(out->rewritten.back());
  }
  return row;
}

// Adds `vp`'s lookup of the current record (event time `t`, spine row `row`): its
// target VIEW ENTITY ~T to `keys`, the Lookup to `lookups`, its target an offset into
// `keys` until ResolveTargets.
// Errors: FailedPrecondition for a time before the view's retention horizon;
// InvalidArgument for an empty or malformed join key (naming its column).
absl::Status AddLookup(const ViewPlan& vp, const HistoricalRequest& request,
                       const std::vector<std::string>& labels, const CsvRecords& records,
                       Micros t, uint32_t row, std::string* keys,
                       std::vector<Lookup>* lookups) {
  if (vp.horizon.has_value() && t < vp.horizon->horizon_us()) {
    return absl::FailedPreconditionError(
        absl::StrCat("event_timestamp ", FormatTimestamp(t), " is before feature view ",
                     vp.view->def.name(), "'s offline log retention horizon ",
                     FormatTimestamp(vp.horizon->horizon_us()),
                     ": rows in force before it were trimmed"));
  }
  const auto& fields = records.fields();
  const size_t start = keys->size();
  keys->append(vp.prefix);
  for (size_t k = 0; k < vp.spine_key_columns.size(); ++k) {
    const size_t c = vp.spine_key_columns[k];
    auto value = ParseValue(fields[c], vp.view->join_key_types[k], request.timestamp_unit);
    if (!value.ok() || (fields[c].empty() && !records.quoted(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat("column ", labels[c], ": ",
                       value.ok() ? "join key is empty" : value.status().message()));
    }
    codec::AppendEntityPart(keys, *value);
  }
  Lookup l;
  l.entity_bytes = static_cast<uint32_t>(keys->size() - start);
  codec::PutBE64(keys, ~codec::Ordered(t));
  l.target_bytes = static_cast<uint32_t>(keys->size() - start);
  l.target = reinterpret_cast<const char*>(start);  // an offset until keys is whole
  l.t = t;
  l.row = row;
  lookups->push_back(l);
  return absl::OkStatus();
}

// Points every lookup's target into out->keys, whole now, and reads its key words.
void ResolveTargets(SpineRows* out) {
  for (auto& ls : out->lookups) {
    for (Lookup& l : ls) {
      l.target = out->keys.data() + reinterpret_cast<uintptr_t>(l.target);
      l.k0 = codec::KeyWord(l.target, l.target_bytes, 4);
      l.k1 = codec::KeyWord(l.target, l.target_bytes, 12);
    }
  }
}

// Parses `text` (whole records) into `out`: each row's spine record and each view's
// lookup; the first bad record stops it, in out->error. `capacity`: rows to reserve
// room for.
void ParseSpineRows(const Plan& plan, const HistoricalRequest& request,
                    const std::vector<std::string>& labels, size_t event_column,
                    absl::string_view text, size_t capacity, SpineRows* out) {
  ReserveSpineRows(plan, text, capacity, out);
  CsvRecords records(text, &labels, request.max_record_bytes);
  const auto fail = [&](const absl::Status& status) {
    out->error = {records.line(), std::string(status.message())};
    out->error_code = status.code();
  };
  while (true) {
    auto more = records.NextRow(labels.size());
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
    auto t = ParseTimestamp(records.fields()[event_column], request.timestamp_unit);
    if (!t.ok()) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("column ", labels[event_column], ": ", t.status().message())));
    }
    const uint32_t row = KeepSpineRecord(records, out);
    for (size_t v = 0; v < plan.views.size(); ++v) {
      absl::Status added = AddLookup(plan.views[v], request, labels, records, *t, row,
                                     &out->keys, &out->lookups[v]);
      if (!added.ok()) return fail(added);
    }
  }
  out->lines = records.lines_read();
  ResolveTargets(out);
}

// Splits `ls` in two at an entity boundary near the middle (every lookup of an
// entity on one side); returns where the second part starts.
size_t PartitionLookups(std::vector<Lookup>* ls) {
  if (ls->size() < 2) return ls->size();
  std::vector<absl::string_view> sample;
  for (size_t i = 0; i < ls->size(); i += std::max<size_t>(1, ls->size() / 255)) {
    sample.push_back((*ls)[i].entity());
  }
  std::sort(sample.begin(), sample.end());
  const std::string pivot(sample[sample.size() / 2]);
  auto mid = std::partition(ls->begin(), ls->end(),
                            [&](const Lookup& l) { return l.entity() < pivot; });
  return mid - ls->begin();
}

// A sink that writes to two sinks.
class TeeSink : public ByteSink {
 public:
  TeeSink(ByteSink* a, ByteSink* b) : a_(a), b_(b) {}
  absl::Status Write(absl::string_view data) override {
    RETURN_IF_ERROR(a_->Write(data));
    return b_ == nullptr ? absl::OkStatus() : b_->Write(data);
  }
  absl::Status Close() override {
    RETURN_IF_ERROR(a_->Close());
    return b_ == nullptr ? absl::OkStatus() : b_->Close();
  }

 private:
  ByteSink* a_;
  ByteSink* b_;
};

std::string VersionRef(const store::Version& v) {
  return absl::StrCat(v.kind(), "/", v.name(), "@", v.number());
}

// Reads the position the join sees (the request's, else the store's at `snapshot`)
// and each view's retention horizon, and opens each view's log at `snapshot`.
absl::Status OpenLogs(const FeatureTables& tables, const internal::Db& db,
                      const rocksdb::Snapshot* snapshot, const HistoricalRequest& request,
                      Plan* plan) {
  plan->rules.as_of = request.as_of;
  plan->rules.created_cutoff = request.created_cutoff;
  if (request.at.has_value()) {
    plan->rules.at = *request.at;
  } else {
    ASSIGN_OR_RETURN(plan->rules.at, tables.Position(snapshot));
  }
  for (auto& vp : plan->views) {
    ASSIGN_OR_RETURN(vp.horizon, tables.Horizon(vp.view->def.name(), snapshot));
    if (vp.horizon.has_value()) {
      vp.sees_trim =
          SeesTrim(plan->rules.at, *vp.horizon) &&
          (!request.as_of.has_value() || *request.as_of >= vp.horizon->horizon_us());
    }
    vp.log = std::make_unique<FeatureLog>(db, snapshot, vp.view->id, vp.view->def.name());
  }
  return absl::OkStatus();
}

// The spine, read in blocks of whole records.
struct SpineBlocks {
  SpineBlocks(ByteSource* spine, const HistoricalRequest& request)
      : request(request),
        reader(spine, std::max<size_t>(request.spine_block_bytes, 1),
               request.max_record_bytes) {}

  // Reads the next block into `buffer`; false at the end of the spine.
  // Errors: the reader's; ResourceExhausted naming the line of a record too long.
  absl::StatusOr<bool> Next() {
    auto more = reader.Next(&buffer);
    if (more.status().code() == absl::StatusCode::kResourceExhausted) {
      // A record too long starts on the line after the blocks read.
      return absl::ResourceExhaustedError(absl::StrCat(
          request.spine_name, ":", line + 1, ": ", more.status().message()));
    }
    return more;
  }

  const HistoricalRequest& request;
  CsvBlockReader reader;
  ByteBuffer buffer;
  uint64_t line = 0;  // lines of the spine read so far
};

// The spine's header, as the join reads the rows.
struct SpineHeader {
  std::vector<std::string> labels;  // column names as errors print them
  size_t event_column;
  absl::string_view rest;  // the first block's records after the header
};

// Where the join writes: a format and the sink that receives it.
struct OutputTarget {
  std::unique_ptr<HistoricalOutput> format;
  ByteSink* sink;
};

// The result's columns: the spine's (typed where a requested view has a join key
// of the name: of the views by name, the last) and the features'.
ResultColumns Columns(const Plan& plan, const std::vector<std::string>& spine) {
  ResultColumns columns;
  columns.spine = spine;
  columns.spine_types.resize(spine.size());
  std::vector<const ResolvedView*> views;
  for (const ViewPlan& vp : plan.views) views.push_back(vp.view.get());
  std::sort(views.begin(), views.end(), [](const ResolvedView* a, const ResolvedView* b) {
    return a->def.name() < b->def.name();
  });
  for (size_t c = 0; c < spine.size(); ++c) {
    for (const ResolvedView* view : views) {
      for (size_t k = 0; k < view->join_key_names.size(); ++k) {
        if (view->join_key_names[k] == spine[c]) {
          columns.spine_types[c] = view->join_key_types[k];
        }
      }
    }
  }
  columns.features = plan.output_names;
  columns.feature_types = plan.output_types;
  return columns;
}

// Reads the spine's header from its first block, finds each view's join key
// columns (into `plan`) and writes the result's header to each output.
// Errors: InvalidArgument for an empty spine, a bad header or a missing column.
absl::StatusOr<SpineHeader> ReadSpineHeader(const HistoricalRequest& request,
                                            SpineBlocks* blocks, Plan* plan,
                                            std::vector<OutputTarget>& outputs) {
  ASSIGN_OR_RETURN(bool any, blocks->Next());
  if (!any)
    return absl::InvalidArgumentError("the spine is empty (it needs a header row)");
  auto header = ReadCsvHeader(blocks->reader, &blocks->buffer, request.max_record_bytes);
  absl::string_view block = blocks->buffer.view();
  if (!header.ok()) {
    return absl::Status(header.status().code(), absl::StrCat(request.spine_name, ":",
                                                             header.status().message()));
  }
  const uint64_t line = blocks->line = header->lines;
  const std::vector<std::string>& names = header->names;
  size_t event_column = SIZE_MAX;
  for (size_t c = 0; c < names.size(); ++c) {
    if (names[c] == "event_timestamp") event_column = c;
  }
  if (event_column == SIZE_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(
        request.spine_name, ":", line, ": the spine has no event_timestamp column"));
  }
  for (auto& vp : plan->views) {
    for (const std::string& key : vp.view->join_key_names) {
      auto it = std::find(names.begin(), names.end(), key);
      if (it == names.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(request.spine_name, ":", line, ": the spine has no column ", key,
                         " (a join key of feature view ", vp.view->def.name(), ")"));
      }
      vp.spine_key_columns.push_back(it - names.begin());
    }
  }
  const ResultColumns columns = Columns(*plan, names);
  for (OutputTarget& output : outputs) {
    std::string head;
    output.format->Begin(columns, &head);
    if (!head.empty()) RETURN_IF_ERROR(output.sink->Write(head));
  }
  block.remove_prefix(header->end);
  return SpineHeader{std::move(header->labels), event_column, block};
}

// One block of the spine, parsed: each row's spine record and each view's lookups.
struct Block {
  std::vector<absl::string_view> raws;      // into the block's text or `parts`
  std::vector<std::vector<Lookup>> lookups;  // per view; targets into `parts`
  SpineRows parts[2];
};

// Parses `text` (whole records) into `block`, its two halves on two threads;
// `line`: the spine's lines read before it, advanced past it.
// Errors: InvalidArgument or FailedPrecondition naming the spine's line.
absl::Status ParseBlock(const Plan& plan, const HistoricalRequest& request,
                        const SpineHeader& header, absl::string_view text, uint64_t* line,
                        Block* block) {
  const size_t cut = text.size() < (1 << 16)
                         ? text.size()
                         : WholeRecordsEnd(text.substr(0, text.size() / 2));
  // Lines bound the rows: the first part makes room for all of them, to take the
  // second's lookups without growing.
  const size_t lines_first = std::count(text.begin(), text.begin() + cut, '\n') + 1;
  const size_t lines_second = std::count(text.begin() + cut, text.end(), '\n') + 1;
  SpineRows* parts = block->parts;
  parts[0] = SpineRows();
  parts[1] = SpineRows();
  std::thread second([&] {
    ParseSpineRows(plan, request, header.labels, header.event_column, text.substr(cut),
                   lines_second, &parts[1]);
  });
  ParseSpineRows(plan, request, header.labels, header.event_column, text.substr(0, cut),
                 lines_first + lines_second, &parts[0]);
  second.join();
  for (int p = 0; p < 2; ++p) {
    if (parts[p].error.has_value()) {
      const uint64_t at = *line + (p == 1 ? parts[0].lines : 0) + parts[p].error->first;
      return absl::Status(
          parts[p].error_code,
          absl::StrCat(request.spine_name, ":", at, ": ", parts[p].error->second));
    }
  }
  *line += parts[0].lines + parts[1].lines;
  const auto base = static_cast<uint32_t>(parts[0].raws.size());
  block->raws = std::move(parts[0].raws);
  block->raws.insert(block->raws.end(), parts[1].raws.begin(), parts[1].raws.end());
  block->lookups.resize(plan.views.size());
  for (size_t v = 0; v < plan.views.size(); ++v) {
    block->lookups[v] = std::move(parts[0].lookups[v]);
    for (Lookup& l : parts[1].lookups[v]) {
      l.row += base;
      block->lookups[v].push_back(l);
    }
  }
  return absl::OkStatus();
}

// A block's answers: view v's value for row r is found[v][r] = (offset, length)
// in arenas[2 * v + side[v][r]], length UINT32_MAX when there is none.
struct Answers {
  std::vector<std::string> arenas;
  std::vector<std::vector<std::pair<uint64_t, uint32_t>>> found;
  std::vector<std::vector<uint8_t>> side;
};

// Looks every row of `block` up, view by view: the lookups are split at an entity
// into two key ranges, each sorted and swept by its own thread. Adds to `result`'s
// counts. Errors: RunLookups'.
absl::StatusOr<Answers> LookUpBlock(const Plan& plan, const HistoricalRequest& request,
                                    uint64_t row_base, Block* block,
                                    HistoricalResult* result) {
  const size_t rows = block->raws.size();
  Answers a;
  a.arenas.resize(plan.views.size() * 2);
  for (auto& arena : a.arenas) arena.reserve(rows * 64);  // a row of a few features each
  a.found.assign(plan.views.size(),
                 std::vector<std::pair<uint64_t, uint32_t>>(rows, {0, UINT32_MAX}));
  a.side.assign(plan.views.size(), std::vector<uint8_t>(rows));
  for (const Lookup& l : block->lookups[0]) {
    result->earliest_spine = std::min(result->earliest_spine.value_or(l.t), l.t);
  }
  for (size_t v = 0; v < plan.views.size(); ++v) {
    auto& ls = block->lookups[v];
    const size_t mid = PartitionLookups(&ls);
    for (size_t i = mid; i < ls.size(); ++i) a.side[v][ls[i].row] = 1;
    uint64_t matched[2] = {0, 0};
    Micros reads_from[2] = {INT64_MAX, INT64_MAX};
    absl::Status status[2];
    std::vector<std::pair<uint64_t, uint32_t>> found2(rows, {0, UINT32_MAX});
    std::thread helper([&] {
      std::sort(ls.begin() + mid, ls.end(), TargetLess);
      status[1] = RunLookups(plan.views[v], plan.rules, request, row_base,
                             ls.data() + mid, ls.data() + ls.size(), &a.arenas[2 * v + 1],
                             &found2, &matched[1], &reads_from[1]);
    });
    std::sort(ls.begin(), ls.begin() + mid, TargetLess);
    status[0] = RunLookups(plan.views[v], plan.rules, request, row_base, ls.data(),
                           ls.data() + mid, &a.arenas[2 * v], &a.found[v], &matched[0],
                           &reads_from[0]);
    helper.join();
    RETURN_IF_ERROR(status[0]);
    RETURN_IF_ERROR(status[1]);
    for (size_t r = 0; r < rows; ++r) {
      if (a.side[v][r]) a.found[v][r] = found2[r];
    }
    result->matched += matched[0] + matched[1];
    auto from = result->reads_from.try_emplace(plan.views[v].view->def.name(), INT64_MAX);
    from.first->second = std::min({from.first->second, reads_from[0], reads_from[1]});
  }
  return a;
}

// Formats rows [from, to) of `block` with their answers, into texts[k] for
// outputs[k]. Errors: DataLoss for a malformed row.
absl::Status FormatRows(const Plan& plan, const Block& block, const Answers& answers,
                        const std::vector<OutputTarget>& outputs, size_t from, size_t to,
                        std::vector<std::string>* texts) {
  // Reserved once: growing by doubling would copy the text and fault in twice the
  // memory.
  size_t spine_bytes = 0;
  for (size_t r = from; r < to; ++r) spine_bytes += block.raws[r].size();
  texts->resize(outputs.size());
  for (std::string& o : *texts) {
    o.reserve(spine_bytes + (to - from) * (2 + 12 * plan.output_names.size()));
  }
  std::vector<Value> values;
  std::vector<Value> row(plan.output_names.size());
  for (size_t r = from; r < to; ++r) {
    for (size_t v = 0; v < plan.views.size(); ++v) {
      const ViewPlan& vp = plan.views[v];
      const auto [off, len] = answers.found[v][r];
      if (len == UINT32_MAX) {
        for (size_t f = 0; f < vp.columns.size(); ++f) row[vp.output[f]] = std::monostate();
        continue;
      }
      const std::string& arena = answers.arenas[2 * v + answers.side[v][r]];
      values.resize(vp.columns.size());
      RETURN_IF_ERROR(codec::ReadRow(absl::string_view(arena).substr(off, len), vp.slots,
                                     vp.view->column_types, &values));
      for (size_t f = 0; f < vp.columns.size(); ++f) std::swap(row[vp.output[f]], values[f]);
    }
    for (size_t k = 0; k < outputs.size(); ++k) {
      outputs[k].format->AppendRow(block.raws[r], row, &(*texts)[k]);
    }
  }
  return absl::OkStatus();
}

// Writes the block's rows in spine order to each output, formatted on two threads.
absl::Status WriteBlock(const Plan& plan, const Block& block, const Answers& answers,
                        const std::vector<OutputTarget>& outputs) {
  const size_t rows = block.raws.size();
  std::vector<std::string> halves[2];
  absl::Status status[2];
  std::thread formatter([&] {
    status[1] = FormatRows(plan, block, answers, outputs, rows / 2, rows, &halves[1]);
  });
  status[0] = FormatRows(plan, block, answers, outputs, 0, rows / 2, &halves[0]);
  formatter.join();
  RETURN_IF_ERROR(status[0]);
  RETURN_IF_ERROR(status[1]);
  for (size_t k = 0; k < outputs.size(); ++k) {
    RETURN_IF_ERROR(outputs[k].sink->Write(halves[0][k]));
    RETURN_IF_ERROR(outputs[k].sink->Write(halves[1][k]));
  }
  return absl::OkStatus();
}

// The join: reads the spine in blocks, looks each block's rows up and writes them
// to every output, then closes the outputs' sinks.
absl::StatusOr<HistoricalResult> Join(const ViewCatalog& views, const FeatureTables& tables,
                                      const internal::Db& db,
                                      const HistoricalRequest& request, ByteSource& spine,
                                      std::vector<OutputTarget>& outputs) {
  ASSIGN_OR_RETURN(Plan plan, MakePlan(views, request));
  // One snapshot for the position, the retention horizons and the log: a trim
  // records its horizon before it removes rows, so a snapshot without the horizon
  // has all the rows.
  rocksdb::ManagedSnapshot snapshot(db.raw());
  RETURN_IF_ERROR(OpenLogs(tables, db, snapshot.snapshot(), request, &plan));
  HistoricalResult result;
  for (const auto& vp : plan.views)
    result.view_versions[vp.view->def.name()] = vp.view->version;
  result.at = plan.rules.at;

  RETURN_IF_ERROR(CheckMaxRecordBytes(request.max_record_bytes, "max_record_bytes"));
  SpineBlocks blocks(&spine, request);
  ASSIGN_OR_RETURN(SpineHeader header, ReadSpineHeader(request, &blocks, &plan, outputs));
  absl::string_view block = header.rest;
  Block rows;
  while (true) {
    RETURN_IF_ERROR(ParseBlock(plan, request, header, block, &blocks.line, &rows));
    const uint64_t row_base = result.rows + 1;
    result.rows += rows.raws.size();
    if (request.max_spine_rows > 0 && result.rows > request.max_spine_rows) {
      return absl::ResourceExhaustedError(absl::StrCat(
          request.spine_name, " has more than ", request.max_spine_rows, " rows"));
    }
    ASSIGN_OR_RETURN(Answers answers, LookUpBlock(plan, request, row_base, &rows, &result));
    RETURN_IF_ERROR(WriteBlock(plan, rows, answers, outputs));
    ASSIGN_OR_RETURN(bool more, blocks.Next());
    if (!more) break;
    block = blocks.buffer.view();
  }
  for (OutputTarget& output : outputs) RETURN_IF_ERROR(output.sink->Close());
  return result;
}

// Copies the spine of a training set to `copy`: the stored dataset version `spine`
// names (returned), or the file, to be stored as `spine_nv` once the retrieval
// succeeded (nullopt; checked now). Errors: the store's for an unknown version;
// InvalidArgument for spine inputs with a stored spine; as ArtifactStore::Check.
absl::StatusOr<std::optional<store::Version>> CopySpine(Store& store,
                                                        const std::string& spine,
                                                        const NewVersion& spine_nv,
                                                        const std::string& copy) {
  if (spine.rfind("dataset/", 0) != 0) {
    RETURN_IF_ERROR(store.artifacts().Check(spine_nv));
    ASSIGN_OR_RETURN(auto source, OpenFileSource(spine));
    RETURN_IF_ERROR(CopyToFile(*source, copy));
    return std::nullopt;
  }
  ASSIGN_OR_RETURN(Ref ref, ParseRef(spine));
  ASSIGN_OR_RETURN(store::Version version, store.artifacts().Resolve(ref));
  if (!spine_nv.inputs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spine inputs are for a spine stored with the training set; ",
        VersionRef(version), " has its inputs already (give them as inputs)"));
  }
  RETURN_IF_ERROR(SpoolContent(store, version, copy));
  return version;
}

// What a saved training set records besides its content: the view versions used as
// inputs, the request with the ingest position it saw, and the log it read.
void RecordRequest(const HistoricalRequest& request, const SavedResult& saved,
                   NewVersion* nv) {
  nv->inputs.push_back(saved.spine);
  std::vector<std::string> views;
  for (const auto& [name, version] : saved.result.view_versions) {
    nv->inputs.push_back(absl::StrCat("featureview/", name, "@", version));
    views.push_back(absl::StrCat(name, "@", version));
  }
  auto& m = nv->metadata;
  m["request.features"] = absl::StrJoin(request.features, ",");
  m["request.views"] = absl::StrJoin(views, ",");
  m["request.spine"] = saved.spine;
  if (request.as_of.has_value()) m["request.as_of"] = FormatTimestamp(*request.as_of);
  m["request.created_cutoff"] = request.created_cutoff ? "true" : "false";
  m["request.full_names"] = request.full_names ? "true" : "false";
  m["request.timestamp_unit"] = std::string(TimeUnitName(request.timestamp_unit));
  m["request.ingest_position"] = absl::StrCat(saved.result.at.position);
  m["request.ingest_pending"] = absl::StrJoin(saved.result.at.pending, ",");
  m["rows"] = absl::StrCat(saved.result.rows);
  RecordLogReads(saved.result, &m);
}

}  // namespace

absl::StatusOr<HistoricalResult> FeatureStore::Historical(
    const HistoricalRequest& request, ByteSource& spine, ByteSink& out) const {
  std::vector<OutputTarget> outputs;
  outputs.push_back({NewHistoricalOutput(request.format), &out});
  return Join(*views_, *tables_, DatabaseOf(*store_), request, spine, outputs);
}

absl::StatusOr<HistoricalResult> FeatureStore::Historical(
    const HistoricalRequest& request, const std::string& spine, ByteSink& out) const {
  if (spine.rfind("dataset/", 0) != 0) {
    ASSIGN_OR_RETURN(auto source, OpenFileSource(spine));
    return Historical(request, *source, out);
  }
  // Stored content is read from a verified copy.
  ASSIGN_OR_RETURN(Ref ref, ParseRef(spine));
  ASSIGN_OR_RETURN(store::Version version, store_->artifacts().Resolve(ref));
  ScratchPath copy(*store_, "spine");
  RETURN_IF_ERROR(SpoolContent(*store_, version, copy.path()));
  ASSIGN_OR_RETURN(auto source, OpenFileSource(copy.path()));
  return Historical(request, *source, out);
}

absl::StatusOr<SavedResult> FeatureStore::SaveHistorical(const HistoricalRequest& request,
                                                         const std::string& spine,
                                                         const std::string& dataset_name,
                                                         const Actor& creator,
                                                         const std::string& message,
                                                         ByteSink* out,
                                                         const SaveLineage& lineage) {
  if (absl::Status s = ValidateArtifactName(dataset_name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("dataset ", s.message()));
  }
  // Check the request before storing anything.
  RETURN_IF_ERROR(MakePlan(*views_, request).status());
  SavedResult saved;
  // The spine is read from a private copy, and nothing is stored until the
  // retrieval succeeded: a bad spine leaves the store as it was.
  ScratchPath spine_file(*store_, "spine");
  NewVersion spine_nv;
  spine_nv.artifact = {Kind::kDataset, absl::StrCat(dataset_name, "-spine")};
  spine_nv.inputs = lineage.spine_inputs;
  spine_nv.creator = creator;
  spine_nv.message = absl::StrCat("spine of dataset/", dataset_name);
  ASSIGN_OR_RETURN(std::optional<store::Version> spine_version,
                   CopySpine(*store_, spine, spine_nv, spine_file.path()));
  NewVersion nv;
  nv.artifact = {Kind::kDataset, dataset_name};
  nv.inputs = lineage.inputs;
  RETURN_IF_ERROR(store_->artifacts().Check(nv));

  ScratchPath result_file(*store_, "result");
  {
    ASSIGN_OR_RETURN(auto source, OpenFileSource(spine_file.path()));
    RETURN_IF_ERROR(WriteFile(result_file.path(), [&](ByteSink& file) -> absl::Status {
      // Stored as CSV; `out` gets the request's format, from the same rows.
      TeeSink tee(&file, request.format == ResultFormat::kCsv ? out : nullptr);
      std::vector<OutputTarget> outputs;
      outputs.push_back({NewCsvOutput(), &tee});
      if (out != nullptr && request.format != ResultFormat::kCsv) {
        outputs.push_back({NewHistoricalOutput(request.format), out});
      }
      ASSIGN_OR_RETURN(saved.result, Join(*views_, *tables_, DatabaseOf(*store_), request,
                                          *source, outputs));
      return absl::OkStatus();
    }));
  }
  if (!spine_version.has_value()) {
    ASSIGN_OR_RETURN(auto source, OpenFileSource(spine_file.path()));
    ASSIGN_OR_RETURN(PutStats put, store_->content().Put(*source));
    spine_nv.content_id = put.content_id;
    ASSIGN_OR_RETURN(CommitResult c, store_->artifacts().Commit(spine_nv));
    spine_version = c.version;
  }
  saved.spine = VersionRef(*spine_version);
  ASSIGN_OR_RETURN(auto source, OpenFileSource(result_file.path()));
  ASSIGN_OR_RETURN(PutStats put, store_->content().Put(*source));

  nv.content_id = put.content_id;
  nv.creator = creator;
  nv.message = message.empty() ? "point-in-time training set" : message;
  RecordRequest(request, saved, &nv);
  ASSIGN_OR_RETURN(CommitResult c, store_->artifacts().Commit(nv));
  saved.dataset = VersionRef(c.version);
  return saved;
}

absl::StatusOr<ReproduceResult> FeatureStore::Reproduce(const std::string& dataset_ref,
                                                        ByteSink* out) const {
  ASSIGN_OR_RETURN(Ref ref, ParseRef(dataset_ref));
  ASSIGN_OR_RETURN(store::Version v, store_->artifacts().Resolve(ref));
  ASSIGN_OR_RETURN(HistoricalRequest request, SavedRequest(v));

  HashingSink hash;
  TeeSink tee(&hash, out);
  ReproduceResult r;
  absl::StatusOr<HistoricalResult> result = Historical(request, request.spine_name, tee);
  if (absl::IsFailedPrecondition(result.status())) {
    // Most likely a trim: say which, and when, before what the retrieval refused.
    std::string trims;
    for (const auto& [view, version] : request.view_versions) {
      ASSIGN_OR_RETURN(auto h, tables_->Horizon(view));
      if (!h.has_value()) continue;
      absl::StrAppend(&trims, trims.empty() ? "" : "; ", "feature view ", view,
                      "'s offline log was trimmed to ", FormatTimestamp(h->horizon_us()),
                      " on ", FormatTimestamp(h->trimmed_us()));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot reproduce ", VersionRef(v), ": ",
                     trims.empty() ? "" : absl::StrCat(trims, " ("),
                     result.status().message(), trims.empty() ? "" : ")"));
  }
  ASSIGN_OR_RETURN(r.result, std::move(result));
  r.reproduced = hash.Finish();
  ASSIGN_OR_RETURN(r.recorded, Digest::FromRaw(v.content_id()));
  r.identical = r.recorded == r.reproduced;
  return r;
}

}  // namespace strata::features
