"""Client.stats: a dataset version's profile (stored once, read back) and a window."""

import datetime as dt

import pandas as pd
import pytest

import strata


def test_stats_of_a_dataset_are_computed_once_then_read_back(client):
    client.put("dataset/py-sales", b"price,city\n2.5,oslo\n3.5,oslo\n,paris\n")
    first = client.stats("dataset/py-sales")
    assert first["source"] == "dataset/py-sales@1"
    assert first["stored"] == "profile/py-sales@1" and first["computed"] is True
    assert first["rows"] == 3
    price, city = first["columns"]
    assert price["name"] == "price" and price["type"] == "double"
    assert (price["count"], price["nulls"], price["distinct"]) == (2, 1, 2)
    assert (price["min"], price["max"], price["mean"]) == (2.5, 3.5, 3.0)
    assert price["stddev"] == pytest.approx(pd.Series([2.5, 3.5]).std(), rel=1e-12)
    assert list(price["quantiles"]) == ["p1", "p5", "p25", "p50", "p75", "p95", "p99"]
    assert sum(b["count"] for b in price["histogram"]) == 2 and len(price["histogram"]) == 20
    assert city["top"] == [{"value": "oslo", "count": 2}, {"value": "paris", "count": 1}]
    assert "min" not in city and "histogram" not in city
    again = client.stats("dataset/py-sales@1")
    assert again["computed"] is False and again["columns"] == first["columns"]
    assert "dataset/py-sales@1" in {n["id"] for n in client.lineage("profile/py-sales@1")["nodes"]}


def test_stats_of_a_window_take_times_as_text_numbers_or_datetimes(features):
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    w = features.stats("featureview/customer_stats", start=start,
                       end=pd.Timestamp("2024-01-05"), as_of="2100-01-01T00:00:00Z")
    assert w["rows"] == 2 and "stored" not in w
    assert w["source"] == "featureview/customer_stats[2024-01-01T00:00:00Z..2024-01-05T00:00:00Z]"
    by_name = {c["name"]: c for c in w["columns"]}
    assert by_name["spend_7d"]["count"] == 2 and by_name["segment"]["nulls"] == 1
    assert by_name["event_timestamp"]["min"] == "2024-01-01T00:00:00Z"
    whole = features.stats("featureview/customer_stats", start=0, end=4102444800)
    assert whole["rows"] == 3


def test_stats_errors(client):
    with pytest.raises(strata.NotFound):
        client.stats("dataset/py-nope")
    with pytest.raises(strata.InvalidArgument):
        client.stats("model/py-x")
    with pytest.raises(strata.InvalidArgument):
        client.stats("featureview/customer_stats", start="yesterday")
