// The RocksDB ChunkStore: chunk bytes in the `chunks` CF (blob files), a ChunkInfo
// per chunk in `chunk_meta` (cheap existence checks, sizes and age for gc).
#ifndef STRATA_STORE_INTERNAL_ROCKS_CHUNK_STORE_H_
#define STRATA_STORE_INTERNAL_ROCKS_CHUNK_STORE_H_

#include <memory>

#include "store/chunk_store.h"
#include "store/internal/db.h"

namespace strata::internal {

// `db` must outlive the returned store.
std::unique_ptr<ChunkStore> NewRocksChunkStore(Db* db);

}  // namespace strata::internal

#endif  // STRATA_STORE_INTERNAL_ROCKS_CHUNK_STORE_H_
