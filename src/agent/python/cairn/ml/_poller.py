"""LROPoller: what azure-ai-ml's begin_* calls return (azure.core.polling.LROPoller's methods).

The change itself was requested when begin_* returned (the server answered at once, so a refusal
was raised there); the poller only follows it. It asks the server when asked (done, status,
result, wait) rather than from a thread of its own, so an unused poller costs nothing.
"""

import time

from cairn.client import CairnError

POLL_SECONDS = 0.25


class LROPoller(object):
    def __init__(self, check, initial_status="InProgress", interval=POLL_SECONDS):
        """check(): (done, status, result) from one look at the server; it may raise CairnError,
        which result() raises again (Azure raises HttpResponseError there)."""
        self._check = check
        self._status = initial_status
        self._done = False
        self._result = None
        self._error = None
        self._interval = interval
        self._callbacks = []

    def _poll(self):
        if self._done:
            return
        try:
            done, status, result = self._check()
        except CairnError as e:
            done, status, result, self._error = True, "Failed", None, e
        self._status = status
        self._result = result
        if done:
            self._done = True
            for fn in self._callbacks:
                fn(self)
            self._callbacks = []

    def status(self):
        """The operation's state: InProgress, Succeeded, Failed (Azure's words)."""
        self._poll()
        return self._status

    def done(self):
        self._poll()
        return self._done

    def wait(self, timeout=None):
        """Waits until the operation ends, or `timeout` seconds; never raises for a failed one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._poll()
            if self._done or (deadline is not None and time.monotonic() >= deadline):
                return
            time.sleep(self._interval if deadline is None else max(0.0, min(self._interval, deadline - time.monotonic())))

    def result(self, timeout=None):
        """The outcome (a Compute for creates, None for start, stop, delete, cancel). Past `timeout`
        it answers what the server shows now, as Azure's does; a failed operation raises its error."""
        self.wait(timeout)
        if self._error is not None:
            raise self._error
        return self._result

    def add_done_callback(self, func):
        """func(poller) once the operation ends (at once when it has)."""
        if self._done:
            func(self)
        else:
            self._callbacks.append(func)

    def remove_done_callback(self, func):
        self._callbacks = [f for f in self._callbacks if f is not func]

    def polling_method(self):
        return self

    def continuation_token(self):
        from ._util import unsupported

        raise unsupported("LROPoller.continuation_token", "Cairn's operations need no token to resume: call get() again")

    def __repr__(self):
        return "LROPoller(status=%r)" % self._status
