// S3ChunkStore against a real S3 endpoint: Ceph's RADOS Gateway on loopback, one for
// the binary (store/s3/rgw_testing.h). The ChunkStore conformance suite, then what is
// particular to packs in an object store: request counts, damage named by chunk, a
// gateway that dies mid-put, a store recording s3:// end to end. Skipped when Ceph is
// not installed.
#include "store/s3/s3_chunk_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/chunk_backend.h"
#include "store/chunk_store_conformance.h"
#include "store/content_store.h"
#include "store/database.h"
#include "store/internal/db.h"
#include "store/internal/rocks_chunk_store.h"
#include "store/io.h"
#include "store/s3/rgw_testing.h"
#include "store/status_macros.h"
#include "store/store.h"
#include "tests/testing.h"

namespace strata {
namespace {

using testing::RgwServer;

// The shared gateway, or null after a GTEST_SKIP / failure recorded by the caller.
RgwServer* Gateway() {
  if (!RgwServer::Installed()) return nullptr;
  auto server = RgwServer::Shared();
  return server.ok() ? *server : nullptr;
}

// A fresh bucket name per call.
std::string NewBucket(const std::string& tag) {
  static int n = 0;
  return absl::StrCat("chunks-", tag, "-", n++);
}

S3ChunkStoreOptions Options(RgwServer& rgw, const std::string& bucket, size_t pack_bytes,
                            size_t segment_bytes) {
  S3ChunkStoreOptions o;
  o.s3.endpoint = rgw.endpoint();
  o.s3.bucket = bucket;
  o.s3.access_key = rgw.access_key();
  o.s3.secret_key = rgw.secret_key();
  o.s3.attempts = 2;  // a dead gateway fails fast
  o.prefix = "team/ml";
  o.pack_bytes = pack_bytes;
  o.segment_bytes = segment_bytes;
  return o;
}

// An S3ChunkStore over its own RocksDB index and bucket.
class S3Harness : public testing::ChunkStoreHarness {
 public:
  static absl::StatusOr<std::unique_ptr<S3Harness>> Make(const std::string& dir,
                                                         RgwServer& rgw, size_t pack_bytes,
                                                         size_t segment_bytes) {
    auto h = std::unique_ptr<S3Harness>(new S3Harness());
    internal::DbOptions db_options;
    db_options.create_if_missing = true;
    db_options.sync_commits = false;
    ASSIGN_OR_RETURN(h->db_, internal::Db::Open(dir + "/index", db_options));
    h->options_ = Options(rgw, NewBucket("conformance"), pack_bytes, segment_bytes);
    ASSIGN_OR_RETURN(h->s3_, S3Client::Open(h->options_.s3));
    RETURN_IF_ERROR(h->s3_->CreateBucket());
    ASSIGN_OR_RETURN(h->chunks_, NewS3ChunkStore(h->options_, h->db_.get()));
    return h;
  }
  ChunkStore& chunks() override { return *chunks_; }
  S3Client& s3() { return *s3_; }
  // The keys of the pack objects in the bucket.
  std::vector<std::string> Packs() {
    auto keys = s3_->List(options_.prefix + "/packs/");
    EXPECT_TRUE(keys.ok()) << keys.status();
    return keys.ok() ? *keys : std::vector<std::string>();
  }

 private:
  S3Harness() = default;
  S3ChunkStoreOptions options_;
  std::unique_ptr<internal::Db> db_;
  std::unique_ptr<S3Client> s3_;
  std::unique_ptr<ChunkStore> chunks_;
};

void SkipWithoutCeph() { GTEST_SKIP() << RgwServer::kMissing; }

testing::ChunkStoreFactory Factory(size_t pack_bytes, size_t segment_bytes) {
  return [=](const std::string& dir) -> std::unique_ptr<testing::ChunkStoreHarness> {
    if (!RgwServer::Installed()) {
      SkipWithoutCeph();
      return nullptr;
    }
    RgwServer* rgw = Gateway();
    if (rgw == nullptr) {
      ADD_FAILURE() << "the gateway did not start: " << RgwServer::Shared().status();
      return nullptr;
    }
    auto h = S3Harness::Make(dir, *rgw, pack_bytes, segment_bytes);
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? *std::move(h) : nullptr;
  };
}

// Small packs and segments, so the suite's few kilobytes span several of each; and
// the defaults, where everything lands in one.
}  // namespace
}  // namespace strata

