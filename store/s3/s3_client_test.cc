// S3Client against a real S3 endpoint: Ceph's RADOS Gateway, started once for the
// binary on loopback (store/s3/rgw_testing.h); skipped when Ceph is not installed.
#include "store/s3/s3_client.h"

#include <memory>
#include <random>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/s3/rgw_testing.h"
#include "tests/testing.h"

namespace strata {
namespace {

class S3ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::RgwServer::Installed()) GTEST_SKIP() << testing::RgwServer::kMissing;
    auto rgw = testing::RgwServer::Shared();  // one for the binary; a bucket per test
    ASSERT_TRUE(rgw.ok()) << rgw.status();
    rgw_ = *rgw;
    const std::string bucket = absl::StrCat(
        "test-", absl::AsciiStrToLower(
                     ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    auto s3 = S3Client::Open(Options(bucket.substr(0, 63)));
    ASSERT_TRUE(s3.ok()) << s3.status();
    s3_ = *std::move(s3);
    const absl::Status created = s3_->CreateBucket();
    ASSERT_TRUE(created.ok()) << created;
  }
  S3Options Options(const std::string& bucket) {
    S3Options o;
    o.endpoint = rgw_->endpoint();
    o.bucket = bucket;
    o.access_key = rgw_->access_key();
    o.secret_key = rgw_->secret_key();
    return o;
  }
  testing::RgwServer* rgw_ = nullptr;
  std::unique_ptr<S3Client> s3_;
};

TEST_F(S3ClientTest, PutGetRangeSizeListDelete) {
  std::mt19937_64 rng(testing::TestSeed());
  std::string bytes(3 << 20, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  ASSERT_TRUE(s3_->Put("packs/ab/one", bytes).ok());
  ASSERT_TRUE(s3_->Put("packs/cd/two words & more", "small").ok());
  ASSERT_TRUE(s3_->Put("other/x", "x").ok());
  ASSERT_TRUE(s3_->CreateBucket().ok());  // again: already ours

  auto whole = s3_->Get("packs/ab/one");
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(*whole, bytes);
  auto part = s3_->Get("packs/ab/one", 1000, 4096);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ(*part, bytes.substr(1000, 4096));
  auto odd = s3_->Get("packs/cd/two words & more");
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ(*odd, "small");
  // A range past the end comes back short: DataLoss, not silently less.
  auto past = s3_->Get("packs/cd/two words & more", 2, 10);
  EXPECT_EQ(past.status().code(), absl::StatusCode::kDataLoss) << past.status();

  auto size = s3_->Size("packs/ab/one");
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, std::optional<uint64_t>(bytes.size()));
  EXPECT_EQ(*s3_->Size("nothing"), std::nullopt);

  auto keys = s3_->List("packs/");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(*keys,
            (std::vector<std::string>{"packs/ab/one", "packs/cd/two words & more"}));

  ASSERT_TRUE(s3_->Delete("packs/ab/one").ok());
  ASSERT_TRUE(s3_->Delete("packs/ab/one").ok());  // gone already: fine
  auto missing = s3_->Get("packs/ab/one");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "packs/ab/one"));
}

TEST_F(S3ClientTest, ManyPutsInFlightAllLand) {
  std::vector<std::pair<std::string, std::string>> objects;
  for (int i = 0; i < 64; ++i) {
    objects.emplace_back(absl::StrCat("many/", 100 + i),
                         std::string(50000 + i, 'a' + i % 26));
  }
  ASSERT_TRUE(s3_->PutMany(objects, 8).ok());
  for (const auto& [key, bytes] : objects) {
    auto got = s3_->Get(key);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, bytes) << key;
  }
  EXPECT_TRUE(s3_->PutMany({}, 8).ok());
  // Against an endpoint that does not answer: the first error, naming its object.
  S3Options nowhere = Options("some-bucket");
  nowhere.endpoint = "http://127.0.0.1:1";
  nowhere.attempts = 1;
  auto dead = S3Client::Open(nowhere);
  ASSERT_TRUE(dead.ok());
  const absl::Status s = (*dead)->PutMany(objects, 4);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "/some-bucket/many/")) << s;
}

TEST_F(S3ClientTest, ListingsLongerThanAPageAreFollowed) {
  for (int i = 0; i < 1100; ++i) {
    ASSERT_TRUE(s3_->Put(absl::StrCat("k/", 10000 + i), "v").ok());
  }
  auto keys = s3_->List("k/");
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1100u);
  EXPECT_EQ(keys->front(), "k/10000");
  EXPECT_EQ(keys->back(), "k/11099");
}

TEST_F(S3ClientTest, WrongKeysAndBadSettingsAreRefusedByName) {
  S3Options wrong = Options(s3_->options().bucket);
  wrong.secret_key = "not-the-secret";
  auto s3 = S3Client::Open(wrong);
  ASSERT_TRUE(s3.ok());
  const absl::Status put = (*s3)->Put("k", "v");
  EXPECT_EQ(put.code(), absl::StatusCode::kPermissionDenied) << put;

  S3Options bad = Options("Bad_Bucket");
  EXPECT_EQ(S3Client::Open(bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = Options("fine-bucket");
  bad.endpoint = "127.0.0.1:1";
  EXPECT_EQ(S3Client::Open(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(S3ClientTest, AnEndpointThatDoesNotAnswerIsUnavailableNamingIt) {
  S3Options nowhere = Options("some-bucket");
  nowhere.endpoint = "http://127.0.0.1:1";
  nowhere.attempts = 2;
  auto s3 = S3Client::Open(nowhere);
  ASSERT_TRUE(s3.ok());
  const absl::Status s = (*s3)->Put("packs/x", "v");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "http://127.0.0.1:1/some-bucket/packs/x"))
      << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "2 attempts")) << s;
}

}  // namespace
}  // namespace strata
