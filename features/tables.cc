#include "features/tables.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/definitions.h"
#include "store/internal/records.h"
#include "store/internal/rocks_status.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

using internal::Cf;

constexpr absl::string_view kViewIdKey = "view_id";       // last view id given
constexpr absl::string_view kSequenceKey = "ingest_seq";  // last ingest number given
constexpr absl::string_view kCommittedKey = "committed";  // largest committed ingest

std::string ViewKey(absl::string_view name) { return absl::StrCat("v/", name); }
std::string PendingKey(uint64_t ingest) {
  std::string key = "p/";
  codec::PutBE64(&key, ingest);
  return key;
}
std::string HorizonKey(absl::string_view name) { return absl::StrCat("h/", name); }
std::string IngestKey(uint64_t ingest) {
  std::string key = "i/";
  codec::PutBE64(&key, ingest);
  return key;
}

absl::StatusOr<uint64_t> ReadCounter(rocksdb::Transaction* txn, const internal::Db& db,
                                     absl::string_view key) {
  ASSIGN_OR_RETURN(auto value, internal::GetForUpdate(txn, db, Cf::kFeatureMeta, key));
  if (!value.has_value()) return 0;
  if (value->size() != 8) {
    return absl::DataLossError(absl::StrCat("unreadable feature counter ", key));
  }
  return codec::GetBE64(value->data());
}

absl::Status WriteCounter(rocksdb::Transaction* txn, const internal::Db& db,
                          absl::string_view key, uint64_t v) {
  std::string bytes;
  codec::PutBE64(&bytes, v);
  return internal::FromRocks(
      txn->Put(db.cf(Cf::kFeatureMeta), internal::ToSlice(key), bytes), "write");
}

// Fills the derived fields of `view` from `state`.
void Apply(const ViewState& state, ResolvedView* view) {
  view->id = state.id();
  view->column_types.clear();
  for (const ViewColumn& c : state.columns()) {
    if (c.id() >= view->column_types.size()) {
      view->column_types.resize(c.id() + 1, VALUE_TYPE_UNSPECIFIED);
    }
    view->column_types[c.id()] = c.type();
  }
  // A column is a (name, type): a feature removed and added back with another type
  // is a new column, and the rows of the old one do not read as it.
  view->feature_columns.assign(view->def.features_size(), UINT32_MAX);
  for (int i = 0; i < view->def.features_size(); ++i) {
    for (const ViewColumn& c : state.columns()) {
      if (c.name() == view->def.features(i).name() &&
          c.type() == view->def.features(i).type()) {
        view->feature_columns[i] = c.id();
      }
    }
  }
}

}  // namespace

int ResolvedView::FeatureIndex(absl::string_view feature) const {
  auto it = feature_index.find(feature);
  return it == feature_index.end() ? -1 : it->second;
}

std::string ResolvedView::Prefix() const {
  std::string p;
  codec::PutBE32(&p, id);
  return p;
}

absl::Status FeatureTables::Load(ResolvedView* view) const {
  view->feature_index.clear();
  for (int i = 0; i < view->def.features_size(); ++i) {
    view->feature_index[view->def.features(i).name()] = i;
  }
  view->join_key_names.clear();
  view->join_key_types.clear();
  for (const Entity& e : view->def.entities()) {
    for (const JoinKey& k : e.join_keys()) {
      view->join_key_names.push_back(k.name());
      view->join_key_types.push_back(k.type());
    }
  }
  ASSIGN_OR_RETURN(auto state, internal::ReadRecord<ViewState>(*db_, Cf::kFeatureMeta,
                                                               ViewKey(view->def.name()),
                                                               "feature view state"));
  Apply(state.value_or(ViewState()), view);
  return absl::OkStatus();
}

absl::Status FeatureTables::Register(ResolvedView* view) {
  RETURN_IF_ERROR(Load(view));
  const bool complete =
      view->id != 0 &&
      std::find(view->feature_columns.begin(), view->feature_columns.end(), UINT32_MAX) ==
          view->feature_columns.end();
  if (complete) return absl::OkStatus();
  const std::string key = ViewKey(view->def.name());
  auto state = internal::CommitChange(
      *db_,
      Change{ChangeKind::kRegisterView, absl::StrCat("featureview/", view->def.name())},
      [&](rocksdb::Transaction* txn) -> absl::StatusOr<ViewState> {
        ASSIGN_OR_RETURN(auto stored,
                         internal::LockRecord<ViewState>(txn, *db_, Cf::kFeatureMeta, key,
                                                         "feature view state"));
        ViewState s = stored.value_or(ViewState());
        if (s.id() == 0) {
          ASSIGN_OR_RETURN(uint64_t last, ReadCounter(txn, *db_, kViewIdKey));
          s.set_id(static_cast<uint32_t>(last + 1));
          RETURN_IF_ERROR(WriteCounter(txn, *db_, kViewIdKey, last + 1));
        }
        uint32_t next = 0;
        for (const ViewColumn& c : s.columns()) next = std::max(next, c.id() + 1);
        for (const Feature& f : view->def.features()) {
          bool found = false;
          for (const ViewColumn& c : s.columns()) {
            found = found || (c.name() == f.name() && c.type() == f.type());
          }
          if (found) continue;
          ViewColumn* c = s.add_columns();
          c->set_name(f.name());
          c->set_type(f.type());
          c->set_id(next++);
        }
        RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kFeatureMeta, key, s));
        return s;
      });
  if (!state.ok()) return state.status();
  Apply(*state, view);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FeatureTables::Reserve(const std::string& view) {
  Change change{ChangeKind::kReserveIngest, {}};
  return internal::CommitChange(
      *db_, change, [&](rocksdb::Transaction* txn) -> absl::StatusOr<uint64_t> {
        ASSIGN_OR_RETURN(uint64_t last, ReadCounter(txn, *db_, kSequenceKey));
        RETURN_IF_ERROR(WriteCounter(txn, *db_, kSequenceKey, last + 1));
        PendingIngest pending;
        pending.set_view(view);
        pending.set_started_us(internal::NowMicros());
        RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kFeatureMeta,
                                            PendingKey(last + 1), pending));
        change.subject = absl::StrCat("ingest/", last + 1);
        return last + 1;
      });
}

