#include "store/digest.h"

#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(Sha256::Of("").Hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::Of("abc").Hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, IncrementalEqualsOneShot) {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + 7);
  Sha256 h;
  h.Update(absl::string_view(data).substr(0, 12345));
  h.Update(absl::string_view(data).substr(12345));
  EXPECT_EQ(h.Finish(), Sha256::Of(data));
  // Finish resets: the hasher is reusable.
  h.Update("abc");
  EXPECT_EQ(h.Finish(), Sha256::Of("abc"));
}

TEST(DigestTest, HexRoundTrip) {
  Digest d = Sha256::Of("round trip");
  auto parsed = Digest::FromHex(d.Hex());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, d);
  auto prefixed = Digest::FromHex("sha256:" + d.Hex());
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(*prefixed, d);
}

TEST(DigestTest, RejectsMalformedHex) {
  EXPECT_EQ(Digest::FromHex("abc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Digest::FromHex(std::string(64, 'g')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Digest::FromRaw("short").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata
