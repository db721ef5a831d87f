// The decoders of what strata keeps on disk, on any bytes (a damaged or hostile
// store): offline-log chunks (features/codec.h LogChunk) and the packed rows in
// them, online headers, row-order suffixes, varints, and the protobuf records of the
// store and the feature registry. The first byte picks the decoder (and the column
// types a row is read with). A decoder answers "malformed" or reads only inside its
// bytes (ASAN checks that); what it reads must be consistent.
#include <string>
#include <vector>

#include "features/codec.h"
#include "features/features.pb.h"
#include "fuzz/harness.h"
#include "store/internal/records.h"
#include "store/store.pb.h"

namespace codec = strata::features::codec;
using strata::features::ValueType;

namespace {

std::vector<ValueType> ColumnTypes(uint8_t seed) {
  static constexpr ValueType kTypes[] = {
      strata::features::VALUE_TYPE_INT64, strata::features::VALUE_TYPE_DOUBLE,
      strata::features::VALUE_TYPE_STRING, strata::features::VALUE_TYPE_BOOL,
      strata::features::VALUE_TYPE_BYTES, strata::features::VALUE_TYPE_TIMESTAMP};
  std::vector<ValueType> types;
  for (int i = 0; i < 6; ++i) types.push_back(kTypes[(seed + i * 5) % 6]);
  return types;
}

void ReadRow(absl::string_view row, const std::vector<ValueType>& types) {
  std::vector<uint32_t> wanted;
  for (uint32_t c = 0; c < types.size(); c += 2) wanted.push_back(c);
  const std::vector<int> slots = codec::ColumnSlots(wanted, types.size());
  size_t seen = 0;
  absl::Status s = codec::VisitRow(row, slots, types, [&](int slot, auto&&) {
    strata::fuzz::Check(slot >= 0 && static_cast<size_t>(slot) < wanted.size(),
                        "a row visited a slot that was not asked for");
    ++seen;
  });
  (void)s;
  (void)seen;
}

template <typename T>
void ParseProto(absl::string_view bytes) {
  auto parsed = strata::internal::ParseRecord<T>(bytes, "fuzz");
  if (parsed.ok()) {
    std::string again;
    strata::fuzz::Check(parsed->SerializeToString(&again), "a parsed record does not serialize");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t pick = data[0];
  const absl::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::vector<ValueType> types = ColumnTypes(pick >> 4);
  switch (pick % 12) {
    case 0:
    case 1:
    case 2: {  // a log chunk and its rows
      codec::LogChunk chunk;
      if (!chunk.Parse(bytes)) break;
      size_t row_bytes = 0;
      for (size_t i = 0; i < chunk.size(); ++i) {
        const absl::string_view row = chunk.row(i);
        strata::fuzz::Check(row.data() >= bytes.data() &&
                                row.data() + row.size() <= bytes.data() + bytes.size(),
                            "a chunk row outside the chunk");
        row_bytes += row.size();
        ReadRow(row, types);
      }
      strata::fuzz::Check(row_bytes <= bytes.size(), "chunk rows longer than the chunk");
      for (strata::features::Micros t : {INT64_MIN, int64_t{-1}, int64_t{0},
                                         int64_t{1700000000000000}, INT64_MAX}) {
        // Parse does not check the row order (a retrieval parses chunks on its hot
        // path; RocksDB's block checksums catch a damaged value): a search in a
        // disordered chunk finds a wrong row, but stays inside the chunk.
        strata::fuzz::Check(chunk.FirstAtOrBefore(t) <= chunk.size(),
                            "FirstAtOrBefore past the end");
      }
      break;
    }
    case 3:
    case 4:  // a packed row (an online value's tail)
      ReadRow(bytes, types);
      break;
    case 5:
      if (bytes.size() >= codec::kOnlineHeaderBytes) {
        const auto stamp = codec::DecodeOnlineHeader(bytes);
        std::string again;
        codec::AppendOnlineHeader(&again, stamp.event, stamp.created,
                                             stamp.ingest);
        strata::fuzz::Check(again == bytes.substr(0, codec::kOnlineHeaderBytes),
                            "an online header that does not encode back");
        ReadRow(bytes.substr(codec::kOnlineHeaderBytes), types);
      }
      break;
    case 6: {
      if (bytes.size() >= codec::kRowOrderBytes) {
        const auto stamp = codec::DecodeRowOrder(bytes);
        std::string again;
        codec::AppendRowOrder(&again, stamp.event, stamp.created);
        strata::fuzz::Check(again == bytes.substr(bytes.size() - again.size()),
                            "a row order that does not encode back");
      }
      const char* p = bytes.data();
      uint64_t v;
      while (codec::GetVarint(&p, bytes.data() + bytes.size(), &v)) {
        std::string again;
        codec::PutVarint(&again, v);
        strata::fuzz::Check(again.size() <= 10, "a varint longer than 10 bytes");
      }
      break;
    }
    case 7:
      ParseProto<strata::store::Manifest>(bytes);
      ParseProto<strata::store::ChunkInfo>(bytes);
      break;
    case 8:
      ParseProto<strata::store::Version>(bytes);
      ParseProto<strata::store::ArtifactHead>(bytes);
      ParseProto<strata::store::AliasMove>(bytes);
      break;
    case 9:
      ParseProto<strata::store::Run>(bytes);
      ParseProto<strata::store::Edge>(bytes);
      ParseProto<strata::store::RetentionPolicy>(bytes);
      break;
    case 10:
      ParseProto<strata::features::ViewState>(bytes);
      ParseProto<strata::features::IngestRecord>(bytes);
      break;
    default:
      ParseProto<strata::features::Definitions>(bytes);
      ParseProto<strata::features::LogHorizon>(bytes);
      ParseProto<strata::features::PendingIngest>(bytes);
      break;
  }
  return 0;
}
