#include "features/rules.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "features/csv.h"
#include "features/definitions.h"
#include "re2/re2.h"
#include "store/excerpt.h"
#include "store/status_macros.h"

namespace strata::features {

namespace {

// The `allowed` strings of a feature: a few (the usual categories) compared one by
// one, length and first byte first, which beats hashing each value; more in a hash
// set.
class AllowedText {
 public:
  void insert(const std::string& text) {
    if (set_.insert(text).second) few_.push_back(text);
  }
  bool empty() const { return set_.empty(); }
  size_t size() const { return set_.size(); }
  bool contains(absl::string_view text) const {
    if (few_.size() > kFew) return set_.contains(text);
    for (const std::string& a : few_) {
      if (a.size() == text.size() && (text.empty() || a[0] == text[0]) && a == text) {
        return true;
      }
    }
    return false;
  }

 private:
  static constexpr size_t kFew = 8;
  absl::flat_hash_set<std::string> set_;
  std::vector<std::string> few_;  // the same strings, in order
};

}  // namespace

struct ViewRules::Feature {
  std::string name;
  ValueType type = VALUE_TYPE_UNSPECIFIED;
  bool has_rules = false;
  std::optional<Value> min, max;
  std::string min_text, max_text;
  std::set<Value> allowed;
  AllowedText allowed_text;  // `allowed` of a string feature
  bool not_null = false;
  std::optional<double> max_null_fraction;
  std::unique_ptr<RE2> pattern;
  // `(?:PATTERN\n)*`: many values at once (LinesMatch), or null when PATTERN might
  // match across a line end.
  std::unique_ptr<RE2> lines;
};

namespace {

// RE2::FullMatch without its arguments' handling (a seventh less per value).
bool WholeMatch(const RE2& pattern, absl::string_view text) {
  const re2::StringPiece piece(text.data(), text.size());
  return pattern.Match(piece, 0, piece.size(), RE2::ANCHOR_BOTH, nullptr, 0);
}

// Whether `pattern` (RE2 syntax, default options) cannot match a string holding a
// line end, told from its text alone and conservatively: no control character, no
// escape but \d, \w, \b, \B and escaped punctuation (\n, \s, \S, \D, \W, \x, \p,
// \C, \Q... may reach one), no negated or POSIX class, no flags ((?s) lets `.`
// match one). Its character ranges then start at a space or above; `.` stops at a
// line end; ^ and $ hold only at the text's ends, where a value joined to others
// fails to match, and \b and \B see a line end as they see a text's end.
bool KeepsToALine(absl::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(pattern[i]);
    const absl::string_view next = pattern.substr(i + 1);
    if (ch < 0x20 || ch == 0x7f) return false;
    if (ch == '\\') {
      if (next.empty()) return false;
      const char e = next[0];
      if (e != 'd' && e != 'w' && e != 'b' && e != 'B' && !absl::ascii_ispunct(e)) {
        return false;
      }
      ++i;
    } else if (ch == '[' && (absl::StartsWith(next, "^") || absl::StartsWith(next, ":"))) {
      return false;
    } else if (ch == '(' && absl::StartsWith(next, "?") && !absl::StartsWith(next, "?:")) {
      return false;
    }
  }
  return true;
}

// The text of a LinesMatch run: at most this many bytes of values.
constexpr size_t kLinesBytes = 64 << 10;

// Whether every value of rows [begin, end) of a text column that is present and
// not yet bad matches the feature's pattern, checked in one pass of `lines` over
// them joined by line ends (`joined` is scratch); false as well when a value holds
// a line end.
bool LinesMatch(const RE2& lines, const IngestColumnValues& column, const uint8_t* bad,
                size_t begin, size_t end, std::string* joined) {
  joined->clear();
  for (size_t r = begin; r < end; ++r) {
    if (!column.present[r] || bad[r]) continue;
    const absl::string_view text = column.string(r);
    if (text.find('\n') != absl::string_view::npos) return false;
    joined->append(text.data(), text.size());
    joined->push_back('\n');
  }
  return lines.Match(re2::StringPiece(joined->data(), joined->size()), 0, joined->size(),
                     RE2::ANCHOR_BOTH, nullptr, 0);
}

}  // namespace

