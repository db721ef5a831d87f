"""Client.drift: two dataset versions and a feature-view window, with a verdict."""

import numpy as np
import pytest

import strata


def _csv(xs, cities) -> bytes:
    return ("x,city\n" + "".join(f"{x!r},{c}\n" for x, c in zip(xs, cities))).encode()


def test_drift_between_dataset_versions(client):
    rng = np.random.default_rng(17)
    n = 500
    cities = ["oslo", "bergen"] * (n // 2)
    client.put("dataset/py-drift", _csv(rng.normal(0, 1, n), cities))
    client.put("dataset/py-drift", _csv(rng.normal(0, 1, n), cities[::-1]))
    client.put("dataset/py-drift", _csv(rng.normal(1, 1, n), ["oslo"] * n))

    same = client.drift("dataset/py-drift@1", "dataset/py-drift@2")
    assert (same["baseline"], same["current"]) == ("dataset/py-drift@1", "dataset/py-drift@2")
    assert same["thresholds"] == {"psi": 0.2, "ks_p_value": 0.05, "ks_statistic": 0.1}
    x, city = same["features"]
    assert (x["name"], x["type"], city["name"], city["type"]) == ("x", "double", "city", "string")
    assert not x["drifted"] and not city["drifted"]
    assert set(x) >= {"ks", "psi", "wasserstein"} and "js" not in x
    assert set(city) >= {"psi", "js"} and "ks" not in city and "wasserstein" not in city
    assert city["psi"] == 0 and city["js"] == 0
    assert x["baseline_count"] == x["current_count"] == n

    shifted = client.drift("dataset/py-drift@1", "dataset/py-drift", features=["x"])
    assert shifted["current"] == "dataset/py-drift@3"
    [x] = shifted["features"]
    assert x["drifted"] and x["ks"]["p_value"] < 1e-9 and x["ks"]["statistic"] > 0.3
    assert x["wasserstein"] == pytest.approx(1, abs=0.2)
    both = client.drift("dataset/py-drift@1", "dataset/py-drift@3", features="x,city")
    assert [f["drifted"] for f in both["features"]] == [True, True]


def test_drift_against_a_window(features):
    features.put("dataset/py-spend", b"spend_7d\n1\n2\n3\n")
    d = features.drift("dataset/py-spend", "featureview/customer_stats[0..4102444800]")
    assert d["current"] == "featureview/customer_stats[1970-01-01T00:00:00Z..2100-01-01T00:00:00Z]"
    assert [f["name"] for f in d["features"]] == ["spend_7d"]


def test_drift_against_what_was_served(features):
    """The test server keeps every answer (--log-served 1): stats and drift read them."""
    def served():  # rows served, and those with a value
        s = features.stats("served:featureview/region_stats")
        [population] = [c for c in s["columns"] if c["name"] == "population_k"]
        return s["rows"], population["count"]
    rows, values = served()
    answer = features.online(["region_stats:population_k"], {"region": ["north", "south", "east"]})
    assert answer.to_dict()["population_k"] == [120, 80, None]
    assert served() == (rows + 3, values + 2)  # "east" was served without a value
    features.put("dataset/py-served-train", b"population_k\n100\n90\n110\n")
    d = features.drift("dataset/py-served-train", "served:featureview/region_stats")
    assert d["current"] == "served:featureview/region_stats[..]"
    [population] = d["features"]
    assert population["name"] == "population_k"
    assert population["baseline_count"] == 3
    assert population["current_count"] == values + 2


def test_drift_errors(client):
    with pytest.raises(strata.NotFound):
        client.drift("dataset/py-nope", "dataset/py-nope")
    with pytest.raises(strata.InvalidArgument):
        client.drift("model/py-x", "dataset/py-drift")
    with pytest.raises(strata.NotFound):  # a column neither side has
        client.drift("dataset/py-drift@1", "dataset/py-drift@2", features=["nope"])
