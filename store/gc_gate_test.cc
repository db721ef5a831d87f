#include "store/internal/gc_gate.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace strata::internal {
namespace {

Digest Id(uint8_t n) {
  Digest d;
  d.bytes[0] = n;
  return d;
}

TEST(GcGateTest, ASessionKeepsWhatLiveAndEndedReservationsReferenced) {
  GcGate gate;
  auto before = gate.Reserve();  // began before the session, still writing
  EXPECT_TRUE(before->ReferenceChunk(Id(1)));
  EXPECT_FALSE(before->ReferenceChunk(Id(1)));  // seen: the put skips it
  {
    auto finished = gate.Reserve();   // ended before the session: its writes are
    finished->ReferenceChunk(Id(9));  // visible to the mark, nothing to keep
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
  EXPECT_FALSE((*session)->ContentKept(Id(9)));
  std::vector<Digest> contents = (*session)->TakeNewContents();
  std::sort(contents.begin(), contents.end());
  EXPECT_EQ(contents, std::vector<Digest>({Id(3), Id(4)}));
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
}  // namespace strata::internal
