#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: fuzz/corpus/NAME/seed-*.

Seeds are the inputs the tests use (the example view's CSV and JSON lines, its
definitions, the routes' request bodies) and the awkward forms real tools write
(CRLF, a byte-order mark, quoted fields, pandas' epoch times). Run it again after
changing it; inputs that found bugs are kept beside the seeds as crash-* files.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

DEFS = """entities:
  - name: customer
    join_keys:
      - {name: customer_id, type: int64}
feature_views:
  - name: customer_stats
    entities: [customer]
    ttl: 7d
    features:
      - {name: spend_7d, type: double}
      - {name: segment, type: string}
"""
DEFS_JSON = ('{"entities":[{"name":"customer","join_keys":[{"name":"customer_id",'
             '"type":"int64"}]}],"feature_views":[{"name":"customer_stats","entities":'
             '["customer"],"ttl":"7d","features":[{"name":"spend_7d","type":"double"},'
             '{"name":"segment","type":"string"}]}]}')
CSV = ("customer_id,event_timestamp,spend_7d,segment\n"
       "1,2024-01-01T00:00:00Z,3.5,gold\n2,1704153600,,\"a, \"\"b\"\"\"\n")
CSV_CRLF = CSV.replace("\n", "\r\n")
CSV_BOM = "\ufeff" + CSV
CSV_MULTILINE = ("customer_id,event_timestamp,spend_7d,segment\r\n"
                 "3,2024-01-03 00:00:00+02:00,1e3,\"line one\r\nline two\"\r\n"
                 "4,1704240000000,-0.5,\"\"")
JSONL = ('{"customer_id":1,"event_timestamp":"2024-01-01T00:00:00Z","spend_7d":3.5,'
         '"segment":"gold"}\n{"customer_id":2,"event_timestamp":1704153600,'
         '"spend_7d":null,"segment":"a\\"b"}\n')
PANDAS_JSONL = ('{"customer_id":5,"event_timestamp":1704153600000,"spend_7d":2.25,'
                '"segment":"x"}\n')
SPINE = "customer_id,event_timestamp,label\n1,2024-01-02T00:00:00Z,yes\n2,1704240000,\"a,b\"\n"
SPINE_CRLF = SPINE.replace("\n", "\r\n")
SPINE_JSON = '{"customer_id":[1,2],"event_timestamp":["2024-01-02T00:00:00Z",1704240000]}'
ONLINE = ('{"features":["customer_stats:spend_7d","customer_stats:segment"],'
          '"entities":{"customer_id":[1,2,3]},"full_feature_names":false}')
PUSH = ('{"push_source_name":"customer_stats","df":{"customer_id":[1,2],'
        '"event_timestamp":["2024-01-05T00:00:00Z",1704412800],"spend_7d":[1.5,2],'
        '"segment":["a",null]},"to":"online"}')
RUN = '{"name":"fit","params":{"lr":"0.1"},"inputs":["dataset/customer_stats-ingest@1"]}'
METRICS = '{"loss":0.5,"auc":0.9}'
RETENTION = ""


def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def row(cells):
    """cells: (column, bytes of the value as packed)."""
    out = varint(len(cells))
    for column, value in cells:
        out += varint(column) + value
    return out


def chunk(rows):
    """rows: (event, created, row bytes), newest first."""
    out = varint(len(rows))
    out += b"".join(struct.pack("<q", e) for e, _, _ in rows)
    out += b"".join(struct.pack("<q", c) for _, c, _ in rows)
    end = 0
    for _, _, r in rows:
        end += len(r)
        out += struct.pack("<I", end)
    return out + b"".join(r for _, _, r in rows)


def http(method, target, body=b"", content_type="application/json", extra=""):
    head = (f"{method} {target} HTTP/1.1\r\nHost: fuzz\r\n{extra}"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def main():
    seeds = {}
    enc = lambda s: s.encode("utf-8")
    # csv: first byte picks the block size and the record limit (csv_fuzzer.cc).
    seeds["csv"] = [bytes([i * 7 % 64 | (0x80 if i == 5 else 0)]) + enc(x)
                    for i, x in enumerate((CSV, CSV_CRLF, CSV_BOM, CSV_MULTILINE, SPINE,
                                           'a,"b\n"\n"c""d",e\r\n\r\n', "x\r",
                                           ",,\n\"\"\n"))]
    # values: first byte picks the type (int64 double string bool bytes timestamp)
    # and the unit (s ms us ns); see values_fuzzer.cc.
    values = [(0, "42"), (0, "-9223372036854775808"), (0, "+7"), (1, "3.5"),
              (1, "1e309"), (1, "4.9e-324"), (1, "NaN"), (1, "-0"), (2, "caf\u00e9"),
              (3, "true"), (3, "0"), (4, "aGVsbG8="), (5, "2024-01-01T00:00:00Z"),
              (5, "1969-12-31T23:59:59.999999-02:00"), (5, "1704153600"),
              (11, "1704153600000"), (17, "1704153600000000"), (5, "2024-02-29 12:00:00.5"),
              (5, "0001-01-01T00:00:00Z"), (5, "9999-12-31T23:59:59Z"),
              (5, "2016-12-31T23:59:60Z"), (23, "1704153600123456789"),
              (5, "2024-01-01T00:00:00.123456789+0530"), (0, "0x10"),
              (0, "123456789012345678901234567890"), (1, "1e-400"), (1, "+inf")]
    seeds["values"] = [bytes([t]) + enc(v) for t, v in values]
    seeds["refs"] = [enc(x) for x in (
        "model/m", "model/m@3", "model/m@production", "dataset/a/b.c@latest",
        "featureview/customer_stats@1", "config/x_y-z", "model/m@1@2", "7d", "90m", "0",
        "int64", "timestamp")]
    i8 = lambda v: struct.pack("<q", v)
    rows = [row([(0, i8(5)), (2, varint(4) + b"gold")]), row([]),
            row([(1, struct.pack("<d", 2.5)), (3, b"\x01")])]
    records = [bytes([0]) + chunk([(300, 2, rows[0]), (200, 2, rows[1]), (100, 1, rows[2])]),
               bytes([16]) + chunk([(5, 5, rows[2])]), bytes([3]) + rows[0],
               bytes([5]) + struct.pack(">QQQ", 1 << 63, 1 << 63, 7) + rows[0],
               bytes([6]) + struct.pack(">QQ", 5, 6) + varint(300),
               bytes([7]) + b"\x0a\x04abcd\x12\x02\x01\x02",
               bytes([8]) + b"\x08\x01\x12\x03abc", bytes([10]) + b"\x0a\x03abc"]
    seeds["records"] = records
    seeds["definitions"] = [enc(DEFS), enc(DEFS_JSON), enc(DEFS.replace("7d", "0")),
                            enc(DEFS.replace("ttl: 7d", "ttl: 7d\n    ttl: 1d")),
                            enc("a: " + "[" * 70 + "]" * 70 + "\n"),
                            enc("a: &x [1, 2]\nb: [*x, *x]\n"),
                            enc(DEFS + "  - name: other\n    entities: [customer]\n"
                                "    features:\n      - {name: x, type: timestamp}\n")]
    # ingest: first byte picks the format (auto csv jsonl), the block size, bulk.
    seeds["ingest"] = [bytes([p]) + enc(x) for p, x in (
        (0, CSV), (1, CSV_CRLF), (4, CSV_BOM), (7, CSV_MULTILINE), (2, JSONL),
        (0x80 | 5, PANDAS_JSONL), (3, JSONL.replace("\n", "\r\n")),
        (2, JSONL.replace("}\n{", "}{")), (2, '{"customer_id":1,"customer_id":2}\n'))]
    seeds["spine"] = [bytes([p]) + enc(x) for p, x in (
        (0, SPINE), (1, SPINE_CRLF), (2, "\ufeff" + SPINE),
        (4, "customer_id,event_timestamp\n1,1704240000000\n"),
        (0, "event_timestamp,customer_id,note\n2024-01-02T00:00:00Z,3,\"x\r\ny\"\n"))]
    # json_body: first byte picks the route (json_body_fuzzer.cc's table).
    bodies = [(0, ONLINE), (1, ONLINE), (0, ONLINE.replace('"full', '"features":[],"full')), (2, PUSH), (3, PUSH), (4, SPINE_JSON), (5, SPINE),
              (6, '{"customer_id":1,"event_timestamp":"2024-01-02T00:00:00Z"}\n'),
              (7, DEFS_JSON), (8, DEFS), (9, JSONL), (10, CSV_CRLF), (11, RUN),
              (12, METRICS), (13, '{"status":"finished"}'), (14, ""), (15, RETENTION),
              (16, "0" * 64), (17, "\0\0\0\x05hello"), (18, "weights"), (19, '{"version":1}'),
              (20, '{"features":["customer_stats:spend_7d"]}'), (21, "")]
    seeds["json_body"] = [bytes([r]) + enc(b) for r, b in bodies]
    # online_request: GetOnlineFeaturesRequest (api/online.proto) in protobuf.
    feature = b"customer_stats:spend_7d"
    seeds["online_request"] = [b"", b"\x0a" + varint(len(feature)) + feature,
                               b"\x0a" + varint(len(feature)) + feature + b"\x18\x01"]
    seeds["http"] = [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        http("GET", "/v1/artifacts"), http("GET", "/v1/artifacts/model/m/versions"),
        http("GET", "/v1/lineage/dataset/customer_stats-ingest@1?direction=both&depth=3"),
        http("GET", "/v1/artifacts/dataset/customer_stats-ingest@1/content", extra="Range: bytes=0-9\r\n"),
        http("POST", "/get-online-features", enc(ONLINE)),
        http("POST", "/v1/features/customer_stats/ingest", enc(CSV), "text/csv"),
        http("POST", "/v1/features/historical?features=customer_stats:spend_7d",
             enc(SPINE_CRLF), "text/csv", extra="Accept: application/x-ndjson\r\n"),
        b"POST /v1/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\n{\"nam\r\n0\r\n\r\n",
        http("GET", "/v1/fsck") + http("GET", "/metrics"),
        b"!GET /v1/tokens HTTP/1.1\r\nHost: x\r\n\r\n",
        http("DELETE", "/v1/tokens/nobody"), http("GET", "/v1/retention"),
    ]
    for name, inputs in seeds.items():
        folder = os.path.join(HERE, "corpus", name)
        os.makedirs(folder, exist_ok=True)
        for old in os.listdir(folder):
            if old.startswith("seed-"):
                os.remove(os.path.join(folder, old))
        for i, data in enumerate(inputs):
            with open(os.path.join(folder, f"seed-{i:02d}"), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
