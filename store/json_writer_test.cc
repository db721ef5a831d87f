#include "store/json_writer.h"

#include <cmath>

#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(JsonWriterTest, NestsObjectsAndArrays) {
  JsonWriter w;
  w.BeginObject()
      .Key("a")
      .Int(-1)
      .Key("b")
      .BeginArray()
      .Uint(2)
      .Bool(true)
      .Null()
      .EndArray();
  w.Key("c").BeginObject().EndObject().Key("d").String("x").EndObject();
  EXPECT_EQ(w.str(), R"({"a":-1,"b":[2,true,null],"c":{},"d":"x"})");
}

TEST(JsonWriterTest, DoublesUseTheShortestRoundTripForm) {
  JsonWriter w;
  w.BeginArray()
      .Double(0.91)
      .Double(1e-7)
      .Double(3)
      .Double(0.1 + 0.2)
      .Double(NAN)
      .EndArray();
  EXPECT_EQ(w.str(), "[0.91,1e-07,3,0.30000000000000004,null]");
}

TEST(JsonWriterTest, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(JsonWriter::Quote("a\"b\\c\n\t\x01"), R"("a\"b\\c\n\t\u0001")");
}

TEST(JsonWriterTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(JsonWriter::Quote("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(JsonWriter::Quote("bad\xFF"), R"("bad\ufffd")");
  EXPECT_EQ(JsonWriter::Quote("\xC3"), R"("\ufffd")");                      // truncated
  EXPECT_EQ(JsonWriter::Quote("\xC0\xAF"), R"("\ufffd\ufffd")");            // overlong
  EXPECT_EQ(JsonWriter::Quote("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
}

}  // namespace
}  // namespace strata