std::string RuleViolation::Text() const {
  return absl::StrCat(
      source, ":", line, ": column ", column, ": ",
      value.empty() ? std::string("null value") : absl::StrCat("value ", value),
      " breaks ", rule);
}

absl::StatusOr<OnInvalid> ParseOnInvalid(absl::string_view text) {
  if (text.empty() || text == "reject") return OnInvalid::kReject;
  if (text == "drop") return OnInvalid::kDrop;
  if (text == "warn") return OnInvalid::kWarn;
  return absl::InvalidArgumentError(
      absl::StrCat("on_invalid ", Excerpt(text), " must be reject, drop or warn"));
}

absl::string_view OnInvalidName(OnInvalid mode) {
  switch (mode) {
    case OnInvalid::kDrop:
      return "drop";
    case OnInvalid::kWarn:
      return "warn";
    case OnInvalid::kReject:
      break;
  }
  return "reject";
}

bool HasRules(const FeatureView& view) {
  return std::any_of(view.features().begin(), view.features().end(),
                     [](const features::Feature& f) { return f.has_rules(); });
}

ViewRules::ViewRules() = default;
ViewRules::ViewRules(ViewRules&&) noexcept = default;
ViewRules& ViewRules::operator=(ViewRules&&) noexcept = default;
ViewRules::~ViewRules() = default;

absl::StatusOr<ViewRules> ViewRules::Compile(const FeatureView& view) {
  ViewRules out;
  ASSIGN_OR_RETURN(out.on_invalid_, ParseOnInvalid(view.on_invalid()));
  for (const features::Feature& f : view.features()) {
    Feature& c = out.features_.emplace_back();
    c.name = f.name();
    c.type = f.type();
    if (!f.has_rules()) continue;
    const FeatureRule& r = f.rules();
    c.has_rules = true;
    out.empty_ = false;
    auto parse = [&](const std::string& text) -> absl::StatusOr<Value> {
      auto v = ParseValue(text, f.type(), TimeUnit::kSeconds);
      if (!v.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("feature view '", view.name(), "', feature '", f.name(),
                         "': rule value ", Excerpt(text), ": ", v.status().message()));
      }
      return v;
    };
    if (r.has_min()) {
      ASSIGN_OR_RETURN(c.min, parse(r.min()));
      c.min_text = r.min();
    }
    if (r.has_max()) {
      ASSIGN_OR_RETURN(c.max, parse(r.max()));
      c.max_text = r.max();
    }
    for (const std::string& a : r.allowed()) {
      ASSIGN_OR_RETURN(Value v, parse(a));
      if (const std::string* text = std::get_if<std::string>(&v))
        c.allowed_text.insert(*text);
      c.allowed.insert(std::move(v));
    }
    c.not_null = r.not_null();
    if (r.has_max_null_fraction()) c.max_null_fraction = r.max_null_fraction();
    if (!r.pattern().empty()) {
      c.pattern = std::make_unique<RE2>(r.pattern(), RE2::Quiet);
      if (!c.pattern->ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "feature view '", view.name(), "', feature '", f.name(), "': pattern ",
            Excerpt(r.pattern()), " does not compile: ", c.pattern->error()));
      }
      if (KeepsToALine(r.pattern())) {
        c.lines =
            std::make_unique<RE2>(absl::StrCat("(?:(?:", r.pattern(), ")\n)*"), RE2::Quiet);
        if (!c.lines->ok()) c.lines.reset();
      }
    }
  }
  return out;
}