namespace strata::testing {
namespace {
INSTANTIATE_TEST_SUITE_P(RgwSmallPacks, ChunkStoreConformanceTest,
                         ::testing::Values(Factory(16 << 10, 5 << 10)));
INSTANTIATE_TEST_SUITE_P(RgwDefaultPacks, ChunkStoreConformanceTest,
                         ::testing::Values(Factory(8 << 20, 4 << 20)));
}  // namespace
}  // namespace strata::testing

namespace strata {
namespace {

EncodedChunk MakeChunk(const std::string& raw) {
  EncodedChunk c;
  c.id = Sha256::Of(raw);
  c.raw_size = static_cast<uint32_t>(raw.size());
  c.payload = raw;
  return c;
}

std::vector<EncodedChunk> MakeChunks(int n, size_t size, const std::string& tag) {
  std::vector<EncodedChunk> out;
  for (int i = 0; i < n; ++i) {
    std::string raw = absl::StrCat(tag, i, ":");
    raw.resize(size, static_cast<char>('a' + i % 26));
    out.push_back(MakeChunk(raw));
  }
  return out;
}

class S3ChunkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RgwServer::Installed()) GTEST_SKIP() << RgwServer::kMissing;
    rgw_ = Gateway();
    ASSERT_NE(rgw_, nullptr) << "the gateway did not start";
  }
  std::unique_ptr<S3Harness> Harness(size_t pack_bytes = 1 << 20,
                                     size_t segment_bytes = 256 << 10) {
    const std::string dir = scratch_.Sub(absl::StrCat("h", n_++));
    std::filesystem::create_directories(dir);
    auto h = S3Harness::Make(dir, *rgw_, pack_bytes, segment_bytes);
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? *std::move(h) : nullptr;
  }
  RgwServer* rgw_ = nullptr;
  testing::ScratchDir scratch_;
  int n_ = 0;
};

TEST_F(S3ChunkStoreTest, ChunksArePackedIntoFewObjects) {
  auto h = Harness(/*pack_bytes=*/1 << 20);
  ASSERT_NE(h, nullptr);
  // 200 chunks of 16 KiB: 3.2 MB, four packs of at most 1 MiB, not 200 objects.
  const auto stored = MakeChunks(200, 16 << 10, "pack");
  ASSERT_TRUE(h->chunks().PutMany(stored).ok());
  const std::vector<std::string> packs = h->Packs();
  EXPECT_EQ(packs.size(), 4u);
  for (const std::string& key : packs) {
    EXPECT_TRUE(absl::StartsWith(key, "team/ml/packs/")) << key;
    EXPECT_LE(*h->s3().Size(key).value(), uint64_t{1} << 20) << key;
  }
  for (const EncodedChunk& c : stored) {
    auto got = h->chunks().Get(c.id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->payload, c.payload);
  }
  // Stored chunks are not uploaded again.
  ASSERT_TRUE(h->chunks().PutMany(stored).ok());
  EXPECT_EQ(h->Packs().size(), 4u);
}

