#include "store/gc_gate.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace strata {
namespace {

Digest Id(uint8_t n) {
  Digest d;
  d.bytes[0] = n;
  return d;
}

TEST(GcGateTest, ASessionKeepsWhatLiveAndEndedReservationsReferenced) {
  int64_t now = 1000;
  GcGate gate([&] { return now; });
  {
    auto old = gate.Reserve();  // a put of over a minute ago
    old->ReferenceContent(Id(8));
  }
  now += GcGate::kRecentContentSeconds + 1;
  auto before = gate.Reserve();  // began before the session, still writing
  EXPECT_TRUE(before->ReferenceChunk(Id(1)));
  EXPECT_FALSE(before->ReferenceChunk(Id(1)));  // seen: the put skips it
  {
    // Ended before the session: its chunks are for the mark to see, but its
    // content stays kept for a minute (its commit may come while gc runs).
    auto finished = gate.Reserve();
    finished->ReferenceChunk(Id(9));
    finished->ReferenceContent(Id(9));
  }
  auto session = gate.BeginSession();
  ASSERT_TRUE(session.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(gate.BeginSession().status()));
  {
    auto during = gate.Reserve();
    during->ReferenceChunk(Id(2));
    during->ReferenceContent(Id(3));
  }  // ended while the session runs: kept until it ends
  before->ReferenceContent(Id(4));

  const auto hold = (*session)->Exclusive();
  EXPECT_TRUE((*session)->ChunkKept(Id(1)));
  EXPECT_TRUE((*session)->ChunkKept(Id(2)));
  EXPECT_FALSE((*session)->ChunkKept(Id(9)));
  EXPECT_TRUE((*session)->ContentKept(Id(3)));
  EXPECT_TRUE((*session)->ContentKept(Id(4)));
  EXPECT_TRUE((*session)->ContentKept(Id(9)));
  EXPECT_FALSE((*session)->ContentKept(Id(8)));  // over a minute ago
  std::vector<Digest> contents = (*session)->TakeNewContents();
  std::sort(contents.begin(), contents.end());
  EXPECT_EQ(contents, std::vector<Digest>({Id(3), Id(4), Id(9)}));
  EXPECT_TRUE((*session)->TakeNewContents().empty());  // each once
}

TEST(GcGateTest, AnEndedSessionForgetsAndAnotherMayBegin) {
  GcGate gate;
  {
    auto session = gate.BeginSession();
    ASSERT_TRUE(session.ok());
    gate.Reserve()->ReferenceChunk(Id(1));
  }
  auto session = gate.BeginSession();
  ASSERT_TRUE(session.ok());
  const auto hold = (*session)->Exclusive();
  EXPECT_FALSE((*session)->ChunkKept(Id(1)));
}

}  // namespace
}  // namespace strata