bool ViewRules::CheckValue(size_t feature, const Value& value,
                           std::string* broken) const {
  const Feature& c = features_[feature];
  if (!c.has_rules) return true;
  if (std::holds_alternative<std::monostate>(value)) {
    if (!c.not_null) return true;
    *broken = "not_null";
    return false;
  }
  if (c.min && value < *c.min) {
    *broken = absl::StrCat("min ", c.min_text);
    return false;
  }
  if (c.max && *c.max < value) {
    *broken = absl::StrCat("max ", c.max_text);
    return false;
  }
  if (!c.allowed.empty() && !c.allowed.count(value)) {
    *broken = "allowed";
    return false;
  }
  if (c.pattern != nullptr) {
    const std::string* text = std::get_if<std::string>(&value);
    if (text != nullptr && !WholeMatch(*c.pattern, *text)) {
      *broken = absl::StrCat("pattern ", c.pattern->pattern());
      return false;
    }
  }
  return true;
}

namespace {

// Marks the rows whose number is outside [lo, hi] (either bound optional), as
// Value's operator< orders them: a NaN is outside neither.
template <typename T>
void MarkOutside(const std::vector<T>& xs, const std::vector<uint8_t>& present,
                 const std::optional<Value>& lo, const std::optional<Value>& hi,
                 uint8_t* bad) {
  const T* const lo_x = lo.has_value() ? std::get_if<T>(&*lo) : nullptr;
  const T* const hi_x = hi.has_value() ? std::get_if<T>(&*hi) : nullptr;
  const size_t n = xs.size();
  if (lo_x != nullptr && hi_x != nullptr) {
    const T a = *lo_x, b = *hi_x;
    for (size_t r = 0; r < n; ++r) bad[r] |= present[r] & ((xs[r] < a) | (b < xs[r]));
  } else if (lo_x != nullptr) {
    const T a = *lo_x;
    for (size_t r = 0; r < n; ++r) bad[r] |= present[r] & (xs[r] < a);
  } else if (hi_x != nullptr) {
    const T b = *hi_x;
    for (size_t r = 0; r < n; ++r) bad[r] |= present[r] & (b < xs[r]);
  }
}

}  // namespace

void ViewRules::MarkBroken(size_t feature, const IngestColumnValues& column,
                           uint8_t* bad) const {
  const Feature& c = features_[feature];
  if (!c.has_rules) return;
  const size_t n = column.present.size();
  if (c.not_null) {
    for (size_t r = 0; r < n; ++r) bad[r] |= column.present[r] ^ 1;
  }
  const bool bounds = c.min.has_value() || c.max.has_value();
  if (!bounds && c.allowed.empty() && c.pattern == nullptr) return;
  // Bounds of the column's own type, compared in a loop over the numbers.
  const auto holds = [&](auto type_tag) {
    using T = decltype(type_tag);
    return (!c.min || std::holds_alternative<T>(*c.min)) &&
           (!c.max || std::holds_alternative<T>(*c.max));
  };
  bool rest = true;  // rows still to check value by value
  if (column.type == VALUE_TYPE_DOUBLE && holds(double{})) {
    MarkOutside(column.doubles, column.present, c.min, c.max, bad);
    rest = !c.allowed.empty() || c.pattern != nullptr;
  } else if ((column.type == VALUE_TYPE_INT64 || column.type == VALUE_TYPE_TIMESTAMP) &&
             holds(int64_t{})) {
    MarkOutside(column.ints, column.present, c.min, c.max, bad);
    rest = !c.allowed.empty() || c.pattern != nullptr;
  } else if (column.text() && !bounds &&
             (c.allowed.empty() || c.allowed_text.size() == c.allowed.size())) {
    // The allowed strings first; then the pattern over runs of values at once (one
    // call instead of one per value, whose set-up costs more than a short value's
    // match), value by value only in a run where a value breaks it.
    std::string joined;
    for (size_t begin = 0, end = 0; begin < n; begin = end) {
      size_t bytes = 0;
      for (end = begin; end < n && bytes < kLinesBytes; ++end) {
        if (!column.present[end] || bad[end]) continue;
        const absl::string_view text = column.string(end);
        bytes += text.size() + 1;
        if (!c.allowed_text.empty() && !c.allowed_text.contains(text)) bad[end] = 1;
      }
      if (c.pattern == nullptr ||
          (c.lines != nullptr && LinesMatch(*c.lines, column, bad, begin, end, &joined))) {
        continue;
      }
      for (size_t r = begin; r < end; ++r) {
        if (column.present[r] && !bad[r] && !WholeMatch(*c.pattern, column.string(r))) {
          bad[r] = 1;
        }
      }
    }
    rest = false;
  }
  if (!rest) return;
  // The rest (bools, bounds on strings, allowed numbers), value by value.
  std::string broken;
  for (size_t r = 0; r < n; ++r) {
    if (column.present[r] && !bad[r] && !CheckValue(feature, column.value(r), &broken)) {
      bad[r] = 1;
    }
  }
}

