#include "quality/drift_render.h"

#include "absl/strings/str_format.h"
#include "store/json_writer.h"

namespace strata::quality {

std::string DriftJson(const DriftResult& result) {
  JsonWriter w;
  w.BeginObject();
  w.Key("baseline").String(result.baseline);
  w.Key("current").String(result.current);
  w.Key("thresholds").BeginObject();
  w.Key("psi").Double(result.thresholds.psi);
  w.Key("ks_p_value").Double(result.thresholds.ks_p_value);
  w.Key("ks_statistic").Double(result.thresholds.ks_statistic);
  w.EndObject();
  w.Key("features").BeginArray();
  for (const FeatureDrift& f : result.features) {
    w.BeginObject();
    w.Key("name").String(f.name);
    w.Key("type").String(ColumnTypeName(f.type));
    w.Key("baseline_count").Uint(f.baseline_count);
    w.Key("current_count").Uint(f.current_count);
    if (f.numeric) {
      w.Key("ks").BeginObject();
      w.Key("statistic").Double(f.numbers.ks.statistic);
      w.Key("p_value").Double(f.numbers.ks.p_value);
      w.EndObject();
      w.Key("psi").Double(f.numbers.psi);
      w.Key("wasserstein").Double(f.numbers.wasserstein);
    } else {
      w.Key("psi").Double(f.categories.psi);
      w.Key("js").Double(f.categories.js);
    }
    w.Key("drifted").Bool(f.drifted);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.str();
}

std::vector<std::vector<std::string>> DriftRows(const DriftResult& result) {
  std::vector<std::vector<std::string>> rows = {
      {"FEATURE", "TYPE", "KS_D", "KS_P", "PSI", "WASSERSTEIN", "JS", "DRIFTED"}};
  const auto num = [](double v) { return absl::StrFormat("%.6g", v); };
  for (const FeatureDrift& f : result.features) {
    if (f.numeric) {
      rows.push_back({f.name, std::string(ColumnTypeName(f.type)),
                      num(f.numbers.ks.statistic), num(f.numbers.ks.p_value),
                      num(f.numbers.psi), num(f.numbers.wasserstein), "-",
                      f.drifted ? "yes" : "no"});
    } else {
      rows.push_back({f.name, std::string(ColumnTypeName(f.type)), "-", "-",
                      num(f.categories.psi), "-", num(f.categories.js),
                      f.drifted ? "yes" : "no"});
    }
  }
  return rows;
}

DriftAnswer ToAnswer(const DriftResult& result) {
  DriftAnswer a;
  a.set_baseline(result.baseline);
  a.set_current(result.current);
  a.mutable_thresholds()->set_psi(result.thresholds.psi);
  a.mutable_thresholds()->set_ks_p_value(result.thresholds.ks_p_value);
  a.mutable_thresholds()->set_ks_statistic(result.thresholds.ks_statistic);
  for (const FeatureDrift& f : result.features) {
    FeatureDriftProto* p = a.add_features();
    p->set_name(f.name);
    p->set_type(std::string(ColumnTypeName(f.type)));
    p->set_numeric(f.numeric);
    p->set_baseline_count(f.baseline_count);
    p->set_current_count(f.current_count);
    if (f.numeric) {
      p->set_ks_statistic(f.numbers.ks.statistic);
      p->set_ks_p_value(f.numbers.ks.p_value);
      p->set_psi(f.numbers.psi);
      p->set_wasserstein(f.numbers.wasserstein);
    } else {
      p->set_psi(f.categories.psi);
      p->set_js(f.categories.js);
    }
    p->set_drifted(f.drifted);
  }
  return a;
}

DriftResult FromAnswer(const DriftAnswer& a) {
  DriftResult r;
  r.baseline = a.baseline();
  r.current = a.current();
  r.thresholds = {.psi = a.thresholds().psi(),
                  .ks_p_value = a.thresholds().ks_p_value(),
                  .ks_statistic = a.thresholds().ks_statistic()};
  for (const FeatureDriftProto& p : a.features()) {
    FeatureDrift& f = r.features.emplace_back();
    f.name = p.name();
    for (ColumnType t : {ColumnType::kInt64, ColumnType::kDouble, ColumnType::kBool,
                         ColumnType::kString, ColumnType::kTimestamp}) {
      if (ColumnTypeName(t) == p.type()) f.type = t;
    }
    f.numeric = p.numeric();
    f.baseline_count = p.baseline_count();
    f.current_count = p.current_count();
    if (f.numeric) {
      f.numbers = {.ks = {.statistic = p.ks_statistic(), .p_value = p.ks_p_value()},
                   .psi = p.psi(),
                   .wasserstein = p.wasserstein(),
                   .drifted = p.drifted()};
    } else {
      f.categories = {.psi = p.psi(), .js = p.js(), .drifted = p.drifted()};
    }
    f.drifted = p.drifted();
  }
  return r;
}

}  // namespace strata::quality
