#!/usr/bin/env bash
# A scripted tour of strata on a fresh store in a temporary directory.
#
#   bash scripts/demo.sh STRATA_BINARY      (what `make demo` runs)
#
# The story: a raw customer export, a cleaned dataset derived from it, a training
# config, two training runs with parameters and metrics, a model promoted from staging
# to production with compare-and-set, a stale promotion that is refused, the alias
# audit trail, lineage both ways, and a byte-exact round trip checked with sha256sum.
# Then the feature store: weather and city features joined point-in-time onto
# umbrella sales, saved as a training set, reproduced after late corrections, a
# model trained on it, online lookups, and the lineage from model to source files.
# Last, the same store from Python (python/strata): a training set as a DataFrame,
# equal to the CLI's, online lookups, a run, a refused promotion, Feast's calls.
#
# Every command is printed ("$ strata ...") before its output. The script exits 0
# when every step behaves as shown and non-zero at the first step that does not.
# It needs no network; the data is generated with seq and awk, deterministically
# (scripts/tour-files.sh, which the README's tour uses too), so the content ids are
# the same on every machine.
#
# Later work extends the tour: add a numbered section() and keep each section able
# to run on the state the previous ones leave.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 STRATA_BINARY (for example build/tools/strata)" >&2
  exit 2
fi
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
SCRIPTS="$(cd "$(dirname "$0")" && pwd)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/strata-demo.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# A fresh store in the temporary directory, a fixed user for the audit trail, and no
# progress bars (they only draw on a terminal anyway).
export STRATA_STORE="$WORK/store"
export STRATA_USER=alice
export STRATA_NO_PROGRESS=1

# --- helpers ---------------------------------------------------------------------

section() { printf '\n=== %s ===\n\n' "$*"; }
note() { printf '# %s\n' "$*"; }

# Prints "$ strata ARGS...", quoting what the shell would need quoted, and naming
# the user when it is not the default one.
print_command() {
  local line="\$ "
  if [ "$STRATA_USER" != alice ]; then line+="STRATA_USER=$STRATA_USER "; fi
  line+="strata"
  local arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./@=:,+-]+$ ]]; then
      line+=" $arg"
    elif [[ "$arg" != *"'"* ]]; then
      line+=" '$arg'"
    else
      line+=" $(printf '%q' "$arg")"
    fi
  done
  printf '%s\n' "$line"
}

# strata ARGS...: prints the command, then runs it (stderr shown inline).
strata() {
  print_command "$@"
  "$BIN" "$@" 2>&1
}

# capture VAR ARGS...: as strata, and keeps its standard output in VAR.
capture() {
  local var="$1"
  shift
  print_command "$@"
  local out
  out="$("$BIN" "$@")"
  printf '%s\n' "$out"
  printf -v "$var" '%s' "$out"
}

# expect_failure CODE ARGS...: runs strata, which must fail with exit status CODE.
expect_failure() {
  local want="$1"
  shift
  print_command "$@"
  local rc=0
  "$BIN" "$@" 2>&1 || rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "demo: expected exit status $want, got $rc" >&2
    exit 1
  fi
  printf '(exit status %d, as expected)\n' "$rc"
}

# shell COMMAND: prints and runs a shell command.
shell() {
  printf '$ %s\n' "$*"
  bash -c "$*"
}

# same_digest WHAT A B: fails the demo unless the two digests are equal.
same_digest() {
  if [ "$2" != "$3" ]; then
    echo "demo: $1: $2 != $3" >&2
    exit 1
  fi
  printf 'ok: %s (%s)\n' "$1" "$2"
}

# "KIND/NAME@N sha256:HEX" (what put prints) -> HEX
content_of() { printf '%s' "${1##*sha256:}"; }

# --- the tour --------------------------------------------------------------------

section "1. A fresh store, and the tour's input files"
note "every command below uses \$STRATA_STORE=$STRATA_STORE"
strata init
note "generated with seq and awk: no network, the same bytes on every machine"
shell "sh $SCRIPTS/tour-files.sh"

section "2. Raw data: a CRM export"
note "400 customers; every 23rd row lacks monthly_spend, every 37th has a negative tenure"
shell "head -4 customers.csv"
shell "sha256sum customers.csv"
capture RAW_PUT put dataset/customers customers.csv -m "CRM export, November" \
  --meta source=crm --meta rows=400
RAW_ID="$(content_of "$RAW_PUT")"
same_digest "strata's content id is the file's SHA-256" \
  "$(sha256sum customers.csv | cut -d' ' -f1)" "$RAW_ID"
note "putting the same bytes again is a no-op: it returns the existing version"
strata put dataset/customers customers.csv -m "CRM export, November" \
  --meta source=crm --meta rows=400
strata show dataset/customers