std::vector<std::string> ViewRules::CheckNulls(const std::vector<uint64_t>& nulls,
                                               uint64_t rows) const {
  std::vector<std::string> out;
  if (rows == 0) return out;
  for (size_t i = 0; i < features_.size() && i < nulls.size(); ++i) {
    const Feature& c = features_[i];
    if (!c.max_null_fraction) continue;
    const double fraction = static_cast<double>(nulls[i]) / static_cast<double>(rows);
    if (fraction > *c.max_null_fraction) {
      out.push_back(absl::StrFormat(
          "column %s: %d of %d values are null (%g), more than max_null_fraction %g",
          c.name, nulls[i], rows, fraction, *c.max_null_fraction));
    }
  }
  return out;
}

absl::Status RulesError(const RulesOutcome& outcome, uint64_t rows) {
  std::string message = "validation rules broken";
  if (outcome.violations > 0) {
    absl::StrAppend(&message, ": ", outcome.violations, " value(s) in ",
                    outcome.invalid_rows, " of ", rows, " row(s)");
  }
  for (const RuleViolation& v : outcome.examples) {
    absl::StrAppend(&message, "\n  ", v.Text());
  }
  if (outcome.violations > outcome.examples.size()) {
    absl::StrAppend(&message, "\n  ... and ",
                    outcome.violations - outcome.examples.size(), " more");
  }
  for (const std::string& b : outcome.batch) absl::StrAppend(&message, "\n  ", b);
  absl::StrAppend(&message, "\nnothing was written (on_invalid: ", outcome.on_invalid,
                  ")");
  return absl::InvalidArgumentError(message);
}

absl::Status RulesObserver::OnStart(const IngestStart& start) {
  const FeatureView& view = rules_view_ != nullptr ? *rules_view_ : *start.view;
  ASSIGN_OR_RETURN(ViewRules rules, ViewRules::Compile(view));
  if (rules.empty()) return absl::OkStatus();
  outcome_.on_invalid = std::string(OnInvalidName(rules.on_invalid()));
  rules_ = std::make_unique<ViewRules>(std::move(rules));
  source_ = start.source_name;
  view_ = start.view->name();
  columns_ = start.columns;
  feature_column_.assign(view.features_size(), -1);
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (columns_[c].role != IngestColumn::Role::kFeature) continue;
    for (int i = 0; i < view.features_size(); ++i) {
      if (view.features(i).name() == columns_[c].name) {
        feature_column_[i] = static_cast<int>(c);
      }
    }
  }
  nulls_.assign(feature_column_.size(), 0);
  if (rules_->on_invalid() == OnInvalid::kDrop && !check_only_) {
    for (const IngestColumn& c : columns_) {
      AppendCsvField(c.name, false, &quarantine_csv_);
      quarantine_csv_ += ',';
    }
    quarantine_csv_ += "line,rule\n";
  }
  return absl::OkStatus();
}

