"""HTTP as a client expects it: methods, OPTIONS and security headers on every answer.

`Conformance` is an ASGI middleware in front of the routes and the static files:
- a known path asked with a method it does not take answers 405 with an `Allow` header
  listing the ones it does (the static mount at "/" would otherwise answer GET on a POST
  route with 404);
- OPTIONS on any path answers 204 with its `Allow` header (CORS preflights, when CORS is
  on, are answered by the CORS middleware in front of this one);
- every answer carries a Content-Security-Policy that allows only this server's own origin
  (scripts, styles, connections; no inline script; inline styles, which Plotly.js writes;
  images also from data: and blob: URLs, which the conv view's upload makes),
  `frame-ancestors` from the settings ('self' by default; a course site can be allowed to
  embed the page), `X-Content-Type-Options: nosniff` and a same-origin referrer policy.
"""
from __future__ import annotations

from starlette.routing import Match, Mount

from server.errors import error_body, json_bytes

STATIC_METHODS = ("GET", "HEAD")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
MAX_KNOWN_PATHS = 1024


def content_security_policy(frame_ancestors: str) -> str:
    # Styles may be inline: Plotly.js writes its own <style> rules at run time. Scripts
    # may not: every script is a file from this server.
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; "
            f"frame-ancestors {frame_ancestors}")


class Conformance:
    def __init__(self, app, routes: list, frame_ancestors: str):
        self.app = app
        self.routes = routes  # the app's live list: routes added later count too
        self._allowed: dict[str, tuple[str, ...] | None] = {}
        csp = content_security_policy(frame_ancestors).encode()
        self.headers = [(b"content-security-policy", csp),
                        (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"same-origin")]

    def allowed(self, scope) -> tuple[str, ...] | None:
        """The methods a path takes (None: no API route has this path). Known per path."""
        path = scope.get("path", "")
        if path not in self._allowed:
            methods = {m for m in METHODS for route in self.routes
                       if not isinstance(route, Mount)
                       and route.matches({**scope, "method": m})[0] == Match.FULL}
            if len(self._allowed) >= MAX_KNOWN_PATHS:
                self._allowed.clear()
            self._allowed[path] = tuple(sorted(methods | {"OPTIONS"})) if methods else None
        return self._allowed[path]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method = scope["method"]
        allowed = self.allowed(scope)
        static = allowed is None
        if static:
            allowed = (*STATIC_METHODS, "OPTIONS")
        if method == "OPTIONS":
            return await self._send(send, 204, b"", allowed)
        if method not in allowed and (not static or method not in STATIC_METHODS):
            body = error_body("method_not_allowed", f"{method} is not allowed here; "
                              f"use {', '.join(allowed)}", loc=["method"])
            return await self._send(send, 405, json_bytes(body), allowed)

        async def secured_send(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        await self.app(scope, receive, secured_send)

    async def _send(self, send, status: int, body: bytes, allowed) -> None:
        headers = [(b"allow", ", ".join(allowed).encode()),
                   (b"content-length", str(len(body)).encode()), *self.headers]
        if body:
            headers.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

