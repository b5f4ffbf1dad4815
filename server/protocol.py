"""uvicorn's HTTP protocol with a read timeout and a limit on the size of the headers.

uvicorn waits for a request's headers and body as long as a client cares to trickle them,
and (with httptools) takes headers of any size: two hundred slow connections would be
held open forever. `GuardedHttp` drops a connection whose request (line, headers and
body) has not fully arrived `read_timeout` seconds after it began (408), and answers 431
to headers over `max_header_bytes`; both come from the server's settings
(CHAINRULE_READ_TIMEOUT, CHAINRULE_MAX_HEADER_BYTES). Idle keep-alive connections are
uvicorn's own `--timeout-keep-alive`. `chainrule serve` uses it; with uvicorn directly:

    uvicorn server.app:app --http server.protocol:GuardedHttp
"""
from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.settings import get_settings

REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class HeadersTooLarge(Exception):
    """Raised inside the parser to stop it; the 431 has been sent."""


class GuardedHttp(HttpToolsProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.read_timeout = settings.read_timeout
        self.max_header_bytes = settings.max_header_bytes
        self._read_timer = None
        self._header_bytes = 0
        self._refused = False

    # -- the read timeout ----------------------------------------------------------------

    def _start_reading(self) -> None:
        self._stop_reading()
        self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _stop_reading(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self._refuse(408, "timeout", f"the request did not arrive within "
                         f"{self.read_timeout:g} s")
        else:
            self.transport.close()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._start_reading()  # a connection that never sends a request is dropped too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._start_reading()

    def on_message_complete(self) -> None:
        self._stop_reading()
        super().on_message_complete()

    def connection_lost(self, exc) -> None:
        self._stop_reading()
        super().connection_lost(exc)

    # -- the header size limit -----------------------------------------------------------

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes and not self._refused:
            self._refuse(431, "too_large", f"the request line and headers are larger than "
                         f"{self.max_header_bytes:,} bytes")
            raise HeadersTooLarge()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        if not self._refused:  # after a 431 the parser's error is ours: nothing more to say
            super().send_400_response(msg)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def _refuse(self, status: int, type_: str, msg: str) -> None:
        """Answer status with a FastAPI-shaped body and close the connection."""
        self._refused = True
        self._stop_reading()
        body = json.dumps({"detail": [{"type": type_, "msg": msg, "loc": ["header"]}]}).encode()
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (status, REASONS[status], len(body), body))
        self.transport.close()