section "3. A cleaned dataset, derived from the raw one"
awk -F, 'NR == 1 || ($4 != "" && $3 >= 0)' customers.csv > customers-clean.csv
shell "wc -l customers.csv customers-clean.csv"
CLEAN_ROWS=$(($(wc -l < customers-clean.csv) - 1))
strata put dataset/customers-clean customers-clean.csv --input dataset/customers@1 \
  -m "dropped rows without spend or with negative tenure" --meta rows="$CLEAN_ROWS"
strata log dataset/customers-clean

section "4. A training config"
shell "cat train.yaml"
strata put config/churn-train train.yaml -m "baseline"

section "5. A training run: parameters, inputs, metrics, an output"
capture RUN1 run start train-churn --param learning_rate=0.1 --param epochs=3 \
  --input dataset/customers-clean --input config/churn-train
strata run log-metric "$RUN1" loss=0.62
strata run log-metric "$RUN1" loss=0.48
strata run log-metric "$RUN1" loss=0.41 auc=0.81
note "the \"model\": per-plan churn rates learned from the cleaned data"
awk -F, 'NR > 1 { n[$2]++; c[$2] += $6 }
  END { print "model: churn-by-plan v1"; for (p in n) printf "%s %.4f\n", p, c[p] / n[p] }' \
  customers-clean.csv | sort > model.txt
capture MODEL1_PUT put model/churn model.txt --run "$RUN1" --alias staging \
  -m "baseline, auc 0.81"
strata run finish "$RUN1"
strata run show "$RUN1"

section "6. Promotion to production, compare-and-set"
note "--expect none: succeed only if nobody has set production yet"
strata alias set model/churn production 1 --expect none -m "passed offline eval"
strata show model/churn@production

section "7. A second model version"
strata put config/churn-train train-v2.yaml -m "lower learning rate, more epochs"
capture RUN2 run start train-churn --param learning_rate=0.05 --param epochs=5 \
  --input dataset/customers-clean --input config/churn-train
strata run log-metric "$RUN2" loss=0.37 auc=0.84
printf 'model: churn-by-plan v2\n' > model.txt
awk -F, 'NR > 1 { n[$2]++; c[$2] += $6 }
  END { for (p in n) printf "%s %.4f\n", p, (c[p] + 1) / (n[p] + 2) }' \
  customers-clean.csv | sort >> model.txt
capture MODEL2_PUT put model/churn model.txt --run "$RUN2" --alias staging \
  -m "lr 0.05, auc 0.84"
strata run finish "$RUN2"
note "promote @2 only if production still points at @1"
STRATA_USER=bob strata alias set model/churn production 2 --expect 1 -m "auc 0.81 -> 0.84"

section "8. A stale promotion is refused"
note "carol still believes production is @1 and tries to pin it there; compare-and-set"
note "fails (exit status 1) and nothing moves"
STRATA_USER=carol expect_failure 1 alias set model/churn production 1 --expect 1 -m "rollback"
strata show model/churn@production

section "9. The audit trail"
strata alias log model/churn
strata log model/churn
strata run ls
strata ls

section "10. Lineage"
note "what is in production, and what was it made from?"
strata lineage model/churn@production
note "what was made from the raw export? (what breaks if it was wrong)"
strata lineage dataset/customers@1 --down
note "the same upstream graph as Mermaid, for a README or a wiki"
strata lineage model/churn@production --format mermaid

section "11. A byte-exact round trip"
strata get model/churn@production -o model-production.txt
shell "sha256sum model-production.txt"
same_digest "model/churn@production is the bytes put as model/churn@2" \
  "$(sha256sum model-production.txt | cut -d' ' -f1)" "$(content_of "$MODEL2_PUT")"
printf '$ strata get dataset/customers@1 | sha256sum\n'
GOT="$("$BIN" get dataset/customers@1 | sha256sum | cut -d' ' -f1)"
printf '%s  -\n' "$GOT"
same_digest "dataset/customers@1 streams back byte for byte" "$GOT" "$RAW_ID"

section "12. Feature definitions: weather and cities"
shell "cat features.yaml"
strata apply features.yaml
note "applying the same file again changes nothing"
strata apply features.yaml

section "13. Ingest: a month of weather, and city profiles"
note "30 days x 3 cities; a few readings are missing (nulls)"
shell "head -4 weather.csv"
strata ingest weather weather.csv
shell "cat cities.jsonl"
strata ingest city_profile cities.jsonl
note "a bad file is refused whole, naming the line and column; nothing is written"
shell "cat bad-weather.csv"
expect_failure 2 ingest weather bad-weather.csv