absl::Status FeatureTables::Commit(const IngestRecord& record,
                                  const std::string& view_node,
                                  const std::vector<OnlineRow>& online) {
  return online_->Write(
      {.upserts = online},
      Change{ChangeKind::kCommitIngest, absl::StrCat("ingest/", record.ingest())},
      [&](rocksdb::Transaction* txn) { return WriteCommitRecords(txn, record, view_node); });
}

absl::Status FeatureTables::WriteCommitRecords(rocksdb::Transaction* txn,
                                               const IngestRecord& record,
                                               const std::string& view_node) {
  ASSIGN_OR_RETURN(uint64_t committed, ReadCounter(txn, *db_, kCommittedKey));
  if (record.ingest() > committed) {
    RETURN_IF_ERROR(WriteCounter(txn, *db_, kCommittedKey, record.ingest()));
  }
  RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kFeatureMeta,
                                      IngestKey(record.ingest()), record));
  RETURN_IF_ERROR(internal::FromRocks(
      txn->Delete(db_->cf(Cf::kFeatureMeta), PendingKey(record.ingest())), "write"));
  RETURN_IF_ERROR(internal::PutEdge(txn, *db_, record.dataset(), view_node,
                                    store::EDGE_KIND_FED, record.received_us()));
  for (const std::string& input : record.inputs()) {
    RETURN_IF_ERROR(internal::PutEdge(txn, *db_, input, view_node, store::EDGE_KIND_FED,
                                      record.received_us()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IngestRecord>> FeatureTables::Ingests(uint64_t from) const {
  std::vector<IngestRecord> out;
  for (auto it = db_->Scan(Cf::kFeatureMeta, "i/"); it->Valid(); it->Next()) {
    if (it->key() < IngestKey(from)) continue;
    ASSIGN_OR_RETURN(IngestRecord r,
                     internal::ParseRecord<IngestRecord>(it->value(), "ingest record"));
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<IngestPosition> FeatureTables::Position(
    const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  IngestPosition at;
  std::string committed;
  rocksdb::Status s = db_->raw()->Get(ro, db_->cf(Cf::kFeatureMeta),
                                      internal::ToSlice(kCommittedKey), &committed);
  if (!s.ok() && !s.IsNotFound()) return internal::FromRocks(s, "read");
  if (s.ok() && committed.size() == 8) at.position = codec::GetBE64(committed.data());
  std::unique_ptr<rocksdb::Iterator> it(
      db_->raw()->NewIterator(ro, db_->cf(Cf::kFeatureMeta)));
  for (it->Seek("p/"); it->Valid() && it->key().starts_with("p/"); it->Next()) {
    if (it->key().size() != 10) continue;
    const uint64_t ingest = codec::GetBE64(it->key().data() + 2);
    if (ingest < at.position) at.pending.push_back(ingest);
  }
  RETURN_IF_ERROR(internal::FromRocks(it->status(), "read"));
  return at;
}

absl::StatusOr<std::optional<LogHorizon>> FeatureTables::Horizon(
    const std::string& view, const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s =
      db_->raw()->Get(ro, db_->cf(Cf::kFeatureMeta), HorizonKey(view), &value);
  if (s.IsNotFound()) return std::optional<LogHorizon>();
  RETURN_IF_ERROR(internal::FromRocks(s, "read"));
  LogHorizon h;
  if (!h.ParseFromString(value)) {
    return absl::DataLossError(
        absl::StrCat("unreadable log retention horizon of feature view ", view));
  }
  return h;
}

absl::StatusOr<LogHorizon> FeatureTables::RecordHorizon(const std::string& view,
                                                        Micros horizon,
                                                        const IngestPosition& at,
                                                        uint64_t dropped) {
  const std::string key = HorizonKey(view);
  return internal::CommitChange(
      *db_, Change{ChangeKind::kRecordHorizon, absl::StrCat("featureview/", view)},
      [&](rocksdb::Transaction* txn) -> absl::StatusOr<LogHorizon> {
        ASSIGN_OR_RETURN(auto stored, internal::LockRecord<LogHorizon>(
                                          txn, *db_, Cf::kFeatureMeta, key,
                                          "feature log retention horizon"));
        LogHorizon h = stored.value_or(LogHorizon());
        if (!stored.has_value() || horizon > h.horizon_us()) h.set_horizon_us(horizon);
        if (dropped > 0) {
          h.set_position(at.position);
          h.clear_pending();
          for (uint64_t p : at.pending) h.add_pending(p);
          h.set_rows_dropped(h.rows_dropped() + dropped);
        }
        h.set_trimmed_us(internal::NowMicros());
        RETURN_IF_ERROR(internal::PutRecord(txn, *db_, Cf::kFeatureMeta, key, h));
        return h;
      });
}

}  // namespace strata::features
