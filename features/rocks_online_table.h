// RocksOnlineTable: the online table in the store's own RocksDB database, column
// family feature_online (docs/format.md). Internal to features/.
//
// Newest wins through the column family's merge operator, which store/ installs
// when it opens the database (store/internal/db.cc MaxVersionMerge, comparing the
// first kMergeVersionBytes == kOnlineVersionBytes): an upsert is a merge operand,
// so upserts take no lock and RocksDB applies the rule at read and compaction. A
// write joins the store change's transaction, so an ingest's or push's rows and
// its records commit as one.
#ifndef STRATA_FEATURES_ROCKS_ONLINE_TABLE_H_
#define STRATA_FEATURES_ROCKS_ONLINE_TABLE_H_

#include "features/online_table.h"
#include "store/internal/db.h"

namespace strata::features {

// Thread-safe. Does not own `db`, which must outlive it.
class RocksOnlineTable final : public OnlineTable {
 public:
  explicit RocksOnlineTable(internal::Db* db) : db_(db) {}

  absl::Status Lookup(absl::Span<const absl::string_view> keys,
                      FoundRow found) const override;
  using OnlineTable::Write;
  absl::Status Write(const OnlineWrite& write, Change change,
                     StoreRecords records) override;
  absl::StatusOr<OnlinePage> Scan(uint32_t view, absl::string_view from,
                                  size_t limit) const override;
  void CompactView(uint32_t view) override;

 private:
  internal::Db* db_;
};

}  // namespace strata::features

#endif  // STRATA_FEATURES_ROCKS_ONLINE_TABLE_H_
