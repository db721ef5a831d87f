#include "api/internal/json_body.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/excerpt.h"

namespace strata::api::internal {
namespace {

absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

// The object, or why the parse failed.
absl::StatusOr<simdjson::dom::object> AsObject(simdjson::error_code error,
                                               simdjson::dom::element doc,
                                               absl::string_view what) {
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not valid JSON (", simdjson::error_message(error), ")"));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not a JSON object"));
  }
  if (absl::Status s = CheckNoDuplicateKeys(doc); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
  }
  return obj;
}

}  // namespace

absl::StatusOr<simdjson::dom::object> ParseJsonObject(simdjson::dom::parser& parser,
                                                      const std::string& body,
                                                      absl::string_view what) {
  simdjson::dom::element doc;
  const simdjson::error_code error = parser.parse(body).get(doc);
  return AsObject(error, doc, what);
}

absl::StatusOr<simdjson::dom::object> ParseJsonObject(simdjson::dom::parser& parser,
                                                      absl::string_view body,
                                                      absl::string_view what) {
  simdjson::dom::element doc;
  const simdjson::error_code error = parser.parse(body.data(), body.size()).get(doc);
  return AsObject(error, doc, what);
}

absl::Status CheckNoDuplicateKeys(simdjson::dom::element value) {
  using simdjson::dom::element_type;
  // Containers still to visit, each with the path to it ("" for the root).
  std::vector<std::pair<simdjson::dom::element, std::string>> pending;
  const auto visit = [&pending](simdjson::dom::element e, auto&& path) {
    const element_type t = e.type();
    if (t == element_type::OBJECT || t == element_type::ARRAY) {
      pending.emplace_back(e, path());
    }
  };
  visit(value, [] { return std::string(); });
  std::vector<std::string_view> keys;  // of one object, sorted
  while (!pending.empty()) {
    auto [e, path] = std::move(pending.back());
    pending.pop_back();
    simdjson::dom::array array;
    if (!e.get_array().get(array)) {
      size_t i = 0;
      for (simdjson::dom::element item : array) {
        visit(item, [&] { return absl::StrCat(path, "[", i, "]"); });
        ++i;
      }
      continue;
    }
    simdjson::dom::object object;
    if (e.get_object().get(object)) continue;  // only containers are pending
    keys.clear();
    for (const simdjson::dom::key_value_pair field : object) {
      keys.push_back(field.key);
      visit(field.value, [&] {
        return path.empty() ? std::string(field.key)
                            : absl::StrCat(path, ".", Sv(field.key));
      });
    }
    std::sort(keys.begin(), keys.end());
    const auto twice = std::adjacent_find(keys.begin(), keys.end());
    if (twice != keys.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key ", Excerpt(Sv(*twice)), " appears twice",
                       path.empty() ? "" : absl::StrCat(" in ", Excerpt(path))));
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::api::internal
