// The columns an ingest's observers read (features/ingest_observer.h).
#include "features/ingest_observer.h"

#include <utility>

namespace strata::features {

Value IngestColumnValues::value(size_t row) const {
  if (!present[row]) return Value();
  switch (type) {
    case VALUE_TYPE_DOUBLE:
      return Value(doubles[row]);
    case VALUE_TYPE_BOOL:
      return Value(ints[row] != 0);
    case VALUE_TYPE_STRING:
    case VALUE_TYPE_BYTES:
      return Value(std::string(string(row)));
    default:
      return Value(ints[row]);
  }
}

void IngestColumnValues::Clear(ValueType column_type, size_t rows) {
  type = column_type;
  present.clear();
  ints.clear();
  doubles.clear();
  chars.clear();
  ends.clear();
  present.reserve(rows);
  if (text()) {
    ends.reserve(rows);
  } else if (type == VALUE_TYPE_DOUBLE) {
    doubles.reserve(rows);
  } else {
    ints.reserve(rows);
  }
}

void IngestColumnValues::AppendOther(const Value& v) {
  if (v.index() == 3 && type == VALUE_TYPE_BOOL) {
    present.push_back(1);
    ints.push_back(std::get<bool>(v) ? 1 : 0);
    return;
  }
  AppendNull();
}

}  // namespace strata::features
