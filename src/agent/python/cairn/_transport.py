"""HTTP to the tracking server with urllib; every outcome becomes a Result, nothing raises."""

import http.client
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

_LOOPBACK = ("localhost", "127.0.0.1", "::1")
USER_AGENT = "cairn-python/0.1"


class Result(object):
    """ok: 2xx. retry: worth trying again later (connection error, 408, 429, 5xx). Otherwise refused."""

    def __init__(self, ok=False, retry=False, status=None, error_code=None, message=None, body=None, retry_after=None):
        self.ok = ok
        self.retry = retry
        self.status = status
        self.error_code = error_code
        self.message = message
        self.body = body
        self.retry_after = retry_after

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else {}
        except Exception:
            return None

    def describe(self):
        if self.status is None:
            return self.message or "no answer"
        head = "HTTP %d" % self.status
        if self.error_code:
            head += " " + self.error_code
        return head + (": " + self.message if self.message else "")


def _error_result(status, body, retry_after):
    code, message = None, None
    try:
        parsed = json.loads(body.decode("utf-8"))
        if isinstance(parsed, dict):
            code = parsed.get("error_code")
            message = parsed.get("message")
    except Exception:
        pass
    if message is None and body:
        message = body[:300].decode("utf-8", "replace").strip() or None
    retry = status in (408, 429) or status >= 500
    return Result(retry=retry, status=status, error_code=code, message=message, retry_after=retry_after)


def _retry_after(headers):
    try:
        value = float(headers.get("Retry-After"))
        return value if value >= 0 else None
    except Exception:
        return None


class Transport(object):
    def __init__(self, cfg):
        self.base = cfg.tracking_uri
        parts = urllib.parse.urlsplit(self.base)
        handlers = []
        if (parts.hostname or "").lower() in _LOOPBACK or (parts.hostname or "").startswith("127."):
            handlers.append(urllib.request.ProxyHandler({}))  # a proxy never serves the loopback server
        if parts.scheme.lower() == "https":
            ctx = ssl.create_default_context(cafile=cfg.ca_path) if cfg.ca_path else ssl.create_default_context()
            if cfg.insecure_tls:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            handlers.append(urllib.request.HTTPSHandler(context=ctx))
        self.opener = urllib.request.build_opener(*handlers)
        self.headers = {"User-Agent": USER_AGENT}
        if cfg.token:
            self.headers["Authorization"] = "Bearer " + cfg.token

    def request(self, method, path, body=None, headers=None, timeout=30.0):
        all_headers = dict(self.headers)
        if headers:
            all_headers.update(headers)
        req = urllib.request.Request(self.base + path, data=body, headers=all_headers, method=method)
        try:
            resp = self.opener.open(req, timeout=timeout)
            try:
                return Result(ok=True, status=resp.status, body=resp.read())
            finally:
                resp.close()
        except urllib.error.HTTPError as err:
            try:
                data = err.read()
            except Exception:
                data = b""
            finally:
                try:
                    err.close()
                except Exception:
                    pass
            return _error_result(err.code, data, _retry_after(err.headers or {}))
        except urllib.error.URLError as err:
            return Result(retry=True, message=str(err.reason))
        except (OSError, socket.timeout, http.client.HTTPException) as err:
            return Result(retry=True, message="%s: %s" % (type(err).__name__, err))
        except Exception as err:  # a bug or an odd environment: keep the data, try again later
            return Result(retry=True, message="%s: %s" % (type(err).__name__, err))
