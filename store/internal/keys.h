// Key encodings of every column family: the one place they are built. docs/format.md
// documents the same layouts.
#ifndef STRATA_STORE_INTERNAL_KEYS_H_
#define STRATA_STORE_INTERNAL_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace strata::internal {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr absl::string_view kFormatKey = "format";
// store::ChunkBackendRecord: where the chunks live, when not in the store.
inline constexpr absl::string_view kChunkBackendKey = "chunk_backend";
// A key of `default` that is never written: deletions, alias moves and commits with
// an alias lock it (GetForUpdate), so that what protects a version from deletion
// cannot change while a deletion checks it.
inline constexpr absl::string_view kProtectionLockKey = "protection";
// Prefix of the retention policies' keys in `default`: "retention/" TARGET.
inline constexpr absl::string_view kRetentionPrefix = "retention/";

// Column family names, in the order they are opened (default first).
inline constexpr absl::string_view kCfChunks = "chunks";
inline constexpr absl::string_view kCfChunkMeta = "chunk_meta";
inline constexpr absl::string_view kCfManifests = "manifests";
inline constexpr absl::string_view kCfArtifacts = "artifacts";
inline constexpr absl::string_view kCfVersions = "versions";
inline constexpr absl::string_view kCfAliases = "aliases";
inline constexpr absl::string_view kCfAliasLog = "alias_log";
inline constexpr absl::string_view kCfRuns = "runs";
inline constexpr absl::string_view kCfEdges = "edges";
inline constexpr absl::string_view kCfFeatureMeta = "feature_meta";
inline constexpr absl::string_view kCfFeatureLog = "feature_log";
inline constexpr absl::string_view kCfFeatureOnline = "feature_online";
inline constexpr absl::string_view kCfTokens = "tokens";
inline constexpr absl::string_view kCfFeatureServed = "feature_served";
inline constexpr absl::string_view kCfChunkPacks = "chunk_packs";

// The feature_online CF's merge operator: of all operands and the base value, the
// value whose first kMergeVersionBytes compare largest (memcmp) wins; ties go to the
// later write. features/ puts a big-endian (event, created, ingest) version there.
inline constexpr size_t kMergeVersionBytes = 24;

void AppendBigEndian64(std::string* out, uint64_t v);

// "KIND/NAME": artifacts CF key, and the prefix of the per-artifact keys below.
std::string ArtifactKey(absl::string_view kind, absl::string_view name);
// ArtifactKey 0x00: the prefix of one artifact's versions, aliases and alias moves.
std::string ArtifactPrefix(absl::string_view artifact_key);
std::string VersionKey(absl::string_view artifact_key, uint64_t number);
std::string AliasKey(absl::string_view artifact_key, absl::string_view alias);
std::string AliasLogKey(absl::string_view artifact_key, uint64_t sequence);

// Lineage node ids: "KIND/NAME@N" for versions, "run/ID" for runs.
std::string VersionNode(absl::string_view kind, absl::string_view name, uint64_t number);
std::string RunNode(absl::string_view run_id);

enum class EdgeDirection : char { kDown = 'd', kUp = 'u' };
// kDown: "d" FROM 0x00 TO; kUp: "u" TO 0x00 FROM.
std::string EdgeKey(EdgeDirection dir, absl::string_view node, absl::string_view other);
std::string EdgePrefix(EdgeDirection dir, absl::string_view node);

}  // namespace strata::internal

#endif  // STRATA_STORE_INTERNAL_KEYS_H_
