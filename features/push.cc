// FeatureStore::PushOnline: rows written straight to the online table (Feast's push
// to "online"), as upserts that the table weighs against the stored row like an
// ingest's (OnlineTable: newest wins).
#include <algorithm>
#include <iterator>
#include <shared_mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "features/codec.h"
#include "features/csv.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "features/online_serving.h"
#include "features/rules.h"
#include "features/tables.h"
#include "features/view_catalog.h"
#include "store/database.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/excerpt.h"
#include "store/io.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

// Longest entity key: what ingest allows (a 4096-byte log key less the view id and
// the two times).
constexpr size_t kMaxEntityBytes = 4096 - 4 - 16;

// Whether `v` holds what a column of `type` holds (null aside).
bool HoldsType(const Value& v, ValueType type) {
  switch (type) {
    case VALUE_TYPE_INT64:
    case VALUE_TYPE_TIMESTAMP:
      return std::holds_alternative<int64_t>(v);
    case VALUE_TYPE_DOUBLE:
      return std::holds_alternative<double>(v);
    case VALUE_TYPE_BOOL:
      return std::holds_alternative<bool>(v);
    default:  // string, bytes
      return std::holds_alternative<std::string>(v);
  }
}

// Where each pushed column goes: a join key, the times, or a feature.
struct PushColumns {
  const std::vector<Value>* event = nullptr;
  const std::vector<Value>* created = nullptr;
  std::vector<const std::vector<Value>*> keys;      // by join key
  std::vector<const std::vector<Value>*> features;  // by feature index; null: absent
};

// InvalidArgument unless each of column `name`'s values is of `type` (or a null
// where `nullable`), and, for a row time, inside `window`.
absl::Status CheckPushValues(const std::string& name, const std::vector<Value>& values,
                             ValueType type, bool nullable, bool row_time,
                             const PlausibleTime& window) {
  for (size_t i = 0; i < values.size(); ++i) {
    const Value& v = values[i];
    if (v.index() == 0) {
      if (nullable) continue;
      return absl::InvalidArgumentError(
          absl::StrCat("column ", name, " row ", i + 1, ": null"));
    }
    if (!HoldsType(v, type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column ", name, " row ", i + 1, ": expected ", ValueTypeName(type)));
    }
    if (row_time) {
      if (absl::Status s = CheckRowTime(std::get<int64_t>(v), window); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("column ", name, " row ", i + 1, ": ", s.message()));
      }
    }
  }
  return absl::OkStatus();
}

// Places and checks each of `rows`' columns (`n` values each) for view `def`.
// Errors: InvalidArgument for a column of another length, named twice, unknown or
// holding a wrong value, and for a missing join key or event_timestamp column.
absl::StatusOr<PushColumns> MapPushColumns(const ResolvedView& def, const RowColumns& rows,
                                           size_t n) {
  const PlausibleTime window = PlausibleTimeOf(def.def);
  PushColumns out;
  out.keys.resize(def.join_key_names.size());
  out.features.resize(def.def.features_size());
  for (size_t c = 0; c < rows.size(); ++c) {
    const auto& [name, values] = rows[c];
    if (values.size() != n) {
      return absl::InvalidArgumentError(absl::StrCat("column ", name, " has ",
                                                     Count(values.size(), "value"), ", but ",
                                                     rows.front().first, " has ", n));
    }
    for (size_t d = 0; d < c; ++d) {
      if (rows[d].first == name) {
        return absl::InvalidArgumentError(
            absl::StrCat("column ", name, " appears twice"));
      }
    }
    const auto key =
        std::find(def.join_key_names.begin(), def.join_key_names.end(), name);
    const std::vector<Value>** slot = nullptr;
    ValueType type = VALUE_TYPE_TIMESTAMP;
    bool nullable = true, row_time = false;
    if (key != def.join_key_names.end()) {
      slot = &out.keys[key - def.join_key_names.begin()];
      type = def.join_key_types[key - def.join_key_names.begin()];
      nullable = false;
    } else if (name == "event_timestamp") {
      slot = &out.event;
      nullable = false;
      row_time = true;
    } else if (name == "created_timestamp") {
      slot = &out.created;
      row_time = true;
    } else if (const int f = def.FeatureIndex(name); f >= 0) {
      slot = &out.features[f];
      type = def.def.features(f).type();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown column ", name, ": feature view ", def.def.name(),
          " has its join keys, event_timestamp, created_timestamp and its features"));
    }
    *slot = &values;
    RETURN_IF_ERROR(CheckPushValues(name, values, type, nullable, row_time, window));
  }
  for (size_t k = 0; k < out.keys.size(); ++k) {
    if (out.keys[k] == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("join key column ", def.join_key_names[k], " is missing"));
    }
  }
  if (out.event == nullptr) {
    return absl::InvalidArgumentError("column event_timestamp is missing");
  }
  return out;
}

