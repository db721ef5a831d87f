"""Validation rules through the Python client: ingest's result and validate()."""

import pytest

import strata

RULED = """entities:
  - name: shop
    join_keys:
      - {name: shop_id, type: int64}
feature_views:
  - name: shop_stats
    entities: [shop]
    on_invalid: drop
    features:
      - {name: revenue, type: double, min: 0}
      - {name: tier, type: string, allowed: [a, b]}
"""

# Written as a spreadsheet would: CRLF, quoted fields; rows 2 and 3 break a rule.
ROWS = (b"shop_id,event_timestamp,revenue,tier\r\n"
        b"1,2024-01-01T00:00:00Z,10,a\r\n"
        b"2,2024-01-01T00:00:00Z,-1,\"b\"\r\n"
        b"3,2024-01-01T00:00:00Z,5,c\r\n"
        b"4,2024-01-01T00:00:00Z,7,b\r\n")


def test_ingest_reports_dropped_rows_and_validate_is_a_report(client):
    client.apply(RULED, message="shop rules")
    r = client.ingest("shop_stats", ROWS)
    assert r["rows"] == 2 and r["dropped"] == 2
    rules = r["rules"]
    assert rules["on_invalid"] == "drop"
    assert rules["invalid_rows"] == 2 and rules["violations"] == 2
    assert [(e["line"], e["column"], e["rule"]) for e in rules["examples"]] == [
        (3, "revenue", "min 0"), (4, "tier", "allowed")]
    assert rules["quarantine"] == "dataset/shop_stats-quarantine@1"
    quarantined = client.get(rules["quarantine"]).decode()
    assert quarantined.splitlines()[1:] == [
        "2,2024-01-01T00:00:00Z,,-1,b,3,revenue min 0",
        "3,2024-01-01T00:00:00Z,,5,c,4,tier allowed"]

    client.put("dataset/shop_raw", ROWS)
    report = client.validate("dataset/shop_raw", view="shop_stats")
    assert report["rows"] == 4 and report["clean"] is False
    assert report["by_rule"] == {"revenue: min": 1, "tier: allowed": 1}
    loose = RULED.replace("min: 0", "min: -5").replace("[a, b]", "[a, b, c]")
    assert client.validate("dataset/shop_raw", rules=loose)["clean"] is True
    with pytest.raises(ValueError):
        client.validate("dataset/shop_raw")
    with pytest.raises(strata.NotFound):
        client.validate("dataset/nope", view="shop_stats")