TEST_F(S3ChunkStoreTest, AMissingPackIsDataLossNamingTheChunk) {
  auto h = Harness();
  ASSERT_NE(h, nullptr);
  const auto stored = MakeChunks(3, 1000, "missing");
  ASSERT_TRUE(h->chunks().PutMany(stored).ok());
  const auto packs = h->Packs();
  ASSERT_EQ(packs.size(), 1u);
  ASSERT_TRUE(h->s3().Delete(packs[0]).ok());
  EncodedChunk out;
  const absl::Status s = h->chunks().Read(stored[1].id, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), stored[1].id.Hex())) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), packs[0])) << s;
  // A pack cut short is damage too, named the same way.
  ASSERT_TRUE(h->s3().Put(packs[0], "short").ok());
  const absl::Status cut = h->chunks().Read(stored[2].id, &out);
  EXPECT_EQ(cut.code(), absl::StatusCode::kDataLoss) << cut;
  EXPECT_TRUE(absl::StrContains(cut.message(), stored[2].id.Hex())) << cut;
}

TEST_F(S3ChunkStoreTest, AGatewayKilledMidPutFailsUnavailableAndLosesNothingAcknowledged) {
  auto h = Harness(/*pack_bytes=*/64 << 10);
  ASSERT_NE(h, nullptr);
  const auto before = MakeChunks(20, 8 << 10, "acknowledged");
  ASSERT_TRUE(h->chunks().PutMany(before).ok());
  ASSERT_TRUE(h->chunks().Sync().ok());

  ASSERT_TRUE(rgw_->StopGateway().ok());
  const auto during = MakeChunks(20, 8 << 10, "during");
  const absl::Status put = h->chunks().PutMany(during);
  EXPECT_EQ(put.code(), absl::StatusCode::kUnavailable) << put;
  EXPECT_TRUE(absl::StrContains(put.message(), rgw_->endpoint())) << put;
  // Nothing of the failed put is reported stored; reads fail the same way.
  for (const EncodedChunk& c : during) EXPECT_EQ(*h->chunks().Contains(c.id), false);
  EncodedChunk out;
  EXPECT_EQ(h->chunks().Read(before[0].id, &out).code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(rgw_->StartGateway().ok());

  // Back: everything acknowledged reads back, the failed put succeeds when repeated,
  // and the half-written packs it may have left are reclaimed.
  for (const EncodedChunk& c : before) {
    auto got = h->chunks().Get(c.id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->payload, c.payload);
  }
  ASSERT_TRUE(h->chunks().PutMany(during).ok());
  ASSERT_TRUE(h->chunks().Reclaim(nullptr).ok());
  EXPECT_EQ(h->Packs().size(), 6u);  // 160 KiB each way, in packs of 64 KiB
  for (const EncodedChunk& c : during) EXPECT_EQ(h->chunks().Get(c.id)->payload, c.payload);
}

TEST_F(S3ChunkStoreTest, ReclaimDeletesEmptyPacksAndRewritesHalfEmptyOnes) {
  auto h = Harness(/*pack_bytes=*/40 << 10, /*segment_bytes=*/8 << 10);
  ASSERT_NE(h, nullptr);
  // Three puts of 10 chunks of 4 KiB: three packs of 40 KiB.
  std::vector<std::vector<EncodedChunk>> puts;
  for (int i = 0; i < 3; ++i) {
    puts.push_back(MakeChunks(10, 4 << 10, absl::StrCat("put", i, "-")));
    ASSERT_TRUE(h->chunks().PutMany(puts.back()).ok());
  }
  ASSERT_EQ(h->Packs().size(), 3u);
  std::vector<Digest> doomed;
  for (const auto& c : puts[0]) doomed.push_back(c.id);       // all of pack 1
  for (int i = 0; i < 6; ++i) doomed.push_back(puts[1][i].id);  // 60% of pack 2
  for (int i = 0; i < 4; ++i) doomed.push_back(puts[2][i].id);  // 40% of pack 3
  ASSERT_TRUE(h->chunks().Delete(doomed).ok());
  ASSERT_TRUE(h->chunks().Sync().ok());
  auto rewritten = h->chunks().Reclaim(nullptr);
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(*rewritten, 4u * (4 << 10));  // pack 2's four live chunks, moved
  // Pack 1 deleted, pack 2 replaced by a pack of its live chunks, pack 3 kept.
  EXPECT_EQ(h->Packs().size(), 2u);
  for (int p = 1; p < 3; ++p) {
    for (int i = 0; i < 10; ++i) {
      const bool gone = (p == 1 && i < 6) || (p == 2 && i < 4);
      auto got = h->chunks().Get(puts[p][i].id);
      if (gone) {
        EXPECT_TRUE(absl::IsNotFound(got.status())) << p << " " << i;
      } else {
        ASSERT_TRUE(got.ok()) << p << " " << i << ": " << got.status();
        EXPECT_EQ(got->payload, puts[p][i].payload);
      }
    }
  }
  // Nothing more to do.
  EXPECT_EQ(*h->chunks().Reclaim(nullptr), 0u);
  EXPECT_EQ(h->Packs().size(), 2u);
}

// A store that records s3:// chunks: `init` makes the bucket, every later open uses
// it, files round-trip through ContentStore's verified reads, and a pack altered
// behind the store's back is DataLoss naming the chunk.
TEST_F(S3ChunkStoreTest, AStoreRecordingS3KeepsItsChunksThere) {
  RegisterS3ChunkBackend();
  const std::string credentials = scratch_.Sub("credentials");
  {
    std::ofstream out(credentials);
    // As Windows' Notepad saves it: a byte-order mark and CRLF line ends.
    out << "\xEF\xBB\xBF[other]\r\naws_access_key_id = wrong\r\n\r\n[default]\r\n"
        << "aws_access_key_id = " << rgw_->access_key() << "\r\naws_secret_access_key = "
        << rgw_->secret_key() << "\r\n";
  }
  const std::string bucket = NewBucket("store");
  ChunkBackend backend{.url = absl::StrCat("s3://", bucket, "/ml/"),
                       .endpoint = rgw_->endpoint(),
                       .region = "",
                       .credentials_file = credentials};
  StoreOptions options;
  options.sync = false;
  const std::string dir = scratch_.Sub("store");
  ASSERT_TRUE(InitChunkBackend(dir, backend, options).ok());

  std::string file;
  for (int i = 0; file.size() < (6 << 20); ++i) absl::StrAppend(&file, "row ", i, ",", i * 7, "\n");
  Digest content;
  {
    auto store = Store::Open(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    auto put = (*store)->content().Put(*StringSource(file));
    ASSERT_TRUE(put.ok()) << put.status();
    content = put->content_id;
    EXPECT_GT(put->new_chunks, 1u);
    // No chunk is in RocksDB.
    auto local = internal::NewRocksChunkStore(&DatabaseOf(**store));
    EXPECT_FALSE(local->Scan()->Valid());
  }
  S3Options s3_options;
  s3_options.endpoint = rgw_->endpoint();
  s3_options.bucket = bucket;
  s3_options.access_key = rgw_->access_key();
  s3_options.secret_key = rgw_->secret_key();
  auto s3 = S3Client::Open(s3_options);
  ASSERT_TRUE(s3.ok());
  auto packs = (*s3)->List("ml/packs/");
  ASSERT_TRUE(packs.ok()) << packs.status();
  EXPECT_FALSE(packs->empty());

  auto store = Store::Open(dir, options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::string back;
  ASSERT_TRUE((*store)->content().Get(content, *StringSink(&back)).ok());
  EXPECT_TRUE(back == file);

  // Flip a byte of every pack: the read names the chunk it cannot trust.
  for (const std::string& key : *packs) {
    std::string bytes = *(*s3)->Get(key);
    bytes[bytes.size() / 2] ^= 0x5a;
    ASSERT_TRUE((*s3)->Put(key, bytes).ok());
  }
  store->reset();
  store = Store::Open(dir, options);  // a fresh segment cache
  ASSERT_TRUE(store.ok());
  std::string damaged;
  const absl::Status s = (*store)->content().Get(content, *StringSink(&damaged));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "chunk ")) << s;
}

}  // namespace
}  // namespace strata
