// The ChunkStore of a store whose chunks live in an S3-compatible object store (Ceph
// RGW, MinIO, AWS S3): `strata init --chunks s3://BUCKET/PREFIX --s3-endpoint URL`.
//
// Layout (docs/format.md, "Chunks in S3"): chunks are not objects of their own. Each
// PutMany packs its new chunks, in order, into pack objects of about
// S3ChunkStoreOptions::pack_bytes (PREFIX/packs/XX/HEX, HEX a random 128-bit id),
// uploaded in parallel; a store of millions of 64 KiB chunks makes thousands of
// objects, not millions. The index stays in the store's RocksDB (the chunk_packs
// column family): per chunk its pack, offset and sizes; per pack its size. Contains,
// StatMany, Touch, Scan and Delete read and write only the index; Read fetches a
// segment of a pack (a run of whole chunks of about segment_bytes) with one ranged
// GET, and keeps the latest segments in memory, so reading a file back fetches each
// segment once. Delete only forgets chunks; their bytes stay in their pack until
// Reclaim deletes packs nothing lives in and rewrites packs at least half deleted.
//
//   ASSIGN_OR_RETURN(auto chunks, NewS3ChunkStore(options, &db));
//
// Register the "s3" backend (store/chunk_backend.h) in a binary with
// RegisterS3ChunkBackend().
#ifndef STRATA_STORE_S3_S3_CHUNK_STORE_H_
#define STRATA_STORE_S3_S3_CHUNK_STORE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/chunk_backend.h"
#include "store/chunk_store.h"
#include "store/s3/s3_client.h"

namespace strata {
namespace internal {
class Db;
}

struct S3ChunkStoreOptions {
  S3Options s3;        // endpoint, bucket, keys
  std::string prefix;  // of every object's key, without a trailing '/'; may be empty
  // A PutMany's chunks go into packs of about this size (a chunk larger than it gets
  // a pack of its own). Default 8 MiB.
  size_t pack_bytes = 8 << 20;
  // The unit of reads: runs of whole chunks of about this size. Default 4 MiB.
  size_t segment_bytes = 4 << 20;
  // Segments kept in memory after they were read. Default 64 MiB.
  size_t cache_bytes = 64 << 20;
  // Uploads in flight at once. Default 8.
  int parallel = 8;
};

// A ChunkStore in `options.s3`'s bucket, with its index in `db` (which must outlive
// it; one per store: the index is the store's). Reaches nothing until used.
// Errors: InvalidArgument for bad options (as S3Client::Open).
absl::StatusOr<std::unique_ptr<ChunkStore>> NewS3ChunkStore(S3ChunkStoreOptions options,
                                                            internal::Db* db);

// The options of a recorded "s3" backend: s3://BUCKET[/PREFIX] in `backend.url`, its
// endpoint and region, keys from `backend.credentials_file` (AWS's credentials file:
// aws_access_key_id and aws_secret_access_key, of the [default] profile or of no
// profile; KEY=VALUE lines as scripts/rgw-local.sh writes also do) or, when it is
// empty, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
// Errors: InvalidArgument naming what is missing or malformed; NotFound for a
// credentials file that does not exist.
absl::StatusOr<S3ChunkStoreOptions> S3ChunkStoreOptionsOf(const ChunkBackend& backend);

// Registers the "s3" chunk backend: Store::Open builds an S3ChunkStore for stores
// that record s3://... (without keys it still opens: chunk reads and writes then fail
// with FailedPrecondition saying so); init and migrate (BackendUse::kPrepare) also
// create the bucket when it does not exist, which checks the endpoint and keys.
void RegisterS3ChunkBackend();

}  // namespace strata

#endif  // STRATA_STORE_S3_S3_CHUNK_STORE_H_
