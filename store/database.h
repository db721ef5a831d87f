// DatabaseOf: the door to a store's RocksDB database for the one module above
// store/ that owns column families in it.
//
// features/ keeps its tables (feature_meta, feature_log, feature_online) in the
// store's database, so a store has one lock, one write-ahead log and one backup, and
// an ingest's rows, records and lineage edges commit in one transaction. Those
// tables need what the public classes do not offer (sorted bulk loads, merge
// operands, snapshots, iterators over key ranges), so features/ works on the
// database itself (store/internal/db.h), through this door, and commits through the
// one commit path (internal::CommitChange). Tests and benchmarks that write raw
// records use it too. gc/, api/, client/ and tools/ never include this header
// (tests/layering.py checks): they reach the store through its public classes.
#ifndef STRATA_STORE_DATABASE_H_
#define STRATA_STORE_DATABASE_H_

#include "store/internal/db.h"
#include "store/store.h"

namespace strata {

// The database of `store`, valid while the store is open.
inline internal::Db& DatabaseOf(Store& store) { return *store.db_; }

}  // namespace strata

#endif  // STRATA_STORE_DATABASE_H_
