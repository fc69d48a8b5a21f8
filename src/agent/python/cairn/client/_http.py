"""HTTP to the Cairn server: one kept-alive connection per thread, the server's errors made typed.

http.client rather than urllib: urllib opens a connection per request, and keeping one open is
what brings a client call within a millisecond or two of a bare request (see bench/python-sdk.ts).
"""

import http.client
import json
import socket
import threading
from urllib.parse import quote, urlencode, urlsplit

from ._errors import CairnError, ServerUnreachable, error_from_response

USER_AGENT = "cairn-python"
# A kept-alive connection the server closed while idle fails on its next use in one of these ways;
# such a request never reached the server, so it is sent once more on a fresh connection.
_STALE = (http.client.RemoteDisconnected, http.client.BadStatusLine, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def q(segment):
    """One path segment, escaped (names may hold characters a URL reserves)."""
    return quote(str(segment), safe="")


class Http:
    def __init__(self, url, token, timeout):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CairnError("ValidationError", "server URL %r must look like http://host:port" % url, 400)
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._headers = {"user-agent": USER_AGENT, "accept": "application/json"}
        if token:
            self._headers["authorization"] = "Bearer " + token
        self._local = threading.local()

    # --- connections ---------------------------------------------------------------------------

    def _new_conn(self, timeout):
        if self._https:
            import ssl  # only when a server is https: ssl costs several ms to import

            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout, context=ssl.create_default_context(), blocksize=1 << 16)
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout, blocksize=1 << 16)

    def _unreachable(self, err):
        if isinstance(err, socket.timeout):
            why = "no answer within %s s" % self.timeout
        elif isinstance(err, ConnectionRefusedError):
            why = "connection refused"
        elif isinstance(err, socket.gaierror):
            why = "cannot resolve %s" % self._host
        else:
            why = str(err) or type(err).__name__
        return ServerUnreachable(
            "ServerUnreachable",
            "no Cairn server answers at %s (%s): start one with `cairn server` (the client does not start one), "
            "or set CAIRN_SERVER to where one runs" % (self.url, why),
        )

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- requests ------------------------------------------------------------------------------

    def path(self, path, query=None):
        if query:
            items = [(k, "true" if v is True else "false" if v is False else v) for k, v in query.items() if v is not None]
            if items:
                path += ("&" if "?" in path else "?") + urlencode(items)
        return self._prefix + path

    def request(self, method, path, body=None, headers=None, query=None):
        """Sends one request on this thread's connection; returns (status, headers, body bytes) of a 2xx."""
        target = self.path(path, query)
        hdrs = dict(self._headers)
        if headers:
            hdrs.update(headers)
        for attempt in (0, 1):
            conn = getattr(self._local, "conn", None)
            reused = conn is not None
            if conn is None:
                conn = self._local.conn = self._new_conn(self.timeout)
            try:
                if attempt and hasattr(body, "seek"):
                    body.seek(0)
                conn.request(method, target, body=body, headers=hdrs)
                res = conn.getresponse()
                data = res.read()
            except _STALE as err:
                self.close()
                if reused and attempt == 0:
                    continue
                raise self._unreachable(err) from None
            except (OSError, http.client.HTTPException) as err:
                self.close()
                raise self._unreachable(err) from None
            if res.will_close:
                self.close()
            if res.status < 200 or res.status >= 300:
                raise error_from_response(res.status, data)
            return res.status, res.headers, data
        raise AssertionError("unreachable")

    def json(self, method, path, body=None, query=None):
        """A JSON call: `body` (any JSON value) is sent as JSON; the answer is parsed (None for 204)."""
        headers = None
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            headers = {"content-type": "application/json"}
        status, _, raw = self.request(method, path, data, headers, query)
        if status == 204 or not raw:
            return None
        return json.loads(raw.decode("utf-8"))

    def open(self, method, path, query=None, timeout=None):
        """A response to read as it arrives (logs as they come, big downloads), on a connection of its own; close it."""
        conn = self._new_conn(self.timeout if timeout is None else timeout)
        try:
            conn.request(method, self.path(path, query), headers=self._headers)
            res = conn.getresponse()
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            raise self._unreachable(err) from None
        if res.status < 200 or res.status >= 300:
            data = res.read()
            conn.close()
            raise error_from_response(res.status, data)
        res._cairn_conn = conn  # closed with the response by the caller
        return res
