#!/usr/bin/python3
"""python_bench.py BUILD_DIR: the Python client (issue 16), from one Python process.

Historical: on features_bench.sh's workload (gen_features: 10M feature rows, 100,000
customers x 100 events, 5 doubles; a 1M-row spine), `Client.historical()` of the
spine as a DataFrame to a DataFrame, against a `strata serve` on a store the CLI
ingested; beside it pandas `merge_asof` on the same frames in the same process (as
bench/asof_pandas.py joins, to a DataFrame), and the CLI's `strata --server URL
historical` (process start included, to a CSV file). The results are checked equal.

Online: on online_bench's store (1M entities, one view of 50 doubles), `online()` for
1 and for 100 random entities x 50 features over one keep-alive connection, p50/p99
of ONLINE_REQUESTS requests; beside it redis-py pipelined HMGET (what Feast's Python
SDK does against its Redis online store) against a loopback redis-server holding the
same rows (loaded by http_load --load), one hash per entity, one field per feature;
each client in a loop of its own over the same entities.

Environment: BENCH_SCRATCH (default bench/out/features) and ONLINE_SCRATCH (default
bench/out/online) hold the data, as features_bench.sh and http_bench.sh leave it
(made here when missing); BENCH_REPS (default 3) historical repetitions;
PANDAS_REPS (default 1, ~10 s each); ONLINE_REQUESTS (default 3000 for 1 entity,
a fifth of it for 100). Run with Debian's /usr/bin/python3 (numpy, pandas, redis).
"""

import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(BENCH, "..", "python"))
import strata  # noqa: E402

FEATURES5 = [f"customer_stats:f{i}" for i in range(1, 6)]
FEATURES50 = [f"user_profile:f{i}" for i in range(50)]


def median(xs):
    return statistics.median_low(xs)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


