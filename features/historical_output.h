// HistoricalOutput: what a point-in-time join writes its result to, row by row in
// spine order, and its two formats: CSV (the spine's columns as read, then the
// features) and JSON lines (one object per row, values typed by the features'
// and join keys' types; docs/http-api.md, "Historical retrieval").
#ifndef STRATA_FEATURES_HISTORICAL_OUTPUT_H_
#define STRATA_FEATURES_HISTORICAL_OUTPUT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "features/features.pb.h"
#include "features/values.h"

namespace strata::features {

// The columns of a join's result.
struct ResultColumns {
  std::vector<std::string> spine;  // the spine's header, in order
  // The type of each spine column that is a join key of a requested view; none for
  // the others.
  std::vector<std::optional<ValueType>> spine_types;
  std::vector<std::string> features;  // the requested features' output names
  std::vector<ValueType> feature_types;
};

// A format of the join's result. The join calls Begin once, then AppendRow for each
// row; the text goes where the join's caller said.
// Thread safety: after Begin, AppendRow is called from several threads at once
// (each on its own rows and `out`); it must not change the object.
class HistoricalOutput {
 public:
  virtual ~HistoricalOutput() = default;

  // Appends the result's header (if the format has one) to `out`, and keeps what
  // the rows need of `columns`. Called once, before any row.
  virtual void Begin(const ResultColumns& columns, std::string* out) = 0;

  // Appends one row to `out`. `spine`: the row's spine record as CSV without its
  // line end (a record the join read and checked); `values`: the requested
  // features' values in the columns' order, monostate for none.
  virtual void AppendRow(absl::string_view spine, const std::vector<Value>& values,
                         std::string* out) const = 0;
};

// CSV: a header row, then each spine record as read followed by the features'
// values (strings quoted when needed, an empty string as "", none as nothing).
std::unique_ptr<HistoricalOutput> NewCsvOutput();

// JSON lines: one object per row, keys the result's column names. Features and join
// keys take their type (int64, double and bool as JSON numbers and booleans, a
// non-finite double as null, strings, bytes (base64) and timestamps (RFC 3339) as
// strings); the spine's other columns their form: an unquoted empty field is null, a
// quoted one a string, a JSON number a number, true/false a boolean, anything else
// a string. No header line.
std::unique_ptr<HistoricalOutput> NewJsonLinesOutput();

// The formats, by name.
enum class ResultFormat { kCsv, kJsonLines };
std::unique_ptr<HistoricalOutput> NewHistoricalOutput(ResultFormat format);

}  // namespace strata::features

#endif  // STRATA_FEATURES_HISTORICAL_OUTPUT_H_
