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

void IngestColumnValues::AppendNull() {
  present.push_back(0);
  if (text()) {
    ends.push_back(chars.size());
  } else if (type == VALUE_TYPE_DOUBLE) {
    doubles.push_back(0);
  } else {
    ints.push_back(0);
  }
}

void IngestColumnValues::Append(const Value& v) {
  switch (v.index()) {
    case 1:
      if (text() || type == VALUE_TYPE_DOUBLE || type == VALUE_TYPE_BOOL) break;
      present.push_back(1);
      ints.push_back(std::get<int64_t>(v));
      return;
    case 2:
      if (type != VALUE_TYPE_DOUBLE) break;
      present.push_back(1);
      doubles.push_back(std::get<double>(v));
      return;
    case 3:
      if (type != VALUE_TYPE_BOOL) break;
      present.push_back(1);
      ints.push_back(std::get<bool>(v) ? 1 : 0);
      return;
    case 4:
      if (!text()) break;
      present.push_back(1);
      chars += std::get<std::string>(v);
      ends.push_back(chars.size());
      return;
    default:
      break;
  }
  AppendNull();
}

}  // namespace strata::features