// Each row's entity (its join key values, encoded).
// Errors: InvalidArgument for an entity longer than an ingest allows.
absl::StatusOr<std::vector<std::string>> PushEntities(const PushColumns& columns,
                                                      size_t n) {
  std::vector<std::string> entities(n);
  for (size_t i = 0; i < n; ++i) {
    for (const auto* column : columns.keys) {
      codec::AppendEntityPart(&entities[i], (*column)[i]);
    }
    if (entities[i].size() > kMaxEntityBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", i + 1, ": join key values are ", entities[i].size(),
                       " bytes; at most ", kMaxEntityBytes));
    }
  }
  return entities;
}

// The online rows of the pushed rows: created now unless they say when, and
// versioned with the ingest position `at` as an ingest's would be.
std::vector<OnlineRow> EncodePushRows(const ResolvedView& view, const PushColumns& columns,
                                      const std::vector<std::string>& entities,
                                      uint64_t at, Micros now) {
  const std::string prefix = view.Prefix();
  const Value null;
  std::vector<codec::Cell> cells(view.def.features_size());
  std::vector<OnlineRow> online(entities.size());
  for (size_t i = 0; i < entities.size(); ++i) {
    auto& [key, value] = online[i];
    key = prefix + entities[i];
    const Micros created_at = columns.created != nullptr && (*columns.created)[i].index() != 0
                                  ? std::get<int64_t>((*columns.created)[i])
                                  : now;
    codec::AppendOnlineHeader(&value, std::get<int64_t>((*columns.event)[i]), created_at,
                              at);
    for (size_t f = 0; f < cells.size(); ++f) {
      cells[f] = {view.feature_columns[f],
                  columns.features[f] != nullptr ? &(*columns.features[f])[i] : &null};
    }
    codec::AppendRow(&value, cells, view.column_types);
  }
  return online;
}

// The quarantine CSV of the pushed rows of `columns` broken under drop: the view's
// join keys, event_timestamp, created_timestamp and features (as an ingest's
// quarantine), then `line` (the row of the push, from 1) and `rule`.
std::string PushQuarantineCsv(const ResolvedView& view, const PushColumns& columns,
                              const std::vector<std::pair<size_t, std::string>>& broken) {
  std::vector<std::pair<const std::vector<Value>*, ValueType>> cells;
  std::string csv;
  const auto header = [&](const std::string& name, const std::vector<Value>* values,
                          ValueType type) {
    AppendCsvField(name, false, &csv);
    csv += ',';
    cells.emplace_back(values, type);
  };
  for (size_t k = 0; k < view.join_key_names.size(); ++k) {
    header(view.join_key_names[k], columns.keys[k], view.join_key_types[k]);
  }
  header("event_timestamp", columns.event, VALUE_TYPE_TIMESTAMP);
  header("created_timestamp", columns.created, VALUE_TYPE_TIMESTAMP);
  for (int f = 0; f < view.def.features_size(); ++f) {
    header(view.def.features(f).name(), columns.features[f], view.def.features(f).type());
  }
  csv += "line,rule\n";
  std::string text;
  for (const auto& [row, rules] : broken) {
    for (const auto& [values, type] : cells) {
      text.clear();
      if (values != nullptr) AppendValueText((*values)[row], type, &text);
      AppendCsvField(text, false, &csv);
      csv += ',';
    }
    absl::StrAppend(&csv, row + 1, ",");
    AppendCsvField(rules, false, &csv);
    csv += '\n';
  }
  return csv;
}

