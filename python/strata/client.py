"""strata.Client: artifacts, runs and features of a strata server, from Python."""

from __future__ import annotations

import atexit
import base64
import dataclasses
import datetime as _dt
import getpass
import hashlib
import io
import json
import os
import tempfile
import threading
from typing import (Any, BinaryIO, Dict, Iterable, List, Mapping, Optional, Sequence,
                    Tuple, Union)

import numpy as np
import pandas as pd

from . import _fastcdc, _frames, _online_pb
from ._http import Transport, quote_ref
from ._local import LocalServer
from .errors import Error, InvalidArgument

PathLike = Union[str, "os.PathLike[str]"]
Data = Union[bytes, bytearray, memoryview, PathLike, BinaryIO]

SMALL_CONTENT = 1 << 20      # up to this, content goes as one plain body (as the CLI)
CHUNK_BATCH_BYTES = 8 << 20  # chunks offered and sent per request
# From this many entities on, online() reads the protobuf answer: Python parses the
# JSON of one entity x 50 doubles in ~20 us and its protobuf in ~190 us, but 100
# entities' JSON in ~1 ms and their protobuf in ~0.45 ms (bench/python_bench.py).
PROTOBUF_ENTITIES = 16
_READ_BLOCK = 1 << 20


def _parse_time(text: Optional[str]) -> Optional[_dt.datetime]:
    if not text:
        return None
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclasses.dataclass(frozen=True)
class Version:
    """One immutable version of an artifact, as `strata show --json` prints it.

    Example:
        >>> v = client.show("model/churn@production")
        >>> v.ref, v.number, v.content_id[:7], v.created.tzinfo
        ('model/churn@2', 2, 'sha256:', datetime.timezone.utc)
    """

    ref: str
    kind: str
    name: str
    number: int
    content_id: str
    size: int
    meta: Dict[str, str]
    inputs: List[str]
    message: str
    creator: str
    created: _dt.datetime
    on_behalf_of: Optional[str] = None
    run: Optional[str] = None
    aliases: List[str] = dataclasses.field(default_factory=list)
    deleted: Optional[Dict[str, Any]] = None

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> "Version":
        """A Version from the server's JSON object for one version.

        Example: `Version.from_json(json.loads(cli("show", "dataset/raw", "--json")))`.
        """
        return cls(ref=j["ref"], kind=j["kind"], name=j["name"], number=int(j["version"]),
                   content_id=j["content_id"], size=int(j["size"]),
                   meta=dict(j.get("metadata") or {}), inputs=list(j.get("inputs") or []),
                   message=j.get("message") or "", creator=j.get("creator") or "",
                   created=_parse_time(j.get("created")), on_behalf_of=j.get("on_behalf_of"),
                   run=j.get("run"), aliases=list(j.get("aliases") or []),
                   deleted=j.get("deleted"))


def _split_ref(ref: str) -> Tuple[str, str]:
    """("dataset/x", "@3") from "dataset/x@3"; ("dataset/x", "") without a version."""
    if not isinstance(ref, str) or "/" not in ref:
        raise InvalidArgument(f"{ref!r} is not a reference: expected KIND/NAME[@REF]",
                              "INVALID_ARGUMENT", 0)
    name, at, version = ref.partition("@")
    return name, at + version


SERVICE_PREFIX = "featureservice/"


def _feature_list(features: Union[str, Sequence[str]]) -> List[str]:
    """The entries of a feature list: "VIEW:FEATURE" or "featureservice/NAME[@REF]"."""
    if isinstance(features, str):
        features = [f for f in features.split(",") if f]
    features = list(features)
    if not features:
        raise ValueError("give at least one feature, as VIEW:FEATURE or "
                         "featureservice/NAME")
    for f in features:
        if isinstance(f, str) and f.startswith(SERVICE_PREFIX):
            if len(f) == len(SERVICE_PREFIX) or f.startswith("@", len(SERVICE_PREFIX)):
                raise ValueError(f"feature {f!r}: expected featureservice/NAME[@REF]")
        elif not isinstance(f, str) or f.count(":") != 1:
            raise ValueError(f"feature {f!r}: expected VIEW:FEATURE or featureservice/NAME")
    return features


def _has_service(features: Sequence[str]) -> bool:
    return any(f.startswith(SERVICE_PREFIX) for f in features)


def _views_of(features: Sequence[str]) -> List[str]:
    views: List[str] = []
    for f in features:
        v = f.split(":")[0]
        if v not in views:
            views.append(v)
    return views