section "14. A point-in-time training set: umbrella sales joined with the weather"
note "sales are counted at 18:00; each row gets the weather known for that city then"
shell "head -3 sales.csv"
strata historical --spine sales.csv \
  --features weather:rain_mm,weather:sky,city_profile:coastal --save dataset/umbrella-train \
  -o umbrella-train.csv
shell "head -4 umbrella-train.csv"
note "03-31 has no observation of its own: within the 2-day TTL, 18:00 on 03-31"
note "still sees 06:00 on 03-30"
shell "grep 2024-03-31 umbrella-train.csv"
strata show dataset/umbrella-train

section "15. Late corrections, and a reproducible training set"
note "the weather service corrects bergen's rain on 03-10 two weeks later; the row is"
note "in the past, so a fresh retrieval changes ..."
shell "cat correction.csv"
strata ingest weather correction.csv
strata historical --spine dataset/umbrella-train-spine --features weather:rain_mm \
  -o fresh.csv
shell "grep 'bergen,2024-03-10' fresh.csv"
note "... but the saved training set is rebuilt exactly as it was"
strata reproduce dataset/umbrella-train@1
note "--as-of shows what was known at a time: before the correction, the old value"
strata historical --spine dataset/umbrella-train-spine --features weather:rain_mm \
  --as-of 2024-03-20T00:00:00Z -o asof.csv
shell "grep 'bergen,2024-03-10' asof.csv"

section "16. A model trained on the training set"
note "umbrellas sold per millimetre of rain, by coastal city or not"
{
  echo "model: umbrellas-per-rain v1"
  awk -F, 'NR > 1 && $4 != "" { n[$6]++; s[$6] += $3 / ($4 + 1) }
    END { for (k in n) printf "coastal=%s %.3f\n", k, s[k] / n[k] }' umbrella-train.csv | sort
} > umbrella-model.txt
shell "cat umbrella-model.txt"
strata put model/umbrella umbrella-model.txt --input dataset/umbrella-train@1 \
  --alias production -m "first umbrella model"

section "17. Online lookups for serving"
note "the newest row per city; weather is older than its 2-day TTL today, so it is"
note "withheld (OUTSIDE_MAX_AGE); city profiles have no TTL; paris is unknown"
strata online --features weather:rain_mm,city_profile:population_k,city_profile:coastal \
  --entity city=bergen,madrid,paris
note "the same as Feast's get-online-features response"
strata online --features city_profile:population_k --entity city=lisbon,paris --json

section "18. From the model back to the source files"
strata lineage model/umbrella@production

section "19. From Python: the same store, with pandas"
note "strata.Client() with no URL serves the store itself (strata serve on a free"
note "loopback port) and stops it at exit; Debian's python3 has numpy and pandas"
cat > from_python.py <<'PY'
import pandas as pd
import strata
from strata.feast import FeatureStore

with strata.Client() as client:
    sales = pd.read_csv("sales.csv", parse_dates=["event_timestamp"])
    train = client.historical(sales, ["weather:rain_mm", "city_profile:coastal"])
    print(train.head(3).to_string(index=False))
    print(train.dtypes.to_string())
    cli = pd.read_csv("now.csv")
    assert train.rain_mm.equals(cli.rain_mm), "historical() differs from the CLI"
    print("the same rain_mm as `strata historical` wrote:", len(train), "rows")

    online = client.online(["city_profile:population_k", "weather:rain_mm"],
                           {"city": ["bergen", "madrid", "paris"]})
    print(online.to_dict())
    print(online.statuses["population_k"], online.statuses["rain_mm"])

    with client.start_run("train-py", params={"features": 2},
                          inputs=["dataset/umbrella-train@1"]) as run:
        run.log_metric("rows", len(train))
        model = run.put("model/umbrella", b"model: umbrellas-per-rain v2\n",
                        message="trained from Python")
    client.set_alias("model/umbrella", "staging", model.number, expect=0)
    print(model.ref, "staging; production is still",
          client.show("model/umbrella@production").ref)
    try:
        client.set_alias("model/umbrella", "production", model.number, expect=model.number)
    except strata.FailedPrecondition as e:
        print("refused:", e.message)

    store = FeatureStore(url=client.url)  # Feast's calls, unchanged
    print(store.get_online_features(features=["city_profile:coastal"],
                                    entity_rows=[{"city": "lisbon"}]).to_dict())
PY
note "the CLI's answer for the same spine and features, to compare with"
strata historical --spine sales.csv --features weather:rain_mm,city_profile:coastal -o now.csv
shell "cat from_python.py"
PYTHON_PACKAGE="$(cd "$SCRIPTS/../python" && pwd)"
shell "STRATA_BIN='$BIN' PYTHONPATH='$PYTHON_PACKAGE' /usr/bin/python3 from_python.py"

section "Done"
echo "the demo store was in $WORK and is removed on exit"