// Applies `view`'s validation rules to the `n` pushed rows of `columns`: fills
// `outcome`; under drop, `kept` gets the rows keeping the rules (else stays empty)
// and `quarantine` the others as CSV (PushQuarantineCsv).
// Errors: InvalidArgument under reject when a row breaks a rule, and under drop when
// every row does.
absl::Status ApplyPushRules(const ResolvedView& view, const RowColumns& rows,
                            const PushColumns& columns, size_t n, RulesOutcome* outcome,
                            RowColumns* kept, std::string* quarantine) {
  ASSIGN_OR_RETURN(ViewRules rules, ViewRules::Compile(view.def));
  if (rules.empty()) return absl::OkStatus();
  outcome->on_invalid = std::string(OnInvalidName(rules.on_invalid()));
  std::vector<bool> keep(n, true);
  std::vector<uint64_t> nulls(columns.features.size(), 0);
  std::vector<std::pair<size_t, std::string>> dropped;  // row, the rules it broke
  std::string broken, text, row_rules;
  const Value null;
  for (size_t i = 0; i < n; ++i) {
    bool ok = true;
    row_rules.clear();
    for (size_t f = 0; f < columns.features.size(); ++f) {
      const Value& v = columns.features[f] != nullptr ? (*columns.features[f])[i] : null;
      if (v.index() == 0) ++nulls[f];
      if (rules.CheckValue(f, v, &broken)) continue;
      ok = false;
      ++outcome->violations;
      if (!row_rules.empty()) row_rules += "; ";
      absl::StrAppend(&row_rules, view.def.features(f).name(), " ", broken);
      if (outcome->examples.size() < kMaxViolationExamples) {
        text.clear();
        AppendValueText(v, view.def.features(f).type(), &text);
        outcome->examples.push_back({"df", i + 1, view.def.features(f).name(),
                                     v.index() == 0 ? std::string() : Excerpt(text),
                                     broken});
      }
    }
    if (!ok) {
      ++outcome->invalid_rows;
      dropped.emplace_back(i, row_rules);
    }
    keep[i] = ok;
  }
  outcome->batch = rules.CheckNulls(nulls, n);
  for (std::string& b : outcome->batch) b = absl::StrCat("df: ", b);
  const OnInvalid mode = rules.on_invalid();
  if ((mode == OnInvalid::kReject && outcome->violations > 0) ||
      (mode != OnInvalid::kWarn && !outcome->batch.empty())) {
    return RulesError(*outcome, n);
  }
  if (mode != OnInvalid::kDrop || outcome->invalid_rows == 0) return absl::OkStatus();
  if (outcome->invalid_rows == n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "every row breaks the validation rules of feature view ", view.def.name(),
        " (on_invalid: drop): nothing to push\n", RulesError(*outcome, n).message()));
  }
  *quarantine = PushQuarantineCsv(view, columns, dropped);
  for (const auto& [name, values] : rows) {
    std::vector<Value> filtered;
    for (size_t i = 0; i < n; ++i) {
      if (keep[i]) filtered.push_back(values[i]);
    }
    kept->emplace_back(name, std::move(filtered));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FeatureStore::PushOnline(const std::string& view_name,
                                      const RowColumns& rows, Micros now) {
  return PushOnline({ViewRows{view_name, rows}}, now);
}

absl::Status FeatureStore::PushOnline(const std::vector<ViewRows>& views, Micros now,
                                      std::vector<RulesOutcome>* rules,
                                      const Actor& creator) {
  if (views.empty()) return absl::InvalidArgumentError("no feature views");
  // Every view's rows are checked before anything is written.
  struct Checked {
    std::shared_ptr<ResolvedView> view;
    PushColumns columns;
    std::vector<std::string> entities;
    std::unique_ptr<RowColumns> kept;  // under drop: the rows `columns` points into
    std::string quarantine;            // under drop: the rows left out, as CSV
  };
  std::vector<RulesOutcome> outcomes(views.size());
  std::vector<Checked> checked;
  for (const auto& [view_name, rows] : views) {
    ASSIGN_OR_RETURN(auto latest, views_->View(view_name, 0));
    if (rows.empty()) return absl::InvalidArgumentError("no columns");
    const size_t n = rows.front().second.size();
    ASSIGN_OR_RETURN(PushColumns columns, MapPushColumns(*latest, rows, n));
    if (n == 0) return absl::InvalidArgumentError("no rows");
    auto kept = std::make_unique<RowColumns>();
    std::string quarantine;
    RETURN_IF_ERROR(ApplyPushRules(*latest, rows, columns, n, &outcomes[checked.size()],
                                   kept.get(), &quarantine));
    size_t rows_kept = n;
    if (!kept->empty()) {
      rows_kept = kept->front().second.size();
      ASSIGN_OR_RETURN(columns, MapPushColumns(*latest, *kept, rows_kept));
    }
    ASSIGN_OR_RETURN(std::vector<std::string> entities, PushEntities(columns, rows_kept));
    checked.push_back({std::make_shared<ResolvedView>(*latest), std::move(columns),
                       std::move(entities), std::move(kept), std::move(quarantine)});
  }
  // The rows left out under drop are kept before the others are written, so that
  // none is lost (a failed write leaves a quarantine for rows never pushed, which a
  // retry quarantines again).
  for (size_t v = 0; v < checked.size(); ++v) {
    const Checked& c = checked[v];
    if (c.quarantine.empty()) continue;
    const std::string view_version =
        absl::StrCat("featureview/", views[v].view, "@", c.view->version);
    NewVersion request;
    request.inputs.push_back(view_version);
    request.metadata["view"] = view_version;
    request.metadata["push"] = "online";
    request.metadata["rows"] = absl::StrCat(outcomes[v].invalid_rows);
    request.creator = creator;
    request.message = absl::StrCat("pushed rows breaking the rules of ", view_version,
                                   " (on_invalid: drop)");
    ASSIGN_OR_RETURN(outcomes[v].quarantine,
                     StoreQuarantine(*store_, views[v].view, c.quarantine, std::move(request)));
  }
  if (rules != nullptr) *rules = outcomes;

  // Checked: now the column dictionaries, then the rows, of every view at once.
  std::vector<std::string> subjects, record_keys;
  for (size_t v = 0; v < views.size(); ++v) {
    RETURN_IF_ERROR(tables_->Register(checked[v].view.get()));
    views_->Forget(views[v].view);
    subjects.push_back(absl::StrCat("featureview/", views[v].view));
    record_keys.push_back(OnlinePushKey(views[v].view));
  }
  ASSIGN_OR_RETURN(IngestPosition at, tables_->Position());
  std::vector<OnlineRow> online;
  for (const Checked& c : checked) {
    std::vector<OnlineRow> rows =
        EncodePushRows(*c.view, c.columns, c.entities, at.position, now);
    std::move(rows.begin(), rows.end(), std::back_inserter(online));
  }
  internal::Db& db = DatabaseOf(*store_);
  OnlinePushRecord record;
  record.set_last_push_us(now);
  const std::string record_bytes = record.SerializeAsString();
  auto repair = online_->LockForPush();
  return online_->Write(
      {.upserts = online},
      Change{ChangeKind::kPushOnline, absl::StrJoin(subjects, ",")},
      [&](rocksdb::Transaction* txn) -> absl::Status {
        for (const std::string& key : record_keys) {
          RETURN_IF_ERROR(internal::FromRocks(
              txn->PutUntracked(db.cf(internal::Cf::kFeatureMeta), key, record_bytes),
              "write"));
        }
        return absl::OkStatus();
      });
}

}  // namespace strata::features
