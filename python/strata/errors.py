"""strata's exceptions: one class per error code the server answers."""

from __future__ import annotations

from typing import Optional


class Error(Exception):
    """An error from strata, or from the way to it.

    `code` is the server's code ("NOT_FOUND", "INVALID_ARGUMENT", ...), `status` the
    HTTP status (0 when no answer came), `message` the server's message.

    Example:
        >>> try:
        ...     client.show("model/nope")
        ... except strata.NotFound as e:
        ...     print(e.code, e.status, e.message)
        NOT_FOUND 404 no artifact model/nope
    """

    def __init__(self, message: str, code: str = "UNKNOWN", status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.status else self.message


class NotFound(Error):
    """No such artifact, version, alias, run, feature view or feature (404).

    Example: `client.show("model/nope")` raises it.
    """


class InvalidArgument(Error, ValueError):
    """A malformed request or value (400), refused by the server or before sending.

    Example: `client.show("widget/x")` raises it.
    """


class FailedPrecondition(Error):
    """A conflict with the store's state (409, 412): a stale alias, a finished run.

    Example: `client.set_alias("model/m", "prod", 2, expect=1)` raises it.
    """


class AlreadyExists(Error):
    """Something that must be new exists already (409).

    Example: a create that finds its name taken raises it.
    """


class PermissionDenied(Error):
    """The token's scope is too small for the request (403).

    Example: `reader.put("model/m", b"x")` raises it.
    """


class Unauthenticated(Error):
    """No valid token, on a server that needs one (401).

    Example: `strata.Client(url, token="wrong").ls()` raises it.
    """


class Unavailable(Error):
    """The server cannot be reached, or the connection dropped mid-request.

    Example: `strata.Client("http://127.0.0.1:1").ls()` raises it.
    """


_BY_CODE = {
    "NOT_FOUND": NotFound,
    "INVALID_ARGUMENT": InvalidArgument,
    "FAILED_PRECONDITION": FailedPrecondition,
    "ALREADY_EXISTS": AlreadyExists,
    "PERMISSION_DENIED": PermissionDenied,
    "UNAUTHENTICATED": Unauthenticated,
    "UNAVAILABLE": Unavailable,
}


def error_for(code: Optional[str], message: str, status: int) -> Error:
    """The exception for a server's error code (Error for codes without a class).

    Example: `error_for("NOT_FOUND", "no artifact model/x", 404)` is a NotFound.
    """
    cls = _BY_CODE.get(code or "", Error)
    return cls(message, code or "UNKNOWN", status)
