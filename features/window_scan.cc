// FeatureStore::ScanWindow: a window of a view's offline log as typed rows, for
// readers above features/ (statistics, drift).
#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "features/codec.h"
#include "features/feature_log.h"
#include "features/feature_store.h"
#include "features/tables.h"
#include "features/view_catalog.h"
#include "store/database.h"
#include "store/status_macros.h"

namespace strata::features {
namespace {

// Decodes the join keys of `entity` (VIEW ENTITY) into `out`, from index 0.
absl::Status DecodeEntity(absl::string_view entity, const ResolvedView& view,
                          std::vector<Value>* out) {
  const char* p = entity.data() + 4;  // past the view id
  const char* end = entity.data() + entity.size();
  for (size_t k = 0; k < view.join_key_types.size(); ++k) {
    if (view.join_key_types[k] == VALUE_TYPE_INT64) {
      if (end - p < 8) return absl::DataLossError("malformed entity key");
      (*out)[k] = codec::Unordered(codec::GetBE64(p));
      p += 8;
    } else {
      uint64_t n;
      if (!codec::GetVarint(&p, end, &n) || static_cast<uint64_t>(end - p) < n) {
        return absl::DataLossError("malformed entity key");
      }
      (*out)[k] = std::string(p, n);
      p += n;
    }
  }
  if (p != end) return absl::DataLossError("malformed entity key");
  return absl::OkStatus();
}

}  // namespace

absl::Status FeatureStore::ScanWindow(
    const WindowScanRequest& request,
    const std::function<absl::Status(const std::vector<WindowColumn>&)>& columns,
    const std::function<absl::Status(const std::vector<Value>&)>& row) const {
  ASSIGN_OR_RETURN(std::shared_ptr<const ResolvedView> view,
                   views_->View(request.view, 0));
  std::vector<WindowColumn> cols;
  for (size_t k = 0; k < view->join_key_names.size(); ++k) {
    cols.push_back({view->join_key_names[k], view->join_key_types[k]});
  }
  const size_t keys = cols.size();
  cols.push_back({"event_timestamp", VALUE_TYPE_TIMESTAMP});
  cols.push_back({"created_timestamp", VALUE_TYPE_TIMESTAMP});
  std::vector<uint32_t> wanted;
  for (int f = 0; f < view->def.features_size(); ++f) {
    cols.push_back({view->def.features(f).name(), view->def.features(f).type()});
    wanted.push_back(view->feature_columns[f]);
  }
  RETURN_IF_ERROR(columns(cols));
  if (view->id == 0) return absl::OkStatus();  // nothing ingested yet

  // A feature never ingested has no column: its slot stays -1.
  std::vector<int> slots(view->column_types.size(), -1);
  for (size_t f = 0; f < wanted.size(); ++f) {
    if (wanted[f] < slots.size()) slots[wanted[f]] = static_cast<int>(keys + 2 + f);
  }
  internal::Db& db = DatabaseOf(*store_);
  const rocksdb::Snapshot* snapshot = db.raw()->GetSnapshot();
  absl::Cleanup release = [&] { db.raw()->ReleaseSnapshot(snapshot); };
  LogVisibility rules;
  ASSIGN_OR_RETURN(rules.at, tables_->Position(snapshot));
  rules.as_of = request.as_of;
  const FeatureLog log(db, snapshot, view->id, view->def.name());
  std::vector<Value> values(cols.size());
  std::string entity;
  return log.ScanWindow(request.from, request.to, rules,
                        [&](const FeatureLog::WindowRow& r) -> absl::Status {
                          if (r.entity != entity) {
                            entity.assign(r.entity.data(), r.entity.size());
                            RETURN_IF_ERROR(DecodeEntity(entity, *view, &values));
                          }
                          values[keys] = int64_t{r.stamp.event};
                          values[keys + 1] = int64_t{r.stamp.created};
                          for (size_t i = keys + 2; i < values.size(); ++i)
                            values[i] = std::monostate();
                          RETURN_IF_ERROR(codec::VisitRow(
                              r.row, slots, view->column_types,
                              [&](int slot, auto v) { values[slot] = std::move(v); }));
                          return row(values);
                        });
}

}  // namespace strata::features
