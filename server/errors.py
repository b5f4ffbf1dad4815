"""How every failure becomes an answer: 422 for bad input, 413 for oversize bodies, never 500.

All error bodies share FastAPI's shape, {"detail": [{"type", "msg", "loc", ...}]}, so a
client needs one code path: engine errors add "line" and "col" when the problem is in the
program text, plus machine-readable extras (a conv "formula", "suggestions").
"""
from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

import engine
from server import serialize

log = logging.getLogger("chainrule.server")

BODY_ERROR_STATUS = {400: 422, 413: 413}  # FastAPI's body errors we reshape (old -> new status)


def error_body(type_: str, msg: str, loc: list | None = None, **extra) -> dict:
    """One FastAPI-shaped error body with a single item."""
    return {"detail": [{"type": type_, "msg": msg, "loc": loc or ["body"], **extra}]}


def json_bytes(body: dict) -> bytes:
    return json.dumps(body, allow_nan=False).encode()


def engine_error_item(err: engine.EngineError) -> dict:
    """An EngineError as one detail item; loc points at the program text when it is to blame."""
    item = serialize.to_json(err.to_dict())
    item.setdefault("type", err.kind)
    item.setdefault("msg", str(err))
    item["loc"] = ["body", "expression"] if err.line is not None else ["body"]
    return item


async def on_engine_error(request: Request, err: engine.EngineError) -> JSONResponse:
    return JSONResponse({"detail": [engine_error_item(err)]}, status_code=422)


def _clean_validation_item(item: dict) -> dict:
    """A pydantic error without the echoed input (it may be huge or hold 1e400 = inf)."""
    out = {k: v for k, v in item.items() if k not in ("input", "url", "ctx")}
    if "ctx" in item:
        out["ctx"] = {k: v if isinstance(v, (int, float, str)) else str(v)
                      for k, v in item["ctx"].items()}
    return serialize.to_json(out)


async def on_validation_error(request: Request, err: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": [_clean_validation_item(e) for e in err.errors()]},
                        status_code=422)


HTTP_ERROR_TYPES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


async def on_http_error(request: Request, err: HTTPException):
    """Body parse errors (400) become 422 and oversize bodies 413; every other HTTP error
    keeps its status and headers. All in the list shape."""
    if err.status_code not in BODY_ERROR_STATUS:
        msg = err.detail if isinstance(err.detail, str) else str(err.detail)
        body = error_body(HTTP_ERROR_TYPES.get(err.status_code, "http_error"), msg,
                          loc=["path"] if err.status_code == 404 else [])
        return JSONResponse(body, status_code=err.status_code, headers=err.headers)
    status = BODY_ERROR_STATUS[err.status_code]
    if status == 413:
        body = error_body("too_large", str(err.detail))
    else:
        body = error_body("json_invalid", "the request body is not JSON this server can read "
                          "(is it nested too deeply?)")
    return JSONResponse(body, status_code=status)


class Guard:
    """Outermost ASGI middleware: refuses oversize bodies (413) and answers any exception
    that escapes the app with a 422 instead of a 500.

    The size is checked twice: the declared Content-Length before anything is read, and
    the bytes actually streamed (a client may send no length, or lie about it).
    """

    def __init__(self, app, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            return await self._send_json(send, 413, self._too_large(declared))
        started = False
        received = 0

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(413, self._too_large(received)["detail"][0]["msg"])
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            log.exception("unexpected error while answering %s", scope.get("path"))
            if started:
                raise
            await self._send_json(send, 422, error_body(
                "unexpected", "chainrule could not handle this request", loc=[]))

    def _too_large(self, size: int) -> dict:
        return error_body("too_large", f"the request body is too large: more than "
                          f"{self.max_body_bytes} bytes (got {size})")

    @staticmethod
    async def _send_json(send, status: int, body: dict) -> None:
        payload = json_bytes(body)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})


def _content_length(scope) -> int | None:
    """The declared body length; an unreadable header counts as too large."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 1 << 62
    return None


def install(app: FastAPI, max_body_bytes: int) -> None:
    """Register the error handlers and the guard middleware on app."""
    app.add_exception_handler(engine.EngineError, on_engine_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_middleware(Guard, max_body_bytes=max_body_bytes)