absl::Status RulesObserver::OnBlock(IngestBlock& block) {
  if (rules_ == nullptr) return absl::OkStatus();
  // Rows dropped already (by an earlier observer) are not checked, but by validate.
  const size_t n = block.rows();
  const bool all = check_only_ || block.dropped_count() == 0;
  const auto skipped = [&](size_t row) { return !all && block.dropped(row); };
  rows_ += all ? n : n - block.dropped_count();
  // Column by column, the rows breaking a rule; then each such row, worded.
  bad_.assign(n, 0);
  for (size_t i = 0; i < feature_column_.size(); ++i) {
    if (feature_column_[i] < 0) continue;
    const IngestColumnValues& column = block.column(feature_column_[i]);
    uint64_t present = 0;
    for (size_t row = 0; row < n; ++row) present += column.present[row] & !skipped(row);
    nulls_[i] += (all ? n : n - block.dropped_count()) - present;
    rules_->MarkBroken(i, column, bad_.data());
  }
  std::string broken, text;
  for (size_t row = 0; row < n; ++row) {
    if (!bad_[row] || skipped(row)) continue;
    std::string row_rules;
    for (size_t i = 0; i < feature_column_.size(); ++i) {
      if (feature_column_[i] < 0) continue;
      const Value value = block.value(row, feature_column_[i]);
      if (rules_->CheckValue(i, value, &broken)) continue;
      ++outcome_.violations;
      const std::string& column = columns_[feature_column_[i]].name;
      ++by_rule_[absl::StrCat(column, ": ", broken.substr(0, broken.find(' ')))];
      if (!row_rules.empty()) row_rules += "; ";
      absl::StrAppend(&row_rules, column, " ", broken);
      if (outcome_.examples.size() < kMaxViolationExamples) {
        text.clear();
        AppendValueText(value, columns_[feature_column_[i]].type, &text);
        outcome_.examples.push_back({source_, block.line(row), column,
                                     std::holds_alternative<std::monostate>(value)
                                         ? std::string()
                                         : Excerpt(text),
                                     broken});
      }
    }
    if (row_rules.empty()) continue;
    ++outcome_.invalid_rows;
    if (rules_->on_invalid() != OnInvalid::kDrop || check_only_) continue;
    block.Drop(row);
    for (size_t c = 0; c < columns_.size(); ++c) {
      text.clear();
      AppendValueText(block.value(row, c), columns_[c].type, &text);
      AppendCsvField(text, false, &quarantine_csv_);
      quarantine_csv_ += ',';
    }
    absl::StrAppend(&quarantine_csv_, block.line(row), ",");
    AppendCsvField(row_rules, false, &quarantine_csv_);
    quarantine_csv_ += '\n';
  }
  return absl::OkStatus();
}

