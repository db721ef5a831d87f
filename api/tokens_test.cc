#include "api/tokens.h"

#include <fstream>
#include <thread>

#include "store/tokens.pb.h"
#include "gtest/gtest.h"
#include "store/digest.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

class TokensTest : public testing::StoreTest {};

TEST_F(TokensTest, CreatedTokensVerifyWithTheirScopeUntilRevoked) {
  TokenStore tokens(store_.get());
  auto reader = tokens.Create(Scope::kRead, "model-server", "ana");
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto admin = tokens.Create(Scope::kAdmin, "", "ana");
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(reader->rfind("strata_", 0), 0u);
  EXPECT_EQ(reader->size(), 7u + 64u);
  EXPECT_NE(*reader, *admin);

  auto list = tokens.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "model-server");
  EXPECT_EQ((*list)[0].scope, Scope::kRead);
  EXPECT_EQ((*list)[0].creator.who, "ana");
  EXPECT_EQ((*list)[1].name.rfind("token-", 0), 0u);  // a default name

  // Only hashes are kept: the token's text appears nowhere in the store's records.
  auto digests = tokens.Digests();
  ASSERT_TRUE(digests.ok());
  TokenVerifier v;
  for (const KnownToken& known : *digests) {
    EXPECT_EQ(known.sha256.size(), 32u);
    EXPECT_EQ(known.sha256.find(reader->substr(7, 16)), std::string::npos);
    v.Add(known);
  }
  EXPECT_EQ(v.Verify(*reader)->scope, Scope::kRead);
  EXPECT_EQ(v.Verify(*admin)->scope, Scope::kAdmin);
  EXPECT_TRUE(absl::IsUnauthenticated(v.Verify("strata_nope").status()));
  EXPECT_TRUE(absl::IsUnauthenticated(v.Verify("").status()));
  EXPECT_TRUE(absl::IsUnauthenticated(v.Verify(reader->substr(0, 70)).status()));

  // Names are unique; revoking removes the token.
  EXPECT_TRUE(
      absl::IsAlreadyExists(tokens.Create(Scope::kRead, "model-server", "b").status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(tokens.Create(Scope::kRead, "Bad Name", "b").status()));
  ASSERT_TRUE(tokens.Revoke("model-server").ok());
  EXPECT_TRUE(absl::IsNotFound(tokens.Revoke("model-server")));
  TokenVerifier after;
  auto remaining = tokens.Digests();
  ASSERT_TRUE(remaining.ok());
  for (const KnownToken& known : *remaining) after.Add(known);
  EXPECT_TRUE(absl::IsUnauthenticated(after.Verify(*reader).status()));
  EXPECT_EQ(after.Verify(*admin)->scope, Scope::kAdmin);
}

TEST_F(TokensTest, EveryTokenHasAnOwnerThatVerifyReturns) {
  TokenStore tokens(store_.get());
  NewToken request;
  request.scope = Scope::kAdmin;
  request.name = "ci-2026";
  request.owner = "ci-bot";
  request.creator = Actor("ana", "bob");
  auto ci = tokens.Create(request);
  ASSERT_TRUE(ci.ok()) << ci.status();
  EXPECT_EQ(ci->name, "ci-2026");
  EXPECT_EQ(ci->owner, "ci-bot");
  // The owner defaults to the name, which defaults to token-XXXXXXXX.
  auto dashboard = tokens.Create(Scope::kRead, "dashboard", "ana");
  ASSERT_TRUE(dashboard.ok());
  auto unnamed = tokens.Create(NewToken{});
  ASSERT_TRUE(unnamed.ok());
  EXPECT_EQ(unnamed->owner, unnamed->name);
  EXPECT_EQ(unnamed->name.rfind("token-", 0), 0u);

  auto list = tokens.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "ci-2026");
  EXPECT_EQ((*list)[0].owner, "ci-bot");
  EXPECT_EQ((*list)[0].creator.who, "ana");
  EXPECT_EQ((*list)[0].creator.on_behalf_of, "bob");
  EXPECT_EQ((*list)[1].owner, "dashboard");

  auto digests = tokens.Digests();
  ASSERT_TRUE(digests.ok());
  TokenVerifier v;
  for (const KnownToken& known : *digests) v.Add(known);
  auto bearer = v.Verify(ci->token);
  ASSERT_TRUE(bearer.ok());
  EXPECT_EQ(bearer->owner, "ci-bot");
  EXPECT_EQ(bearer->scope, Scope::kAdmin);
  EXPECT_EQ(v.Verify(*dashboard)->owner, "dashboard");

  // Owners are names for an audit trail: printable, no spaces, bounded.
  for (const std::string& bad :
       std::vector<std::string>{"ci bot", "tab\tbed", std::string(129, 'a')}) {
    request.name = "bad";
    request.owner = bad;
    EXPECT_TRUE(absl::IsInvalidArgument(tokens.Create(request).status())) << bad;
  }
  EXPECT_TRUE(ValidateTokenOwner("ana@example.com").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateTokenOwner("")));
}

