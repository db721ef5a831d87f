// Validation rules (docs/quality.md, "Validation rules"): the rules a feature view's
// definition gives its features (min, max, allowed, not_null, max_null_fraction,
// pattern; features.proto FeatureRule) compiled once, checked on every value an
// ingest, a push or `strata validate` reads, and the view's on_invalid mode
// (reject, drop, warn) applied.
//
//   ASSIGN_OR_RETURN(ViewRules rules, ViewRules::Compile(view));
//   std::string broken;
//   if (!rules.CheckValue(feature_index, value, &broken)) ...  // "min 0"
//
// FeatureStore::Ingest runs a RulesObserver on every ingest.
#ifndef STRATA_FEATURES_RULES_H_
#define STRATA_FEATURES_RULES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "features/feature_store.h"
#include "features/features.pb.h"
#include "features/ingest_observer.h"
#include "features/values.h"

namespace strata::features {

enum class OnInvalid { kReject, kDrop, kWarn };

// "reject" (or empty), "drop", "warn". Errors: InvalidArgument.
absl::StatusOr<OnInvalid> ParseOnInvalid(absl::string_view text);
absl::string_view OnInvalidName(OnInvalid mode);

// Whether a feature of `view` has a rule.
bool HasRules(const FeatureView& view);

// The compiled rules of one feature view version. Movable, not copyable.
class ViewRules {
 public:
  // Errors: InvalidArgument when a stored rule does not parse for its feature's type
  // (ParseDefinitions refuses such files, so only damaged definitions).
  static absl::StatusOr<ViewRules> Compile(const FeatureView& view);

  ViewRules(ViewRules&&) noexcept;
  ViewRules& operator=(ViewRules&&) noexcept;
  ~ViewRules();

  // Whether no feature has a rule.
  bool empty() const { return empty_; }
  OnInvalid on_invalid() const { return on_invalid_; }

  // Whether `value` of the view's feature number `feature` (definition order) keeps
  // its row rules (min, max, allowed, not_null, pattern). When not, `broken` is the
  // first rule it breaks: "min 0", "max 10", "allowed", "not_null", "pattern RE".
  // max_null_fraction is a batch rule: CheckNulls.
  bool CheckValue(size_t feature, const Value& value, std::string* broken) const;
  // The same over a column of rows at once: sets bad[r] to 1 for each row r whose
  // value in `column` (of feature number `feature`) breaks a row rule, and leaves
  // the others. CheckValue then words what each breaks. REQUIRES: bad holds
  // column.present.size() bytes.
  void MarkBroken(size_t feature, const IngestColumnValues& column, uint8_t* bad) const;

  // The batch rules: with `nulls[i]` null values of feature i among `rows` rows,
  // the sentences of the max_null_fraction rules broken ("feature x: 3 of 4 values
  // are null (0.75), more than max_null_fraction 0.5").
  std::vector<std::string> CheckNulls(const std::vector<uint64_t>& nulls,
                                      uint64_t rows) const;

