"""Typed errors: one class per stable error code of the server (src/protocol/errors.ts).

Every error carries ``code`` (the server's stable string, what to branch on), ``message`` (the
server's one line, written for a person), ``status`` (the HTTP status, 0 when no answer came) and
``details`` (the server's structured extras, or None). Related codes share a base class, so
``except ValidationError`` also catches ``UnknownCompute`` and ``except Conflict`` catches
``AlreadyExists``; ``NotFound`` is also a ``LookupError``.
"""

import json


class CairnError(Exception):
    """An error the server (or the client, before sending anything) meant for the user."""

    def __init__(self, code, message, status=0, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details

    def __str__(self):
        return self.message

    def __repr__(self):
        return "%s(code=%r, message=%r, status=%r)" % (type(self).__name__, self.code, self.message, self.status)


class ValidationError(CairnError):
    """The request or a file is wrong (400): the message names the field, and a file's line."""


class BadRequest(ValidationError):
    pass


class PathEscapesRoot(ValidationError):
    pass


class MissingBlobs(ValidationError):
    pass


class UnknownCompute(ValidationError):
    pass


class UnknownEnvironment(ValidationError):
    pass


class UnknownAsset(ValidationError):
    pass


class UnknownDatastore(ValidationError):
    pass


class DatastoreDenied(ValidationError):
    pass


class PayloadTooLarge(CairnError):
    pass


class NotFound(CairnError, LookupError):
    pass


class AuthError(CairnError):
    """Unauthorized or Forbidden."""


class Unauthorized(AuthError):
    pass


class Forbidden(AuthError):
    pass


class Conflict(CairnError):
    pass


class AlreadyExists(Conflict):
    pass


class JobAlreadyFinished(Conflict):
    pass


class ComputeBusy(Conflict):
    pass


class Unsupported(CairnError):
    """Something Azure ML accepts that Cairn cannot honour; the message says why."""


class ServerUnreachable(CairnError):
    """No answer from the server (connection refused, DNS, timeout): the message names the URL."""


class SshUnreachable(CairnError):
    pass


class SshAuthFailed(CairnError):
    pass


class HostKeyMismatch(CairnError):
    pass


class HostCheckFailed(CairnError):
    pass


class DamagedContent(CairnError):
    pass


class NotBuilt(CairnError):
    pass


class DatastoreUnreachable(CairnError):
    pass


class Internal(CairnError):
    pass


class Timeout(CairnError):
    """A wait (job, compute) ran past its timeout; raised by the client, code 'Timeout'."""


_CLASSES = {
    c.__name__: c
    for c in (
        BadRequest, ValidationError, NotFound, AlreadyExists, Conflict, Unauthorized, Forbidden,
        PayloadTooLarge, PathEscapesRoot, MissingBlobs, UnknownCompute, JobAlreadyFinished,
        ServerUnreachable, Unsupported, ComputeBusy, SshUnreachable, SshAuthFailed, HostKeyMismatch,
        HostCheckFailed, UnknownEnvironment, DamagedContent, NotBuilt, UnknownAsset, UnknownDatastore,
        DatastoreUnreachable, DatastoreDenied, Internal, Timeout,
    )
}

__all__ = ["CairnError", "AuthError", "error_class", "error_from_response"] + sorted(_CLASSES)


def error_class(code):
    """The class for a server error code; CairnError for a code this client does not know."""
    return _CLASSES.get(code, CairnError)


def error_from_response(status, body):
    """Rebuilds the typed error from the server's one error body (bytes), whatever came back."""
    try:
        err = json.loads(body.decode("utf-8"))["error"]
        code, message = err["code"], err["message"]
        if not isinstance(code, str) or not isinstance(message, str):
            raise ValueError("not the error body")
    except Exception:
        text = body[:200].decode("utf-8", "replace")
        return Internal("Internal", "server answered %d: %s" % (status, text), status)
    return error_class(code)(code, message, status, err.get("details"))
