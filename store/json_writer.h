// JsonWriter: builds compact JSON text. Used for every JSON strata prints or serves,
// so the CLI and the HTTP API agree byte for byte.
#ifndef STRATA_STORE_JSON_WRITER_H_
#define STRATA_STORE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace strata {

// Not thread-safe. REQUIRES: calls nest properly (Key before each object member).
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // Non-finite values are written as null (JSON has no NaN).
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

  // `value` as a quoted JSON string with escapes. Bytes that are not valid UTF-8
  // (metadata may hold anything) become U+FFFD, so the output is always valid JSON.
  static std::string Quote(absl::string_view value);

 private:
  void BeforeValue();
  std::string out_;
  std::vector<bool> first_;  // per open container: no member written yet
  bool after_key_ = false;
};

}  // namespace strata

#endif  // STRATA_STORE_JSON_WRITER_H_