 private:
  struct Feature;
  ViewRules();
  std::vector<Feature> features_;
  bool empty_ = true;
  OnInvalid on_invalid_ = OnInvalid::kReject;
};

// At most this many violations are listed (in errors, results and reports).
inline constexpr size_t kMaxViolationExamples = 10;

// The InvalidArgument error of a batch refused by its rules: the first violations,
// the batch rules broken and the total count.
absl::Status RulesError(const RulesOutcome& outcome, uint64_t rows);

// Stores the rows left out under drop (`csv`: the view's columns,
// then `line` and `rule`) as the next version of dataset `VIEW-quarantine`, with
// `request`'s inputs, metadata, creator and message; returns its reference,
// "dataset/VIEW-quarantine@N". An ingest's (RulesObserver::WriteQuarantine) and a
// push's (FeatureStore::PushOnline) quarantines are both written here.
// Errors: the store's.
absl::StatusOr<std::string> StoreQuarantine(Store& store, const std::string& view,
                                            const std::string& csv, NewVersion request);

// Applies the rules of the view an ingest validates against (IngestStart::view):
// under reject, BeforeCommit fails the ingest with RulesError when any row breaks
// a rule; under drop, the breaking rows are dropped (IngestBlock::Drop) and kept as
// CSV for the quarantine dataset; under warn, they are only reported. A broken
// max_null_fraction fails the ingest under reject and drop (rows cannot be dropped
// to keep a fraction), and is reported under warn. `mode`, when given, overrides
// the view's on_invalid (`strata validate`).
class RulesObserver : public IngestObserver {
 public:
  RulesObserver() = default;
  // A checker for `strata validate`: the rules of `rules` (a view of the same
  // columns; null: the ingest's view) applied to every row, dropped or not, and
  // never failing: the outcome only.
  struct CheckOnly {
    const FeatureView* rules = nullptr;
  };
  explicit RulesObserver(CheckOnly check) : check_only_(true), rules_view_(check.rules) {}

  absl::Status OnStart(const IngestStart& start) override;
  absl::Status OnBlock(IngestBlock& block) override;
  absl::Status BeforeCommit(const IngestSummary& summary) override;

  // What the rules found (on_invalid empty when the view has no rules).
  const RulesOutcome& outcome() const { return outcome_; }
  RulesOutcome& outcome() { return outcome_; }
  uint64_t rows_checked() const { return rows_; }
  // Violations counted by "column: rule kind" ("spend: min").
  const std::map<std::string, uint64_t>& by_rule() const { return by_rule_; }

  // Under drop, when rows were dropped: writes them as the next version of dataset
  // `VIEW-quarantine` (CSV: the view's columns, then `line` and `rule`), with the
  // ingest's dataset and inputs as lineage inputs, and sets outcome().quarantine.
  absl::Status WriteQuarantine(Store& store, const IngestResult& result,
                               const Actor& creator);

 private:
  bool check_only_ = false;
  const FeatureView* rules_view_ = nullptr;
  std::unique_ptr<ViewRules> rules_;
  std::string source_;
  std::string view_;
  std::vector<IngestColumn> columns_;
  std::vector<int> feature_column_;  // feature i's column in the blocks
  std::vector<uint64_t> nulls_;
  std::vector<uint8_t> bad_;  // a block's rows breaking a rule (scratch)
  uint64_t rows_ = 0;
  std::map<std::string, uint64_t> by_rule_;
  std::string quarantine_csv_;
  RulesOutcome outcome_;
};

// What `strata validate` found in a dataset version.
struct ValidationReport {
  std::string dataset;      // "dataset/NAME@N"
  std::string featureview;  // "featureview/NAME@N" whose schema read it
  std::string rules_from;   // the view version or the definitions file of the rules
  uint64_t rows = 0;        // rows checked
  std::map<std::string, uint64_t> by_rule;  // "column: rule kind" -> violations
  RulesOutcome outcome;                     // on_invalid: the rules' view's mode

  bool clean() const { return outcome.violations == 0 && outcome.batch.empty(); }
};

// Checks dataset version `dataset` ("dataset/NAME[@REF]") against the rules of
// feature view `view` ("NAME[@REF]" or "featureview/NAME[@REF]"; its latest
// version's schema reads the rows, as an ingest's would), or, with `rules_file`, of
// the one feature view that definitions file (named `rules_source`) defines, which
// must name a view of the store. Nothing is written.
// Errors: NotFound for an unknown dataset or view; InvalidArgument for a file
// that does not parse, defines no or several views, or a dataset that does not
// parse as the view's rows.
absl::StatusOr<ValidationReport> ValidateDataset(FeatureStore& fs,
                                                 const std::string& dataset,
                                                 const std::string& view,
                                                 const std::string& rules_file,
                                                 const std::string& rules_source);


}  // namespace strata::features

#endif  // STRATA_FEATURES_RULES_H_