TEST_F(TokensTest, ATokenMadeBeforeOwnersActsUnderItsName) {
  // A record written before owners were kept: no owner field.
  ASSERT_TRUE(TokenStore(store_.get()).Create(Scope::kWrite, "legacy", "ana").ok());
  auto rows = store_->tokens().List();
  ASSERT_TRUE(rows.ok() && rows->size() == 1u);
  store::TokenRecord record;
  ASSERT_TRUE(record.ParseFromString(rows->front().second));
  record.clear_owner();
  ASSERT_TRUE(store_->tokens().Delete("legacy").ok());
  ASSERT_TRUE(store_->tokens().Insert("legacy", record.SerializeAsString()).ok());

  auto list = TokenStore(store_.get()).List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].owner, "legacy");
  auto digests = TokenStore(store_.get()).Digests();
  ASSERT_TRUE(digests.ok());
  ASSERT_EQ(digests->size(), 1u);
  EXPECT_EQ((*digests)[0].owner, "legacy");
}

TEST_F(TokensTest, RevokeKeepingAnAdminRefusesTheLastAdminToken) {
  TokenStore tokens(store_.get());
  ASSERT_TRUE(tokens.Create(Scope::kAdmin, "ops", "ana").ok());
  ASSERT_TRUE(tokens.Create(Scope::kWrite, "ci", "ana").ok());
  ASSERT_TRUE(tokens.RevokeKeepingAnAdmin("ci").ok());
  const absl::Status last = tokens.RevokeKeepingAnAdmin("ops");
  EXPECT_TRUE(absl::IsFailedPrecondition(last)) << last;
  EXPECT_NE(last.message().find("token ops is the store's last admin token"),
            std::string::npos)
      << last;
  EXPECT_TRUE(absl::IsNotFound(tokens.RevokeKeepingAnAdmin("nope")));
  // Two admin tokens revoked at once: one of them stays.
  ASSERT_TRUE(tokens.Create(Scope::kAdmin, "ops2", "ana").ok());
  absl::Status first, second;
  std::thread a([&] { first = tokens.RevokeKeepingAnAdmin("ops"); });
  std::thread b([&] { second = TokenStore(store_.get()).RevokeKeepingAnAdmin("ops2"); });
  a.join();
  b.join();
  EXPECT_NE(first.ok(), second.ok()) << first << " / " << second;
  auto left = tokens.List();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].scope, Scope::kAdmin);
  // Offline, Revoke may take the last one.
  ASSERT_TRUE(tokens.Revoke((*left)[0].name).ok());
  EXPECT_TRUE(tokens.List()->empty());
}

TEST_F(TokensTest, ScopesParseAndTokenFilesAreChecked) {
  EXPECT_EQ(*ParseScope("write"), Scope::kWrite);
  EXPECT_TRUE(absl::IsInvalidArgument(ParseScope("root").status()));
  const std::string good = dir_.Sub("tokens.txt");
  std::ofstream(good)
      << "# the CI job\nwrite  ci-0123456789abcdef\n\nread\tdash-0123456789abcdef\n";
  TokenVerifier v;
  ASSERT_TRUE(v.AddFile(good).ok());
  EXPECT_EQ(v.Verify("ci-0123456789abcdef")->scope, Scope::kWrite);
  EXPECT_EQ(v.Verify("dash-0123456789abcdef")->scope, Scope::kRead);
  // Without an owner, a file's token acts as "token-" and its digest's first 8 hex
  // digits, as a stored token without a name is called.
  EXPECT_EQ(v.Verify("ci-0123456789abcdef")->owner,
            "token-" + Sha256::Of("ci-0123456789abcdef").Hex().substr(0, 8));
  std::ofstream(dir_.Sub("owned.txt")) << "admin ops-0123456789abcdef ops-team\n";
  TokenVerifier owned;
  ASSERT_TRUE(owned.AddFile(dir_.Sub("owned.txt")).ok());
  EXPECT_EQ(owned.Verify("ops-0123456789abcdef")->owner, "ops-team");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"root ci-0123456789abcdef\n", "bad.txt:1: scope \"root\""},
      {"write\n", "bad.txt:1: expected \"SCOPE TOKEN [OWNER]\""},
      {"write ci-0123456789abcdef ci bot\n",
       "bad.txt:1: expected \"SCOPE TOKEN [OWNER]\""},
      {"write ci-0123456789abcdef \x01\n", "bad.txt:1: token owner"},
      {"# x\nread short\n", "bad.txt:2: a token of fewer than 16 characters"},
  };
  for (const auto& [text, error] : bad) {
    std::ofstream(dir_.Sub("bad.txt")) << text;
    TokenVerifier w;
    const absl::Status s = w.AddFile(dir_.Sub("bad.txt"));
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << text;
    EXPECT_NE(s.message().find(error), std::string::npos) << s;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(TokenVerifier().AddFile(dir_.Sub("missing"))));
}

}  // namespace
}  // namespace strata::api
