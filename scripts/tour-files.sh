#!/bin/sh
# Writes the input files of the README's tour (and of `make demo`) into the current
# directory: a CRM export, two training configs, feature definitions, a month of
# weather, city profiles, a file with a bad value, a late correction and umbrella
# sales. The data is generated with seq and awk, deterministically, so every machine
# gets the same bytes (and the same content ids) and nothing needs the network.
#
#   sh scripts/tour-files.sh
set -eu

# 400 customers; every 23rd row lacks monthly_spend, every 37th has a negative tenure.
seq 1 400 | awk '
  BEGIN { print "customer_id,plan,tenure_months,monthly_spend,support_calls,churned" }
  {
    i = $1
    plan = (i % 3 == 0) ? "pro" : ((i % 3 == 1) ? "basic" : "team")
    tenure = (i * 7) % 60 + 1
    if (i % 37 == 0) tenure = -tenure
    spend = sprintf("%d.%02d", 20 + (i * 13) % 180, (i * 29) % 100)
    if (i % 23 == 0) spend = ""
    calls = (i * 11) % 9
    churned = (calls >= 6 || tenure < 6) ? 1 : 0
    printf "%d,%s,%d,%s,%d,%d\n", 1000 + i, plan, tenure, spend, calls, churned
  }' > customers.csv

printf 'model: logistic-regression\nlearning_rate: 0.1\nepochs: 3\nfeatures: [tenure_months, monthly_spend, support_calls]\n' \
  > train.yaml
printf 'model: logistic-regression\nlearning_rate: 0.05\nepochs: 5\nfeatures: [tenure_months, monthly_spend, support_calls]\n' \
  > train-v2.yaml

cat > features.yaml <<'YAML'
entities:
  - name: city
    join_keys:
      - {name: city, type: string}
feature_views:
  - name: weather
    entities: [city]
    ttl: 2d
    description: daily observations, published at 07:00 for 06:00
    features:
      - {name: rain_mm, type: double}
      - {name: temp_c, type: double}
      - {name: sky, type: string}
  - name: city_profile
    entities: [city]
    ttl: 0
    features:
      - {name: population_k, type: int64}
      - {name: coastal, type: bool}
YAML

# 30 days x 3 cities; a few readings are missing (nulls).
awk 'BEGIN {
  print "city,event_timestamp,created_timestamp,rain_mm,temp_c,sky"
  split("bergen,lisbon,madrid", c, ",")
  for (d = 1; d <= 30; d++) for (k = 1; k <= 3; k++) {
    rain = (d * 7 + k * 11) % 17 - 6; if (rain < 0) rain = 0
    if (k == 3) rain = int(rain / 4)
    temp = 8 + k * 5 + (d % 7) - (rain > 5 ? 3 : 0)
    sky = rain > 5 ? "rain" : (rain > 0 ? "showers" : "clear")
    r = (d * k) % 19 == 0 ? "" : rain
    printf "%s,2024-03-%02dT06:00:00Z,2024-03-%02dT07:00:00Z,%s,%d,%s\n", c[k], d, d, r, temp, sky
  }
}' > weather.csv

printf '%s\n' '{"city": "bergen", "event_timestamp": "2024-01-01T00:00:00Z", "population_k": 286, "coastal": true}' \
  '{"city": "lisbon", "event_timestamp": "2024-01-01T00:00:00Z", "population_k": 545, "coastal": true}' \
  '{"city": "madrid", "event_timestamp": "2024-01-01T00:00:00Z", "population_k": 3305, "coastal": false}' \
  > cities.jsonl

printf 'city,event_timestamp,rain_mm\nbergen,2024-03-31T06:00:00Z,4.2\nlisbon,2024-03-31T06:00:00Z,lots\n' \
  > bad-weather.csv

# Sales are counted at 18:00, from 03-02 to 03-31.
awk 'BEGIN {
  print "city,event_timestamp,umbrellas_sold"
  split("bergen,lisbon,madrid", c, ",")
  for (d = 2; d <= 31; d++) for (k = 1; k <= 3; k++) {
    rain = ((d - 1) * 7 + k * 11) % 17 - 6; if (rain < 0) rain = 0
    printf "%s,2024-03-%02dT18:00:00Z,%d\n", c[k], d, 3 + rain * (k == 3 ? 1 : 4) + (d % 3)
  }
}' > sales.csv

# The weather service corrects bergen's rain on 03-10, two weeks later.
printf 'city,event_timestamp,created_timestamp,rain_mm,temp_c,sky\nbergen,2024-03-10T06:00:00Z,2024-03-24T09:00:00Z,31.5,9,rain\n' \
  > correction.csv

# Rules a weather export must keep before it is ingested (strata validate --rules).
cat > weather-rules.yaml <<'YAML'
entities:
  - name: city
    join_keys:
      - {name: city, type: string}
feature_views:
  - name: weather
    entities: [city]
    features:
      - {name: rain_mm, type: double, min: 0, max: 30, max_null_fraction: 0.05}
      - {name: temp_c, type: double, min: -30, max: 28, not_null: true}
      - {name: sky, type: string, allowed: [clear, showers, rain]}
YAML

echo "wrote customers.csv train.yaml train-v2.yaml features.yaml weather.csv cities.jsonl bad-weather.csv sales.csv correction.csv weather-rules.yaml"
