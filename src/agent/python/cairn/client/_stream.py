"""Following a job's server-sent events (GET .../jobs/NAME/stream): every stored line once, in order,
each status, then the final job. A dropped connection is resumed after the last line seen."""

import json
import socket
import time

from ._errors import ServerUnreachable, Timeout

# The server sends a keep-alive comment every 15 s; a read this long without one means a dead link.
_READ_TIMEOUT = 45.0


def follow(http, path, after, write, on_line, on_status, timeout):
    deadline = None if timeout is None else time.monotonic() + timeout
    failures = 0
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise Timeout("Timeout", "the job did not end within %s s (it keeps running)" % timeout, 504)
        res = None
        try:
            res = http.open("GET", path, query={"after": after}, timeout=_READ_TIMEOUT if left is None else max(0.05, min(_READ_TIMEOUT, left)))
            failures = 0
            data = []
            while True:
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise Timeout("Timeout", "the job did not end within %s s (it keeps running)" % timeout, 504)
                    sock = res._cairn_conn.sock
                    if sock is not None:
                        sock.settimeout(max(0.05, min(_READ_TIMEOUT, left)))
                raw = res.readline()
                if not raw:
                    failures += 1  # the server closed the stream before `end`: resume shortly
                    break
                line = raw.decode("utf-8").rstrip("\r\n")
                if line:
                    if line.startswith("data: "):
                        data.append(line[6:])
                    continue
                if not data:
                    continue
                event = json.loads("\n".join(data))
                data = []
                kind = event.get("type")
                if kind == "log":
                    after = event["line"]["seq"]
                    if write is not None:
                        write(event["line"])
                    if on_line is not None:
                        on_line(event["line"])
                elif kind == "status":
                    if on_status is not None:
                        on_status(event)
                elif kind == "end":
                    return event["job"]
        except socket.timeout:
            if deadline is not None and time.monotonic() >= deadline:
                raise Timeout("Timeout", "the job did not end within %s s (it keeps running)" % timeout, 504)
            failures += 1
        except (ServerUnreachable, OSError):
            failures += 1
            if failures > 60:
                raise
        finally:
            if res is not None:
                res.close()
                res._cairn_conn.close()
        if failures > 60:
            raise ServerUnreachable("ServerUnreachable", "lost the job's stream at %s and could not resume it" % http.url)
        time.sleep(0.5 if failures else 0)