class Serve:
    """strata serve on STORE on a free loopback port, until stop()."""

    def __init__(self, strata_bin, store, *flags):
        self.proc = subprocess.Popen(
            [strata_bin, "--store", store, "serve", "--listen", "127.0.0.1:0", "-q", *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        serving = os.path.join(store, "serving")
        for _ in range(3000):
            try:
                url, pid = open(serving).read().split()
                if int(pid) == self.proc.pid:
                    self.url = url
                    return
            except (FileNotFoundError, ValueError):
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"strata serve on {store} exited")
            time.sleep(0.01)
        raise SystemExit("strata serve did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, **kw).stdout


def merge_asof_join(feats, spine, ttl=30 * 86400):
    """bench/asof_pandas.py's join, to a DataFrame instead of a file."""
    order = np.lexsort((feats["created_timestamp"].to_numpy(),
                        feats["event_timestamp"].to_numpy()))
    right = pd.DataFrame({
        "customer_id": feats["customer_id"].to_numpy()[order],
        "event_timestamp": feats["event_timestamp"].to_numpy()[order],
        "row": order.astype(np.int64),
    })
    left = spine[["customer_id", "event_timestamp"]].assign(position=np.arange(len(spine)))
    left = left.sort_values("event_timestamp", kind="stable")
    joined = pd.merge_asof(left, right, on="event_timestamp", by="customer_id",
                           direction="backward", allow_exact_matches=True, tolerance=ttl)
    row = np.empty(len(spine))
    row[joined["position"].to_numpy()] = joined["row"].to_numpy()
    found = ~np.isnan(row)
    rows = row[found].astype(np.int64)
    out = spine.copy()
    for i in range(1, 6):
        column = np.full(len(spine), np.nan)
        column[found] = feats[f"f{i}"].to_numpy()[rows]
        out[f"f{i}"] = column
    return out


def historical_bench(build, strata_bin, reps, pandas_reps):
    scratch = os.environ.get("BENCH_SCRATCH") or os.path.join(BENCH, "out", "features")
    os.makedirs(scratch, exist_ok=True)
    files = [os.path.join(scratch, f) for f in ("features.csv", "spine.csv", "features.yaml")]
    if not all(os.path.exists(f) for f in files):
        print(f"  generating the workload in {scratch} (gen_features)", flush=True)
        run(os.path.join(build, "bench", "gen_features"), scratch)
    features_csv, spine_csv, defs = files
    store = os.path.join(scratch, "python-store")
    shutil.rmtree(store, ignore_errors=True)
    env = dict(os.environ, STRATA_NO_PROGRESS="1", STRATA_USER="bench")
    env.pop("STRATA_SERVER", None)
    run(strata_bin, "--store", store, "init", env=env)
    run(strata_bin, "--store", store, "apply", defs, env=env)
    t0 = time.perf_counter()
    run(strata_bin, "--store", store, "ingest", "customer_stats", features_csv, env=env)
    ingest_s = time.perf_counter() - t0

    spine = pd.read_csv(spine_csv, engine="c")
    spine_dt = spine.assign(event_timestamp=pd.to_datetime(spine.event_timestamp, unit="s",
                                                           utc=True))
    print("WORKLOAD")
    print(f"  gen_features in {scratch}: features.csv {os.path.getsize(features_csv) / 1e6:.1f} MB"
          f" ({len(spine):,} spine rows, columns {', '.join(spine.columns)})")
    print(f"  store: strata init, apply, ingest by the CLI ({ingest_s:.2f} s), then strata serve")
    print("  historical(): the spine DataFrame -> a DataFrame of spine columns + f1..f5;")
    print("    spine event_timestamp as int64 seconds (timestamp_unit=s), and as")
    print("    datetime64[ns, UTC] (sent as integers in the coarsest exact unit); median of", reps, "runs")
    print("  merge_asof: bench/asof_pandas.py's join in this process on the spine and the")
    print(f"    10M feature rows as DataFrames (loading them not counted), to a DataFrame;"
          f" median of {pandas_reps}")
    print("  CLI: strata --server URL historical --spine spine.csv -o FILE, process start"
          " included")
    print(flush=True)

    server = Serve(strata_bin, store)
    results = {}
    try:
        client = strata.Client(server.url, timeout=600)
        client.feature_view("customer_stats")  # the declaration, read once per client
        runs = {"int": [], "dt": [], "cli": [], "merge_asof": []}
        for _ in range(reps):
            t0 = time.perf_counter()
            df = client.historical(spine, FEATURES5, timestamp_unit="s")
            runs["int"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            df_dt = client.historical(spine_dt, FEATURES5)
            runs["dt"].append(time.perf_counter() - t0)
            out = os.path.join(scratch, "out-python-cli.csv")
            t0 = time.perf_counter()
            run(strata_bin, "--server", server.url, "historical", "--spine", spine_csv,
                "--features", ",".join(FEATURES5), "-o", out, env=env)
            runs["cli"].append(time.perf_counter() - t0)
        client.close()
    finally:
        server.stop()
    t0 = time.perf_counter()
    feats = pd.read_csv(features_csv, engine="c")
    load_s = time.perf_counter() - t0
    for _ in range(pandas_reps):
        t0 = time.perf_counter()
        pdf = merge_asof_join(feats, spine)
        runs["merge_asof"].append(time.perf_counter() - t0)
    del feats

    cli = pd.read_csv(out, engine="c")
    fcols = [f"f{i}" for i in range(1, 6)]
    checks = [
        ("historical() vs the CLI", np.array_equal(df[fcols].to_numpy(), cli[fcols].to_numpy(),
                                                   equal_nan=True)),
        ("historical() datetime spine vs int", np.array_equal(
            df[fcols].to_numpy(), df_dt[fcols].to_numpy(), equal_nan=True)),
        ("historical() vs merge_asof", np.array_equal(df[fcols].to_numpy(),
                                                      pdf[fcols].to_numpy(), equal_nan=True)),
        ("spine columns kept", df[list(spine.columns)].equals(spine)
         and df_dt[list(spine.columns)].equals(spine_dt)),
    ]
    print("CHECKS")
    for name, ok in checks:
        print(f"  {name:<40} {'OK' if ok else 'FAIL'}")
    print()
    for k, v in runs.items():
        results[k] = median(v)
    print("RESULTS: historical, 1M spine rows x 5 features (seconds, median)")
    print(f"  historical() to a DataFrame, int64 s spine        {results['int']:8.3f}"
          f"   (runs: {' '.join(f'{x:.3f}' for x in runs['int'])})")
    print(f"  historical() to a DataFrame, datetime64 spine     {results['dt']:8.3f}"
          f"   (runs: {' '.join(f'{x:.3f}' for x in runs['dt'])})")
    print(f"  pandas merge_asof to a DataFrame (same process)   {results['merge_asof']:8.3f}"
          f"   (loading the 10M rows first: {load_s:.3f})")
    print(f"  CLI strata --server historical to a CSV file      {results['cli']:8.3f}")
    print(f"  df.attrs['strata']: {df.attrs['strata']}")
    print()
    return results, all(ok for _, ok in checks)


def online_bench(build, strata_bin, requests):
    scratch = os.environ.get("ONLINE_SCRATCH") or os.path.join(BENCH, "out", "online")
    os.makedirs(scratch, exist_ok=True)
    entities = 1_000_000
    run(os.path.join(build, "bench", "online_bench"), "--dir", scratch, "--entities",
        str(entities), "--build-only")
    load = os.path.join(build, "bench", "http_load")
    server = Serve(strata_bin, os.path.join(scratch, "store"), "--online-cache-mb", "2048")
    port = int(server.url.rsplit(":", 1)[1])
    redis_port = 18439
    redis_proc = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {}
    try:
        run(load, "--target", "strata", "--port", str(port), "--entities", str(entities),
            "--warm")
        import redis  # Debian's python3-redis
        r = redis.Redis(host="127.0.0.1", port=redis_port)
        for _ in range(300):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        run(load, "--target", "redis", "--port", str(redis_port), "--entities", str(entities),
            "--load")
        client = strata.Client(server.url)
        rng = random.Random(16)
        fields = [f"f{i}" for i in range(50)]
        print("WORKLOAD")
        print(f"  online_bench's store in {scratch}: {entities:,} entities, 1 view x 50"
              " doubles; strata serve --online-cache-mb 2048, warmed (http_load --warm)")
        print(f"  redis-server {r.info()['redis_version']} on loopback, HSET user:ID"
              " f0..f49 (http_load --load); redis-py pipelined HMGET, replies not decoded")
        print("  one keep-alive connection each, each client in its own loop over the same"
              " random entities (seed 16); batch 1:"
              f" {requests} requests, batch 100: {requests // 5}, after 200 warm-up ones")
        print()
        print("RESULTS: online, milliseconds per request (p50 / p99)")
        for batch in (1, 100):
            n = requests if batch == 1 else requests // 5
            lat = {"strata": [], "redis": []}
            # Each client in a loop of its own, as a model server runs one of them:
            # interleaved, one's garbage is collected in the other's timed calls.
            batches = [[rng.randrange(entities) for _ in range(batch)]
                       for _ in range(n + 200)]
            gc.collect()
            for i, ids in enumerate(batches):
                t0 = time.perf_counter_ns()
                resp = client.online(FEATURES50, {"user_id": ids})
                t1 = time.perf_counter_ns()
                if i >= 200:
                    lat["strata"].append((t1 - t0) / 1e6)
                assert resp.statuses["f0"][0] == "PRESENT"
            gc.collect()
            for i, ids in enumerate(batches):
                t1 = time.perf_counter_ns()
                p = r.pipeline(transaction=False)
                for e in ids:
                    p.hmget(f"user:{e}", fields)
                vals = p.execute()
                t2 = time.perf_counter_ns()
                if i >= 200:
                    lat["redis"].append((t2 - t1) / 1e6)
                assert vals[0][0] is not None
            for k in ("strata", "redis"):
                out[(k, batch)] = (pct(lat[k], 50), pct(lat[k], 99))
            print(f"  {batch:3d} entit{'y  ' if batch == 1 else 'ies'} x 50 features:"
                  f" strata online() {out[('strata', batch)][0]:.3f} / "
                  f"{out[('strata', batch)][1]:.3f}    redis-py HMGET "
                  f"{out[('redis', batch)][0]:.3f} / {out[('redis', batch)][1]:.3f}")
        client.close()
        print()
    finally:
        server.stop()
        redis_proc.terminate()
        redis_proc.wait(30)
    return out


def verdict(ok):
    return "PASS" if ok else "MISS"


def main():
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    strata_bin = os.path.join(build, "tools", "strata")
    reps = int(os.environ.get("BENCH_REPS", "3"))
    pandas_reps = int(os.environ.get("PANDAS_REPS", "1"))
    requests = int(os.environ.get("ONLINE_REQUESTS", "3000"))
    subprocess.run(["bash", os.path.join(BENCH, "machine.sh"), os.path.join(BENCH, "out")],
                   check=True)
    print(f"  python     {sys.version.split()[0]}, numpy {np.__version__}, pandas "
          f"{pd.__version__}")
    print(flush=True)
    h, checks_ok = historical_bench(build, strata_bin, reps, pandas_reps)
    o = online_bench(build, strata_bin, requests)
    speedup = h["merge_asof"] / h["int"]
    print("TARGETS")
    rows = [
        ("historical() 1M rows to a DataFrame <= 2.0 s", h["int"] <= 2.0, f"{h['int']:.3f} s"),
        ("historical() >= 3x faster than merge_asof", speedup >= 3, f"{speedup:.1f}x"),
        ("online() 1 entity x 50 p99 <= 0.4 ms", o[("strata", 1)][1] <= 0.4,
         f"{o[('strata', 1)][1]:.3f} ms"),
        ("online() 100 entities x 50 p99 <= 2 ms", o[("strata", 100)][1] <= 2.0,
         f"{o[('strata', 100)][1]:.3f} ms"),
    ]
    for name, ok, fig in rows:
        print(f"  {name:<52} {verdict(ok):<5} {fig}")
    if not checks_ok:
        print("CHECK FAILED: the results differ (see CHECKS)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