class _Head:
    """A binary stream that yields `head` first, then the rest of `stream`."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head, self._stream = head, stream

    def read(self, n: int = -1) -> bytes:
        if self._head:
            out, self._head = self._head, b""
            return out
        return self._stream.read(n)


@dataclasses.dataclass(frozen=True)
class FeatureServiceInfo:
    """A feature service: a named, versioned list of features a model reads.

    Example:
        >>> s = client.feature_service("churn_model")
        >>> s.ref, s.features
        ('featureservice/churn_model@1', ['customer_stats:spend_7d', 'region_stats:population_k'])
    """

    name: str
    version: int
    features: List[str]
    description: str
    owner: str
    tags: Dict[str, str]

    @property
    def ref(self) -> str:
        """"featureservice/NAME@N". Example: `s.ref` -> `'featureservice/churn_model@1'`."""
        return f"{SERVICE_PREFIX}{self.name}@{self.version}"


@dataclasses.dataclass(frozen=True)
class FeatureViewInfo:
    """A feature view's declaration: join keys and features with their types.

    Example:
        >>> v = client.feature_view("customer_stats@1")
        >>> v.version, v.join_keys, v.ttl_seconds
        (1, {'customer_id': 'int64'}, 604800)
    """

    name: str
    version: int
    join_keys: Dict[str, str]
    features: Dict[str, str]
    ttl_seconds: int
    raw: Dict[str, Any]


class OnlineResponse:
    """The answer of an online lookup, column by column, in Feast's shape.

    Small lookups are read from the JSON answer, larger ones (PROTOBUF_ENTITIES
    entities or more) from its protobuf form (api/online.proto), whose packed arrays
    decode whole: Python's JSON parser is faster for a few values, protobuf for
    many. Either way `raw` is the answer in the JSON route's shape.

    Example:
        >>> r = client.online(["customer_stats:spend_7d"], {"customer_id": [1, 2]})
        >>> r.to_dict()
        {'customer_id': [1, 2], 'spend_7d': [12.5, None]}
        >>> r.statuses["spend_7d"]
        ['PRESENT', 'NOT_FOUND']
    """

    def __init__(self, names: List[str], *, columns: Optional[List[Any]] = None,
                 json_body: Optional[Dict[str, Any]] = None, types: Any = None,
                 join_keys: Iterable[str] = ()) -> None:
        self.feature_names: List[str] = list(names)
        self._columns = columns      # protobuf: _online_pb.Column per name
        self._json = json_body       # JSON: the answer as parsed
        self._types_of = types       # JSON: a function of the names giving their types
        self._join_keys = set(join_keys)

    @property
    def raw(self) -> Dict[str, Any]:
        """The answer as the JSON route (POST /get-online-features) gives it.

        Example: `r.raw["metadata"]["feature_names"]` -> `['customer_id', 'spend_7d']`.
        """
        if self._json is not None:
            return self._json
        return _online_pb.as_json(self.feature_names, self._columns)

    def _results(self) -> List[Dict[str, Any]]:
        return self.raw["results"]

    @property
    def types(self) -> Dict[str, str]:
        """Column name -> declared type (int64, double, string, bool, bytes, timestamp).

        Example: `r.types` -> `{'customer_id': 'int64', 'spend_7d': 'double'}`.
        """
        if self._columns is not None:
            return {n: _online_pb.TYPES.get(c.type, "string")
                    for n, c in zip(self.feature_names, self._columns)}
        if callable(self._types_of):
            self._types_of = self._types_of(self.feature_names)
        return self._types_of

    @property
    def statuses(self) -> Dict[str, List[str]]:
        """Column name -> PRESENT, NOT_FOUND, NULL_VALUE or OUTSIDE_MAX_AGE per entity.

        Example: `r.statuses["spend_7d"]` -> `['PRESENT', 'NOT_FOUND']`.
        """
        if self._columns is not None:
            st = _online_pb.STATUS
            return {n: [st.get(s, "INVALID") for s in c.statuses]
                    for n, c in zip(self.feature_names, self._columns)}
        return {n: r["statuses"] for n, r in zip(self.feature_names, self._results())}

    @property
    def event_timestamps(self) -> Dict[str, List[str]]:
        """Column name -> each value's event time (RFC 3339; the epoch when none).

        Example: `r.event_timestamps["spend_7d"]` -> `['2026-11-22T15:40:00Z', ...]`.
        """
        if self._columns is not None:
            return {n: [_online_pb.rfc3339(x) for x in c.event_us]
                    for n, c in zip(self.feature_names, self._columns)}
        return {n: r["event_timestamps"] for n, r in zip(self.feature_names, self._results())}

    def to_dict(self) -> Dict[str, List[Any]]:
        """Column name -> values (join keys first), as Feast's OnlineResponse.to_dict():
        None where a value is not PRESENT, doubles as floats, timestamps as RFC 3339.

        Example:
            >>> client.online(["customer_stats:segment"], {"customer_id": [1]}).to_dict()
            {'customer_id': [1], 'segment': ['gold']}
        """
        if self._columns is not None:
            return {n: _online_pb.json_values(c)
                    for n, c in zip(self.feature_names, self._columns)}
        types = self.types
        out = {}
        for n, r in zip(self.feature_names, self._results()):
            values = r["values"]
            if types.get(n) == "double":  # JSON writes 3.0 as 3
                values = [None if v is None else float(v) for v in values]
            out[n] = list(values)
        return out

    def to_df(self) -> pd.DataFrame:
        """The answer as a DataFrame, one row per entity, typed from the declarations.

        Example:
            >>> client.online(["customer_stats:spend_7d"], {"customer_id": [1]}).to_df().dtypes
            customer_id      Int64
            spend_7d       float64
            dtype: object
        """
        if self._columns is None:
            types = self.types
            return pd.DataFrame({n: _frames.typed_column(r["values"], types.get(n, "string"))
                                 for n, r in zip(self.feature_names, self._results())})
        cols = {}
        for n, c in zip(self.feature_names, self._columns):
            missing = np.array([s != 1 for s in c.statuses], dtype=bool)
            if c.type == 2:
                v = np.array(c.values, dtype=np.float64)
                v[missing] = np.nan
                cols[n] = pd.Series(v)
            elif c.type == 1:
                cols[n] = pd.Series(pd.arrays.IntegerArray(
                    np.array(c.values, dtype=np.int64), missing))
            elif c.type == 4:
                cols[n] = pd.Series(pd.arrays.BooleanArray(
                    np.array(c.values, dtype=bool), missing))
            elif c.type == 6:
                t = pd.Series(pd.to_datetime(np.array(c.values, dtype=np.int64), unit="us",
                                             utc=True))
                t[missing] = pd.NaT
                cols[n] = t.astype("datetime64[ns, UTC]")
            else:
                cols[n] = pd.Series([None if m else v for v, m in zip(c.values, missing)],
                                    dtype=object)
        return pd.DataFrame(cols)


class Run:
    """One execution: parameters, metrics, inputs and outputs, until finish().

    As a context manager it finishes `ok`, or `failed` when the block raises.

    Example:
        >>> with client.start_run("train", params={"lr": 0.1}, inputs=["dataset/train"]) as run:
        ...     run.log_metric("auc", 0.91)
        ...     run.put("model/churn", b"weights")
    """

    def __init__(self, client: "Client", info: Mapping[str, Any]) -> None:
        self._client = client
        self.info: Dict[str, Any] = dict(info)
        self.id: str = info["id"]
        self.name: str = info["name"]

    @property
    def status(self) -> str:
        """RUNNING, OK or FAILED, as of the last answer about this run.

        Example: `run.status` -> `'RUNNING'`; after `run.finish()`, `'OK'`.
        """
        return self.info["status"]

    def log_metric(self, key: str, value: float) -> None:
        """Records one metric value. Example: `run.log_metric("loss", 0.25)`."""
        self.log_metrics({key: value})

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        """Records several metric values at once. Example: `run.log_metrics({"auc": 0.9})`."""
        body = {}
        for k, v in metrics.items():
            if not isinstance(k, str):
                raise TypeError(f"metric name {k!r} is not a string")
            if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
                raise TypeError(f"metric {k!r}: {v!r} is not a number")
            body[k] = float(v)
        self.info = self._client._t.json("POST", f"/v1/runs/{self.id}/metrics", json_body=body)

    def put(self, ref: str, data: Data, **kwargs: Any) -> Version:
        """Stores a version as an output of this run. Example: `run.put("model/m", b"..")`."""
        return self._client.put(ref, data, run=self.id, **kwargs)

    def finish(self, status: str = "ok") -> None:
        """Ends the run with `ok` or `failed`. Example: `run.finish("failed")`."""
        if status not in ("ok", "failed"):
            raise ValueError(f"status {status!r}: expected 'ok' or 'failed'")
        self.info = self._client._t.json("POST", f"/v1/runs/{self.id}/finish",
                                         query={"status": status})

    def refresh(self) -> Dict[str, Any]:
        """The run as the server has it now. Example: `run.refresh()["metrics"]`."""
        self.info = self._client._t.json("GET", f"/v1/runs/{self.id}", safe=True)
        return self.info

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.info.get("status") == "RUNNING":
            self.finish("ok" if exc_type is None else "failed")

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, name={self.name!r}, status={self.status!r})"



def _time_param(t: Union[str, int, _dt.datetime, pd.Timestamp]) -> str:
    """A time as the server's query parameters take it: RFC 3339 (a naive datetime is
    UTC) or epoch seconds."""
    if isinstance(t, (_dt.datetime, pd.Timestamp)):
        ts = pd.Timestamp(t)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(t)

def _definitions_body(definitions: Union[PathLike, str, Mapping[str, Any]],
                      what: str) -> Tuple[bytes, Optional[str]]:
    """A definitions file's bytes and name (None but for a path): a path, YAML text or
    a dict."""
    if isinstance(definitions, Mapping):
        return json.dumps(definitions).encode(), None
    if isinstance(definitions, os.PathLike) or (
            isinstance(definitions, str) and "\n" not in definitions
            and os.path.isfile(definitions)):
        with open(definitions, "rb") as f:
            return f.read(), os.path.basename(os.fspath(definitions))
    if isinstance(definitions, str):
        return definitions.encode(), None
    raise TypeError(f"{what}: give a path, YAML text or a dict")


class Client:
    """A strata server, or a local store served for this process.

    `url` defaults to `$STRATA_SERVER` and `token` to `$STRATA_TOKEN`. With no URL
    at all, the client starts `strata serve` ($STRATA_BIN, else `strata` on PATH) on
    `$STRATA_STORE` (else `./.strata`, created when missing) on a free loopback
    port, and stops it on close() or at exit. Thread-safe: each thread keeps one
    keep-alive connection. `ca_file` (default `$STRATA_CA_FILE`, else the system's
    CAs) is the PEM of the CAs to trust for an https server, as the CLI's --ca-file.

    Example:
        >>> import strata
        >>> with strata.Client("http://127.0.0.1:8080") as client:
        ...     v = client.put("dataset/raw", "raw.csv", message="first export")
        ...     print(v.ref, v.content_id)
        dataset/raw@1 sha256:4f1c...
    """

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None,
                 timeout: float = 60, *, ca_file: Optional[str] = None) -> None:
        url = url or os.environ.get("STRATA_SERVER") or None
        ca_file = ca_file or os.environ.get("STRATA_CA_FILE") or None
        token = token if token is not None else os.environ.get("STRATA_TOKEN") or None
        self._server: Optional[LocalServer] = None
        if url is None:
            self._server = LocalServer()
            url = self._server.url
            atexit.register(self.close)
        creator = os.environ.get("STRATA_USER") or _login_name()
        self._t = Transport(url, token, timeout, creator, ca_file)
        self.url: str = self._t.url
        self._views: Dict[Tuple[str, int], FeatureViewInfo] = {}
        self._latest: Dict[str, FeatureViewInfo] = {}
        self._checked: Dict[Tuple[str, ...], List[str]] = {}  # online() feature lists
        self._services: Dict[Tuple[str, int], FeatureServiceInfo] = {}
        self._views_lock = threading.Lock()

    # --- lifetime ---------------------------------------------------------------

    def close(self) -> None:
        """Closes the connections, and stops the server this client started.

        Example: `client.close()` (or use `with strata.Client() as client:`).
        """
        self._t.close()
        if self._server is not None:
            self._server.stop()
            self._server = None
            atexit.unregister(self.close)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def health(self) -> bool:
        """Whether the server answers /healthz. Example: `assert client.health()`."""
        return self._t.json("GET", "/healthz", safe=True).get("status") == "ok"

    # --- artifacts --------------------------------------------------------------

    def put(self, ref: str, data: Data, *, inputs: Iterable[str] = (),
            meta: Optional[Mapping[str, str]] = None, message: Optional[str] = None,
            run: Optional[str] = None, alias: Optional[str] = None) -> Version:
        """Stores `data` as the next version of `ref` ("KIND/NAME").

        `data` is bytes, a path or a binary file object. Content over 1 MiB is cut
        into chunks here (FastCDC, as the server cuts it) and only the chunks the
        server lacks are sent; a file is streamed, never read whole. Content equal
        to the latest version (with the same metadata, inputs and run) answers that
        version.

        Example:
            >>> client.put("dataset/raw", "raw.csv", meta={"source": "crm"},
            ...            message="first export").ref
            'dataset/raw@1'
        """
        name, version = _split_ref(ref)
        if version:
            raise InvalidArgument(f"put {ref!r}: give KIND/NAME without a version",
                                  "INVALID_ARGUMENT", 0)
        if isinstance(inputs, str):
            inputs = [inputs]
        query: List[Tuple[str, Any]] = []
        for k, v in (meta or {}).items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"meta {k!r}: keys and values must be strings")
            query.append(("meta", f"{k}={v}"))
        query += [("input", i) for i in inputs]
        query += [("run", run), ("message", message), ("alias", alias)]
        path = "/v1/artifacts/" + quote_ref(name)

        if isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data)
            if len(data) <= SMALL_CONTENT:
                return self._put_plain(path, query, data)
            return self._put_chunked(path, query, io.BytesIO(data))
        if isinstance(data, (str, os.PathLike)):
            with open(data, "rb") as f:
                return self._put_stream(path, query, f)
        if hasattr(data, "read"):
            return self._put_stream(path, query, data)
        raise TypeError(f"put: data must be bytes, a path or a binary file, not "
                        f"{type(data).__name__}")

    def _put_stream(self, path: str, query: List[Tuple[str, Any]], f: BinaryIO) -> Version:
        head = b""
        while len(head) <= SMALL_CONTENT:
            piece = f.read(SMALL_CONTENT + 1 - len(head))
            if isinstance(piece, str):
                raise TypeError("put: the file must be opened in binary mode ('rb')")
            if not piece:
                return self._put_plain(path, query, head)
            head += piece
        return self._put_chunked(path, query, _Head(head, f))

    def _put_plain(self, path: str, query: List[Tuple[str, Any]], data: bytes) -> Version:
        r = self._t.json("POST", path, query=query, body=data,
                         headers={"Content-Type": "application/octet-stream"})
        return Version.from_json(r["version"])

    def _put_chunked(self, path: str, query: List[Tuple[str, Any]], f: Any) -> Version:
        # Refuse a bad request before reading any content, as the CLI does.
        self._t.json("POST", path, query=query + [("dry_run", True)], body=b"")
        whole = hashlib.sha256()
        ids: List[bytes] = []
        batch: List[Tuple[bytes, bytes]] = []
        batch_bytes = 0
        for digest, piece in _fastcdc.chunks(f):
            whole.update(piece)
            ids.append(digest)
            batch.append((digest, piece))
            batch_bytes += len(piece)
            if batch_bytes >= CHUNK_BATCH_BYTES:
                self._send_missing(batch)
                batch, batch_bytes = [], 0
        self._send_missing(batch)
        r = self._t.json("POST", path, query=query, body=b"".join(ids),
                         headers={"Content-Type": "application/x-strata-chunk-ids",
                                  "X-Strata-Content-Sha256": whole.hexdigest()})
        return Version.from_json(r["version"])

    def _send_missing(self, batch: List[Tuple[bytes, bytes]]) -> None:
        if not batch:
            return
        octets = {"Content-Type": "application/octet-stream"}
        resp = self._t.request("POST", "/v1/chunks/missing", body=b"".join(d for d, _ in batch),
                               headers=octets, safe=True)
        missing = resp.data  # type: ignore[attr-defined]
        wanted = {missing[i:i + 32] for i in range(0, len(missing), 32)}
        frames = []
        for digest, piece in batch:
            if digest in wanted:
                wanted.discard(digest)
                frames.append(len(piece).to_bytes(4, "big"))
                frames.append(piece)
        if frames:
            self._t.request("POST", "/v1/chunks", body=b"".join(frames), headers=octets,
                            safe=True)

    def _content(self, ref: str, sink: Any) -> str:
        """Streams `ref`'s content into sink.write, verified; returns the content id."""
        resp = self._t.request("GET", "/v1/artifacts/" + quote_ref(ref) + "/content",
                               stream=True)
        expected = (resp.getheader("ETag") or "").strip('"')
        h = hashlib.sha256()
        try:
            while True:
                piece = resp.read(_READ_BLOCK)
                if not piece:
                    break
                h.update(piece)
                sink.write(piece)
        finally:
            resp.close()
        got = "sha256:" + h.hexdigest()
        if expected and got != expected:
            raise Error(f"{ref}: content read back as {got}, expected {expected} "
                        "(the connection was cut short, or the data is damaged)",
                        "DATA_LOSS", 0)
        return got

    def get(self, ref: str) -> bytes:
        """The content of a version, verified against its content id.

        Example:
            >>> client.get("config/train@1")
            b'lr: 0.1\\n'
        """
        out = io.BytesIO()
        self._content(ref, out)
        return out.getvalue()

    def download(self, ref: str, path: PathLike) -> Version:
        """Writes a version's content to `path`: verified, fsynced, renamed into place.

        A temporary file beside `path` receives the bytes; `path` changes only once
        they match the version's content id. Example:
            >>> client.download("model/churn@production", "model.pkl").size
            48213
        """
        version = self.show(ref)
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".strata-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                got = self._content(version.ref, f)
                f.flush()
                os.fsync(f.fileno())
            if got != version.content_id:
                raise Error(f"{version.ref}: read {got}, expected {version.content_id}",
                            "DATA_LOSS", 0)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        return version

    def show(self, ref: str) -> Version:
        """One version ("KIND/NAME", "@N" or "@ALIAS"; latest without one).

        Example:
            >>> client.show("dataset/raw").number
            2
        """
        _split_ref(ref)
        return Version.from_json(self._t.json("GET", "/v1/artifacts/" + quote_ref(ref),
                                              safe=True))

    def versions(self, name: str) -> List[Version]:
        """Every version of an artifact, newest first.

        Example:
            >>> [v.number for v in client.versions("dataset/raw")]
            [2, 1]
        """
        base, version = _split_ref(name)
        if version:
            raise InvalidArgument(f"versions {name!r}: give KIND/NAME", "INVALID_ARGUMENT", 0)
        return [Version.from_json(v) for v in
                self._t.json("GET", f"/v1/artifacts/{quote_ref(base)}/versions", safe=True)]

    def ls(self, kind: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every artifact (or those of one kind), as `strata ls --json` lists them.

        Example:
            >>> [a["artifact"] for a in client.ls("model")]
            ['model/churn']
        """
        return self._t.json("GET", "/v1/artifacts", query={"kind": kind}, safe=True)

    def aliases(self, name: str) -> Dict[str, int]:
        """Where each alias of an artifact points. Example: `client.aliases("model/churn")`
        -> `{'production': 2}`."""
        return self._t.json("GET", f"/v1/artifacts/{quote_ref(name)}/aliases", safe=True)

    def set_alias(self, name: str, alias: str, version: int, expect: Optional[int] = None,
                  reason: Optional[str] = None) -> Dict[str, Any]:
        """Points `alias` at `version`; with `expect`, only if it points there now
        (0: only if the alias does not exist yet), else FailedPrecondition.

        Example:
            >>> client.set_alias("model/churn", "production", 2, expect=1, reason="auc +2%")["to"]
            2
        """
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(f"version must be an int, not {type(version).__name__}")
        headers = {} if expect is None else {"If-Match": str(int(expect))}
        return self._t.json("PUT", f"/v1/artifacts/{quote_ref(name)}/aliases/{quote_ref(alias)}",
                            query={"version": version, "reason": reason}, body=b"",
                            headers=headers)

    def remove_alias(self, name: str, alias: str, expect: Optional[int] = None,
                     reason: Optional[str] = None) -> Dict[str, Any]:
        """Removes an alias (logged). Example: `client.remove_alias("model/churn", "staging")`."""
        headers = {} if expect is None else {"If-Match": str(int(expect))}
        return self._t.json("DELETE",
                            f"/v1/artifacts/{quote_ref(name)}/aliases/{quote_ref(alias)}",
                            query={"reason": reason}, headers=headers)

    def alias_log(self, name: str) -> List[Dict[str, Any]]:
        """Every alias move of an artifact, oldest first (who, when, from, to, why).

        Example:
            >>> [(m["alias"], m["from"], m["to"]) for m in client.alias_log("model/churn")]
            [('production', None, 1), ('production', 1, 2)]
        """
        return self._t.json("GET", f"/v1/artifacts/{quote_ref(name)}/alias-log", safe=True)

    def delete(self, ref: str, reason: Optional[str] = None, force: bool = False) -> Version:
        """Deletes version `KIND/NAME@N` (refused while something in use needs it,
        unless `force`). Example: `client.delete("dataset/raw@1", reason="PII")`."""
        _split_ref(ref)
        return Version.from_json(self._t.json(
            "DELETE", "/v1/artifacts/" + quote_ref(ref),
            query={"reason": reason, "force": True if force else None}))

    def lineage(self, ref: str, direction: str = "up",
                depth: Optional[int] = None) -> Dict[str, Any]:
        """A lineage walk from a version or "run/ID": `{"root", "nodes", "edges"}`.

        Example:
            >>> [n["id"] for n in client.lineage("model/churn@1")["nodes"]]
            ['model/churn@1', 'run/1a2053fe2fb749d1', 'dataset/train@1']
        """
        if direction not in ("up", "down", "both"):
            raise ValueError(f"direction {direction!r}: expected 'up', 'down' or 'both'")
        if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int)
                                  or depth < 1):
            raise ValueError(f"depth {depth!r}: expected an int >= 1")
        return self._t.json("GET", "/v1/lineage/" + quote_ref(ref),
                            query={"direction": direction, "depth": depth}, safe=True)

    # --- runs -------------------------------------------------------------------

    def start_run(self, name: str, params: Optional[Mapping[str, Any]] = None,
                  inputs: Iterable[str] = ()) -> Run:
        """Starts a run; its parameters are kept as strings.

        Example:
            >>> with client.start_run("train", params={"lr": 0.1}) as run:
            ...     run.log_metric("auc", 0.91)
        """
        if isinstance(inputs, str):
            inputs = [inputs]
        body = {"name": name, "params": {str(k): str(v) for k, v in (params or {}).items()},
                "inputs": list(inputs)}
        return Run(self, self._t.json("POST", "/v1/runs", json_body=body))

    def run(self, run_id: str) -> Run:
        """A run by its id. Example: `client.run("1a2053fe2fb749d1").info["metrics"]`."""
        return Run(self, self._t.json("GET", f"/v1/runs/{quote_ref(run_id)}", safe=True))

    def runs(self) -> List[Dict[str, Any]]:
        """Every run, oldest first. Example: `[r["name"] for r in client.runs()]`."""
        return self._t.json("GET", "/v1/runs", safe=True)

    # --- features ---------------------------------------------------------------

    def apply(self, definitions: Union[PathLike, str, Mapping[str, Any]],
              message: Optional[str] = None) -> List[Dict[str, Any]]:
        """Applies entity, feature view and feature service definitions: a path, YAML
        text or a dict. One entry per view, then per service, with its `kind`.

        Example:
            >>> client.apply("features.yaml", message="add segment")
            [{'name': 'customer_stats', 'version': 2, 'changed': True, 'kind': 'featureview'}]
        """
        body, source = _definitions_body(definitions, "apply")
        r = self._t.json("POST", "/v1/features/apply",
                         query={"message": message, "source": source}, body=body)
        return ([dict(v, kind="featureview") for v in r["featureviews"]] +
                [dict(v, kind="featureservice") for v in r.get("featureservices", [])])

    def feature_view(self, name: str) -> FeatureViewInfo:
        """A feature view's declaration ("NAME" or "NAME@N"): join keys, features, ttl.

        Example:
            >>> client.feature_view("customer_stats").features
            {'spend_7d': 'double', 'segment': 'string'}
        """
        name = name.split("/", 1)[1] if name.startswith("featureview/") else name
        base, _, version = name.partition("@")
        if version.isdigit():
            with self._views_lock:
                cached = self._views.get((base, int(version)))
            if cached:
                return cached
        j = self._t.json("GET", "/v1/features/views/" + quote_ref(name), safe=True)
        info = FeatureViewInfo(
            name=j["name"], version=int(j["version"]),
            join_keys={k["name"]: k["type"] for e in j["entities"] for k in e["join_keys"]},
            features={f["name"]: f["type"] for f in j["features"]},
            ttl_seconds=int(j.get("ttl_seconds") or 0), raw=j)
        with self._views_lock:  # versions are immutable: cache them
            self._views[(info.name, info.version)] = info
        return info

    def _declared(self, view: str, features: Sequence[str] = ()) -> FeatureViewInfo:
        """The view's declaration for typing columns, fetched once per client.

        A feature's type and a view's join keys never change between versions (apply
        refuses such changes), so a declaration read once types later answers too;
        it is read again when it lacks a feature asked for (one added since).
        """
        with self._views_lock:
            info = self._latest.get(view)
        if info is None or any(f not in info.features for f in features):
            info = self.feature_view(view)
            with self._views_lock:
                self._latest[view] = info
        return info

    def feature_service(self, name: str) -> FeatureServiceInfo:
        """A feature service ("NAME", "NAME@N" or "NAME@ALIAS", or with the
        "featureservice/" prefix): its version and its features, expanded to
        "VIEW:FEATURE" in order.

        Example:
            >>> client.feature_service("churn_model@1").features
            ['customer_stats:spend_7d', 'region_stats:population_k']
        """
        ref = name if name.startswith(SERVICE_PREFIX) else SERVICE_PREFIX + name
        base, at = _split_ref(ref)
        number = at[1:]
        if not number.isdigit():
            number = str(self.show(ref).number)
        key = (base, int(number))
        with self._views_lock:
            cached = self._services.get(key)
        if cached:
            return cached
        doc = json.loads(self.get(f"{base}@{number}"))
        entry = doc["feature_services"][0]
        info = FeatureServiceInfo(
            name=entry["name"], version=int(number), features=list(entry["features"]),
            description=entry.get("description") or "", owner=entry.get("owner") or "",
            tags=dict(entry.get("tags") or {}))
        with self._views_lock:  # versions are immutable: cache them
            self._services[key] = info
        return info

    def feature_services(self) -> List[FeatureServiceInfo]:
        """The latest version of every feature service.

        Example:
            >>> [s.name for s in client.feature_services()]
            ['churn_model']
        """
        return [self.feature_service(a["artifact"]) for a in self.ls("featureservice")]

    def _expand(self, features: List[str]) -> Tuple[List[str], List[str]]:
        """(what to send, the "VIEW:FEATURE" columns it stands for) for a feature list.

        Each feature service is read once and sent pinned to that version
        (featureservice/NAME@N), so the columns named here are the ones the server
        answers with even when the service changes meanwhile. A feature named twice
        (by itself or in services) is taken once, where it first appears, as the
        server does.
        """
        send: List[str] = []
        columns: List[str] = []
        for f in features:
            if f.startswith(SERVICE_PREFIX):
                info = self.feature_service(f)
                send.append(info.ref)
                columns.extend(x for x in info.features if x not in columns)
            else:
                send.append(f)
                if f not in columns:
                    columns.append(f)
        return send, columns

    def validate(self, ref: str, view: Optional[str] = None,
                 rules: Union[PathLike, str, Mapping[str, Any], None] = None) -> Dict[str, Any]:
        """Checks dataset version `ref` against the validation rules of feature view
        `view`, or of the one view of the definitions `rules` (a path, YAML text or a
        dict), without ingesting it: the report of `strata validate --json`.

        Example:
            >>> client.validate("dataset/raw", view="customer_stats")["clean"]
            False
        """
        if (view is None) == (rules is None):
            raise ValueError("validate: give view or rules (one of them)")
        body, source = (b"", None) if rules is None else _definitions_body(rules, "validate")
        return self._t.json("POST", "/v1/validate",
                            query={"ref": ref, "view": view, "source": source}, body=body)

    def ingest(self, view: str, df: Union[pd.DataFrame, PathLike, bytes], *,
               dataset: Optional[str] = None, message: Optional[str] = None,
               inputs: Iterable[str] = ()) -> Dict[str, Any]:
        """Ingests rows into a feature view's offline log (and online table).

        `df` holds the join keys, `event_timestamp` (datetime64, or RFC 3339 / epoch
        seconds), optionally `created_timestamp`, and features. It may also be a
        CSV path or bytes. Example:
            >>> client.ingest("customer_stats", df)["written"]
            4
        """
        query: Dict[str, Any] = {"dataset": dataset, "message": message}
        if isinstance(inputs, str):
            inputs = [inputs]
        inputs = list(inputs)
        if inputs:
            query["inputs"] = ",".join(inputs)
        headers = {"Content-Type": "text/csv"}
        if isinstance(df, pd.DataFrame):
            body, _ = _frames.frame_to_csv(df)
        elif isinstance(df, (bytes, bytearray)):
            body = bytes(df)
            headers = {}
        elif isinstance(df, (str, os.PathLike)):
            with open(df, "rb") as f:
                body = f.read()
            query["source"] = os.path.basename(os.fspath(df))
            headers = {}
        else:
            raise TypeError("ingest: give a DataFrame, a CSV/JSON-lines path or bytes")
        return self._t.json("POST", f"/v1/features/{quote_ref(view)}/ingest", query=query,
                            body=body, headers=headers)

    def push(self, view: str, df: Union[pd.DataFrame, Mapping[str, Sequence[Any]]],
             to: str = "online") -> Dict[str, Any]:
        """Pushes rows to a view's online table (or `offline`, `online_and_offline`).

        Example:
            >>> client.push("customer_stats", pd.DataFrame({"customer_id": [1],
            ...     "event_timestamp": [pd.Timestamp.now(tz="UTC")], "spend_7d": [12.5]}))
            {'rows': 1, 'to': 'online'}
        """
        if to not in ("online", "offline", "online_and_offline"):
            raise ValueError(f"to={to!r}: expected 'online', 'offline' or 'online_and_offline'")
        if isinstance(df, pd.DataFrame):
            columns = {str(c): _frames.column_to_json(df[c]) for c in df.columns}
        elif isinstance(df, Mapping):
            columns = {k: _frames.values_to_json(v) for k, v in df.items()}
        else:
            raise TypeError("push: give a DataFrame or a dict of columns")
        return self._t.json("POST", "/push",
                            json_body={"push_source_name": view, "df": columns, "to": to})

    def historical(self, spine: Union[pd.DataFrame, str], features: Union[str, Sequence[str]],
                   *, as_of: Union[None, str, _dt.datetime, pd.Timestamp] = None,
                   created_cutoff: bool = False, full_names: bool = False,
                   save: Optional[str] = None, message: Optional[str] = None,
                   inputs: Iterable[str] = (),
                   timestamp_unit: Optional[str] = None) -> pd.DataFrame:
        """A point-in-time join of `features` onto `spine` (a DataFrame or
        "dataset/NAME@REF"), as `strata historical` computes it.

        The spine's own columns keep their dtypes and index; features are typed from
        their declarations (int64 "Int64", double float64, bool "boolean", string
        object, timestamp datetime64[ns, UTC]). With `save="dataset/NAME"` the result
        is stored as a reproducible training set. The summary (rows, matched, view
        versions, ingest position, saved dataset) is in `df.attrs["strata"]`.

        Example:
            >>> spine = pd.DataFrame({"customer_id": [1, 2], "event_timestamp":
            ...     pd.to_datetime(["2024-01-04", "2024-01-03"], utc=True)})
            >>> client.historical(spine, ["customer_stats:spend_7d"]).spend_7d.tolist()
            [10.5, 3.0]
        """
        send, features = self._expand(_feature_list(features))
        views = _views_of(features)
        query: List[Tuple[str, Any]] = [("features", ",".join(send))]
        if as_of is not None:
            query.append(("as_of", _time_param(as_of)))
        if created_cutoff:
            query.append(("created_cutoff", True))
        if full_names:
            query.append(("full_names", True))
        if save is not None:
            query.append(("save", save))
            query.append(("message", message))
            if isinstance(inputs, str):
                inputs = [inputs]
            inputs = list(inputs)
            if inputs:
                query.append(("inputs", ",".join(inputs)))
        elif message is not None or inputs:
            raise ValueError("message= and inputs= go with save=")

        body = b""
        frame: Optional[pd.DataFrame] = None
        if isinstance(spine, str):
            if not spine.startswith("dataset/"):
                raise InvalidArgument(f"spine {spine!r}: expected a DataFrame or "
                                      "dataset/NAME[@REF]", "INVALID_ARGUMENT", 0)
            query.append(("spine", spine))
        elif isinstance(spine, pd.DataFrame):
            frame = spine
            keys: List[str] = []
            for v in views:
                for k in self._declared(v).join_keys:
                    if k not in keys:
                        keys.append(k)
            needed = [c for c in keys + ["event_timestamp"] if c in frame.columns]
            missing = [c for c in keys + ["event_timestamp"] if c not in frame.columns]
            if missing:
                raise InvalidArgument(f"the spine has no column {missing[0]}",
                                      "INVALID_ARGUMENT", 0)
            # A spine that is stored (save=) goes as RFC 3339, readable without a unit.
            body, unit = _frames.frame_to_csv(frame[needed], ns=save is None)
            unit = unit or timestamp_unit
            if unit:
                query.append(("timestamp_unit", unit))
        else:
            raise TypeError("historical: spine must be a DataFrame or 'dataset/NAME[@REF]'")

        resp = self._t.request("POST", "/v1/features/historical", query=query, body=body,
                               headers={"Content-Type": "text/csv", "Accept": "text/csv"},
                               safe=save is None, stream=True)
        try:
            summary = _summary(resp)
            types: Dict[str, str] = {}
            for ref in summary["featureviews"]:
                info = self.feature_view(ref)
                for f in features:
                    v, name = f.split(":")
                    if v == info.name and name in info.features:
                        col = f"{v}__{name}" if full_names else name
                        types[col] = info.features[name]
                if frame is None:
                    for k, t in info.join_keys.items():
                        types.setdefault(k, t)
            if frame is None:
                df = _frames.read_typed_csv(resp, types)
                if "event_timestamp" in df.columns:
                    try:
                        df["event_timestamp"] = pd.to_datetime(df["event_timestamp"], utc=True)
                    except (ValueError, TypeError):
                        pass
            else:
                cols = [f"{f.replace(':', '__')}" if full_names else f.split(":")[1]
                        for f in features]
                feats = _frames.read_typed_csv(resp, {c: types.get(c, "string") for c in cols},
                                               usecols=cols)
                feats = feats[cols]
                feats.index = frame.index
                df = pd.concat([frame, feats], axis=1)
        finally:
            resp.close()
        df.attrs["strata"] = summary
        return df

    def reproduce(self, ref: str) -> Dict[str, Any]:
        """Re-runs a saved training set's request and compares it with what was stored.

        Example:
            >>> client.reproduce("dataset/train@1")["identical"]
            True
        """
        _split_ref(ref)
        return self._t.json("POST", "/v1/features/reproduce/" + quote_ref(ref), body=b"")

    def stats(self, ref: str, *, view: Optional[str] = None,
              start: Union[None, str, int, _dt.datetime, pd.Timestamp] = None,
              end: Union[None, str, int, _dt.datetime, pd.Timestamp] = None,
              as_of: Union[None, str, int, _dt.datetime, pd.Timestamp] = None) -> Dict[str, Any]:
        """Statistics of a dataset version ("dataset/NAME[@REF]", column types from
        `view` when given) or of a feature view's log window ("featureview/NAME",
        event times in [start, end), rows created after `as_of` hidden): the dict
        `strata stats --json` prints (docs/quality.md). A dataset's profile is stored
        by the server (profile/NAME) and read back by later calls.

        Example:
            >>> s = client.stats("dataset/sales@1")
            >>> s["rows"], [c["name"] for c in s["columns"]]
            (3, ['price', 'city'])
        """
        query = {"view": view}
        for name, t in (("from", start), ("to", end), ("as_of", as_of)):
            if t is not None:
                query[name] = _time_param(t)
        return self._t.json("GET", "/v1/stats/" + quote_ref(ref), query=query, safe=True)

    def drift(self, baseline: str, current: str,
              features: Union[None, str, Sequence[str]] = None) -> Dict[str, Any]:
        """Drift per feature from `baseline` to `current`, each a dataset version
        ("dataset/NAME[@REF]", a saved training set is one), a feature-view window
        ("featureview/NAME[FROM..TO]") or what a server started with --log-served
        answered ("served:featureview/NAME[FROM..TO]": training/serving skew);
        `features` the columns to compare (default:
        the common ones but join keys and timestamps): the dict `strata drift --json`
        prints (docs/quality.md, "Drift").

        Example:
            >>> d = client.drift("dataset/train@1", "dataset/train@2")
            >>> [(f["name"], f["drifted"]) for f in d["features"]]
            [('x', True), ('city', False)]
        """
        if features is not None and not isinstance(features, str):
            features = ",".join(features)
        query = {"baseline": baseline, "current": current, "features": features or None}
        return self._t.json("GET", "/v1/drift", query=query, safe=True)

    def online(self, features: Union[str, Sequence[str]],
               entities: Union[Mapping[str, Sequence[Any]], pd.DataFrame], *,
               full_names: bool = False) -> OnlineResponse:
        """The newest values of `features` for `entities` (join key -> values).

        Example:
            >>> r = client.online(["customer_stats:spend_7d", "customer_stats:segment"],
            ...                   {"customer_id": [1, 2, 3]})
            >>> r.to_dict()["segment"], r.statuses["segment"]
            (['gold', None, None], ['PRESENT', 'NULL_VALUE', 'NOT_FOUND'])
        """
        key = tuple(features) if isinstance(features, (list, tuple)) else None
        checked = self._checked.get(key) if key is not None else None
        if checked is None:
            checked = _feature_list(features)
            if key is not None and len(self._checked) < 1024:
                self._checked[key] = checked
        features = checked
        if isinstance(entities, pd.DataFrame):
            entities = {str(c): entities[c] for c in entities.columns}
        if not isinstance(entities, Mapping) or not entities:
            raise TypeError("online: entities must be a dict of join key -> values")
        columns = {}
        for k, values in entities.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise TypeError(f"entities[{k!r}] must be a list of values")
            columns[k] = _frames.values_to_json(values)
        body = {"features": features, "entities": columns}
        if full_names:
            body["full_feature_names"] = True
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        entity_count = len(next(iter(columns.values())))
        # A feature service's columns are known from the answer: its protobuf form
        # types each column, and names the features it stands for (feature_refs).
        if entity_count >= PROTOBUF_ENTITIES or _has_service(features):
            headers["Accept"] = "application/x-protobuf"
            resp = self._t.request("POST", "/get-online-features", body=data,
                                   headers=headers, safe=True)
            names, cols = _online_pb.decode(resp.data)  # type: ignore[attr-defined]
            return OnlineResponse(names, columns=cols, join_keys=columns)
        resp = self._t.request("POST", "/get-online-features", body=data, headers=headers,
                               safe=True)
        answer = json.loads(resp.data)  # type: ignore[attr-defined]
        return OnlineResponse(answer["metadata"]["feature_names"], json_body=answer,
                              types=lambda names: self._online_types(features, names),
                              join_keys=columns)

    def _online_types(self, features: List[str], names: List[str]) -> Dict[str, str]:
        """Declared types of an online answer's columns (`names`) for `features`."""
        types: Dict[str, str] = {}
        wanted: Dict[str, List[str]] = {}
        for f in features:
            v, feat = f.split(":")
            wanted.setdefault(v, []).append(feat)
        infos = {v: self._declared(v, feats) for v, feats in wanted.items()}
        for info in infos.values():
            for k, t in info.join_keys.items():
                types.setdefault(k, t)
        for name, f in zip(names[len(names) - len(features):], features):
            v, feat = f.split(":")
            types[name] = infos[v].features.get(feat, "string")
        return types


def _login_name() -> Optional[str]:
    """$USER, else the login name of the current uid, as the CLI names who acts."""
    try:
        return getpass.getuser() or None
    except (KeyError, OSError):
        return None


def _summary(resp: Any) -> Dict[str, Any]:
    """df.attrs["strata"] from a historical answer's X-Strata-* headers."""
    def ints(text: Optional[str]) -> List[int]:
        return [int(x) for x in text.split(",") if x] if text else []
    h = resp.getheader
    return {
        "rows": int(h("X-Strata-Rows") or 0),
        "matched": int(h("X-Strata-Matched") or 0),
        "featureviews": [x for x in (h("X-Strata-Featureviews") or "").split(",") if x],
        "ingest_position": int(h("X-Strata-Ingest-Position") or 0),
        "ingest_pending": ints(h("X-Strata-Ingest-Pending")),
        "dataset": h("X-Strata-Dataset"),
        "spine": h("X-Strata-Spine"),
    }
