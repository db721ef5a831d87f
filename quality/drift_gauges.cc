#include "quality/drift_gauges.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace strata::quality {
namespace {

// A label value as Prometheus' text format quotes it.
std::string LabelValue(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void DriftGauges::Record(const DriftResult& result) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const FeatureDrift& f : result.features) latest_[{result.view, f.name}] = f;
}

std::string DriftGauges::Text() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (latest_.empty()) return "";
  struct Gauge {
    const char* name;
    bool numeric_only, categorical_only;
    double (*value)(const FeatureDrift&);
  };
  const std::vector<Gauge> gauges = {
      {"strata_drift_psi", false, false,
       [](const FeatureDrift& f) {
         return f.numeric ? f.numbers.psi : f.categories.psi;
       }},
      {"strata_drift_ks_statistic", true, false,
       [](const FeatureDrift& f) { return f.numbers.ks.statistic; }},
      {"strata_drift_ks_p_value", true, false,
       [](const FeatureDrift& f) { return f.numbers.ks.p_value; }},
      {"strata_drift_wasserstein", true, false,
       [](const FeatureDrift& f) { return f.numbers.wasserstein; }},
      {"strata_drift_js", false, true,
       [](const FeatureDrift& f) { return f.categories.js; }},
      {"strata_drift_drifted", false, false,
       [](const FeatureDrift& f) { return f.drifted ? 1.0 : 0.0; }},
  };
  std::string t;
  for (const Gauge& g : gauges) {
    absl::StrAppend(&t, "# TYPE ", g.name, " gauge\n");
    for (const auto& [key, f] : latest_) {
      if ((g.numeric_only && !f.numeric) || (g.categorical_only && f.numeric)) continue;
      absl::StrAppend(&t, g.name, "{view=\"", LabelValue(key.first), "\",feature=\"",
                      LabelValue(key.second), "\"} ",
                      absl::StrFormat("%.17g", g.value(f)), "\n");
    }
  }
  return t;
}

}  // namespace strata::quality