absl::Status RulesObserver::BeforeCommit(const IngestSummary& summary) {
  (void)summary;
  if (rules_ == nullptr) return absl::OkStatus();
  outcome_.batch = rules_->CheckNulls(nulls_, rows_);
  if (!outcome_.batch.empty()) {
    for (std::string& b : outcome_.batch) b = absl::StrCat(source_, ": ", b);
  }
  const OnInvalid mode = rules_->on_invalid();
  if (check_only_) return absl::OkStatus();
  if ((mode == OnInvalid::kReject && outcome_.violations > 0) ||
      (mode != OnInvalid::kWarn && !outcome_.batch.empty())) {
    return RulesError(outcome_, rows_);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StoreQuarantine(Store& store, const std::string& view,
                                            const std::string& csv, NewVersion request) {
  auto source = StringSource(csv);
  ASSIGN_OR_RETURN(PutStats stats, store.content().Put(*source));
  request.artifact = ArtifactId{Kind::kDataset, absl::StrCat(view, "-quarantine")};
  request.content_id = stats.content_id;
  ASSIGN_OR_RETURN(CommitResult commit, store.artifacts().Commit(request));
  return absl::StrCat("dataset/", commit.version.name(), "@", commit.version.number());
}

absl::Status RulesObserver::WriteQuarantine(Store& store, const IngestResult& result,
                                            const Actor& creator) {
  if (rules_ == nullptr || rules_->on_invalid() != OnInvalid::kDrop || check_only_ ||
      outcome_.invalid_rows == 0) {
    return absl::OkStatus();
  }
  NewVersion request;
  if (!result.dataset.empty()) request.inputs.push_back(result.dataset);
  for (const std::string& input : result.inputs) request.inputs.push_back(input);
  request.metadata["view"] = result.view_version;
  request.metadata["ingest"] = absl::StrCat(result.ingest);
  request.metadata["rows"] = absl::StrCat(outcome_.invalid_rows);
  request.creator = creator;
  request.message = absl::StrCat("rows of ", source_, " breaking the rules of ",
                                 result.view_version, " (on_invalid: drop)");
  ASSIGN_OR_RETURN(outcome_.quarantine,
                   StoreQuarantine(store, view_, quarantine_csv_, std::move(request)));
  return absl::OkStatus();
}

namespace {

// Stops an ingest before it writes: `strata validate` reads a dataset as an ingest
// would and writes nothing.
class StopBeforeCommit : public IngestObserver {
 public:
  absl::Status OnStart(const IngestStart& start) override {
    source = start.source_name;
    view_version = start.view_version;
    return absl::OkStatus();
  }
  absl::Status OnBlock(IngestBlock&) override { return absl::OkStatus(); }
  absl::Status BeforeCommit(const IngestSummary&) override {
    reached = true;
    return absl::CancelledError("validation only");
  }
  bool reached = false;
  std::string source;        // "dataset/NAME@N"
  std::string view_version;  // "featureview/NAME@N"
};

}  // namespace

absl::StatusOr<ValidationReport> ValidateDataset(FeatureStore& fs,
                                                 const std::string& dataset,
                                                 const std::string& view,
                                                 const std::string& rules_file,
                                                 const std::string& rules_source) {
  ValidationReport report;
  std::optional<FeatureView> from_file;
  std::string view_name = view;
  if (!rules_file.empty()) {
    ASSIGN_OR_RETURN(Definitions defs, ParseDefinitions(rules_file, rules_source));
    if (defs.feature_views_size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          rules_source, " defines ", defs.feature_views_size(),
          " feature views; --rules takes a file of one, whose rules are checked"));
    }
    from_file = defs.feature_views(0);
    if (view_name.empty()) view_name = from_file->name();
    report.rules_from = std::string(rules_source);
  }
  if (absl::StartsWith(view_name, "featureview/")) view_name.erase(0, 12);
  ASSIGN_OR_RETURN(FeatureView stored, fs.registry().Get(view_name));
  const std::string name = stored.name();
  ASSIGN_OR_RETURN(std::optional<Ref> ref, StoredIngestSource(dataset));
  if (!ref.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(dataset), " is not a dataset version (dataset/NAME[@REF])"));
  }
  RulesObserver::CheckOnly check;
  if (from_file.has_value()) check.rules = &*from_file;
  RulesObserver checker(check);
  StopBeforeCommit stop;
  IngestOptions options;
  options.observers = {&checker, &stop};
  options.store_observers = false;  // nothing is committed: no profile to compute
  absl::StatusOr<IngestResult> result = fs.Ingest(name, dataset, options);
  // The view's own rules may stop the ingest first (reject): the checker has seen
  // every block by then.
  const bool read_all =
      stop.reached || (absl::IsInvalidArgument(result.status()) &&
                       absl::StartsWith(result.status().message(), "validation rules"));
  if (!read_all) {
    if (!result.ok()) return result.status();
    return absl::InternalError("validation wrote an ingest");
  }
  report.dataset = stop.source.empty() ? dataset : stop.source;
  report.featureview = stop.view_version.empty() ? absl::StrCat("featureview/", view_name)
                                                 : stop.view_version;
  if (report.rules_from.empty()) report.rules_from = report.featureview;
  report.rows = checker.rows_checked();
  report.by_rule = checker.by_rule();
  report.outcome = checker.outcome();
  return report;
}

}  // namespace strata::features
