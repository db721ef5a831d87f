#include "quality/render.h"

#include <cmath>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "features/values.h"
#include "store/excerpt.h"
#include "store/json_writer.h"

namespace strata::quality {
namespace {

// A value of a numeric column as JSON: text for times, whole numbers for int64.
void WriteValue(JsonWriter& w, ColumnType type, double v) {
  switch (type) {
    case ColumnType::kTimestamp:
      w.String(features::FormatTimestamp(static_cast<features::Micros>(std::llround(v))));
      return;
    case ColumnType::kInt64:
      if (std::abs(v) < 9.2e18) {
        w.Int(static_cast<int64_t>(v));
        return;
      }
      break;
    case ColumnType::kBool:
      w.Bool(v != 0);
      return;
    default:
      break;
  }
  w.Double(v);
}

// As a table cell: times as RFC 3339, doubles to 6 significant digits.
std::string ValueText(ColumnType type, double v) {
  if (type == ColumnType::kDouble) {
    // 6 significant digits, but never an exponent for what a whole number shows.
    if (std::abs(v) >= 1e6 && std::abs(v) < 1e15) return absl::StrFormat("%.1f", v);
    return absl::StrCat(v);
  }
  JsonWriter w;
  WriteValue(w, type, v);
  std::string text = w.Take();
  if (type == ColumnType::kTimestamp) text = text.substr(1, text.size() - 2);
  return text;
}

std::string QuantileName(double q) { return absl::StrCat("p", std::llround(q * 100)); }

// Bools: the count of each value, largest first.
std::vector<std::pair<bool, uint64_t>> BoolCounts(const ColumnProfile& c) {
  const uint64_t trues = static_cast<uint64_t>(std::llround(c.mean() * c.count()));
  std::vector<std::pair<bool, uint64_t>> out = {{true, trues},
                                                {false, c.count() - trues}};
  if (out[1].second > out[0].second) std::swap(out[0], out[1]);
  if (out[1].second == 0) out.pop_back();
  return out;
}

void WriteColumn(JsonWriter& w, const ColumnProfile& c) {
  const ColumnType type = c.type();
  w.BeginObject();
  w.Key("name").String(c.name());
  w.Key("type").String(ColumnTypeName(type));
  w.Key("count").Uint(c.count());
  w.Key("nulls").Uint(c.nulls());
  w.Key("distinct").Uint(c.distinct());
  if (c.numeric() && c.count() > 0) {
    w.Key("min");
    WriteValue(w, type, c.min());
    w.Key("max");
    WriteValue(w, type, c.max());
    w.Key("mean");
    WriteValue(w, type == ColumnType::kTimestamp ? type : ColumnType::kDouble, c.mean());
    if (type != ColumnType::kBool && c.stddev().has_value()) {
      w.Key("stddev").Double(type == ColumnType::kTimestamp ? *c.stddev() / 1e6
                                                            : *c.stddev());
    }
    if (type != ColumnType::kBool) {
      w.Key("quantiles").BeginObject();
      for (double q : kQuantiles) {
        w.Key(QuantileName(q));
        WriteValue(w, type, c.Quantile(q));
      }
      w.EndObject();
      w.Key("histogram").BeginArray();
      for (const HistogramBin& bin : c.Histogram()) {
        const ColumnType edge =
            type == ColumnType::kTimestamp ? type : ColumnType::kDouble;
        w.BeginObject().Key("lo");
        WriteValue(w, edge, bin.lo);
        w.Key("hi");
        WriteValue(w, edge, bin.hi);
        w.Key("count").Uint(bin.count).EndObject();
      }
      w.EndArray();
    }
  }
  if (type == ColumnType::kBool && c.count() > 0) {
    w.Key("top").BeginArray();
    for (const auto& [value, n] : BoolCounts(c)) {
      w.BeginObject().Key("value").Bool(value).Key("count").Uint(n).EndObject();
    }
    w.EndArray();
  }
  if (type == ColumnType::kString) {
    w.Key("top").BeginArray();
    for (const auto& [value, n] : c.Top()) {
      w.BeginObject().Key("value").String(value).Key("count").Uint(n).EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

bool IsWindow(const StatsResult& result) {
  return absl::StartsWith(result.source, "featureview/");
}

}  // namespace

std::string StatsJson(const StatsResult& result) {
  JsonWriter w;
  w.BeginObject();
  w.Key("source").String(result.source);
  if (!result.stored.empty()) w.Key("stored").String(result.stored);
  w.Key("computed").Bool(result.computed);
  if (IsWindow(result)) {
    w.Key("method").String(result.merged > 0 ? "merged" : "scanned");
    if (result.merged > 0) w.Key("ingest_profiles").Uint(result.merged);
  }
  w.Key("rows").Uint(result.profile.rows());
  w.Key("columns").BeginArray();
  for (const ColumnProfile& c : result.profile.columns()) WriteColumn(w, c);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string StatsHeadline(const StatsResult& result) {
  std::string where;
  if (!result.stored.empty()) {
    where = result.computed ? absl::StrCat(" (stored as ", result.stored, ")")
                            : absl::StrCat(" (read from ", result.stored, ")");
  } else if (IsWindow(result)) {
    where = result.merged > 0
                ? absl::StrCat(" (merged from ", result.merged, " ingest profile",
                               result.merged == 1 ? "" : "s", ")")
                : " (scanned)";
  }
  return absl::StrCat(result.source, ": ", result.profile.rows(), " rows, ",
                      result.profile.columns().size(), " columns", where);
}

std::vector<std::vector<std::string>> StatsRows(const StatsResult& result) {
  std::vector<std::vector<std::string>> rows = {{"COLUMN", "TYPE", "COUNT", "NULLS",
                                                 "DISTINCT", "MIN", "P25", "P50", "P75",
                                                 "MAX", "MEAN", "STDDEV"}};
  for (const ColumnProfile& c : result.profile.columns()) {
    std::vector<std::string>& row = rows.emplace_back();
    const ColumnType type = c.type();
    row = {c.name(), std::string(ColumnTypeName(type)), absl::StrCat(c.count()),
           absl::StrCat(c.nulls()), absl::StrCat(c.distinct())};
    if (!c.numeric() || c.count() == 0) {
      row.insert(row.end(), 7, "-");
      continue;
    }
    const bool quantiles = type != ColumnType::kBool;
    row.push_back(ValueText(type, c.min()));
    for (double q : {0.25, 0.5, 0.75}) {
      row.push_back(quantiles ? ValueText(type, c.Quantile(q)) : "-");
    }
    row.push_back(ValueText(type, c.max()));
    const ColumnType mean_type =
        type == ColumnType::kTimestamp ? type : ColumnType::kDouble;
    row.push_back(ValueText(mean_type, c.mean()));
    if (type == ColumnType::kBool || !c.stddev().has_value()) {
      row.push_back("-");
    } else if (type == ColumnType::kTimestamp) {
      row.push_back(absl::StrCat(ValueText(ColumnType::kDouble, *c.stddev() / 1e6), "s"));
    } else {
      row.push_back(ValueText(ColumnType::kDouble, *c.stddev()));
    }
  }
  return rows;
}

std::vector<std::string> StatsTopLines(const StatsResult& result) {
  std::vector<std::string> lines;
  for (const ColumnProfile& c : result.profile.columns()) {
    if (c.type() != ColumnType::kString || c.count() == 0) continue;
    std::vector<std::string> items;
    for (const auto& [value, n] : c.Top()) {
      items.push_back(absl::StrCat(Excerpt(value, 32), " (", n, ")"));
    }
    lines.push_back(absl::StrCat(c.name(), " top: ", absl::StrJoin(items, ", ")));
  }
  return lines;
}

}  // namespace strata::quality
