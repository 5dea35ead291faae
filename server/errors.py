"""One error shape for every failure: {"error": {"code", "message"}}."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from server.security import HashingBusy
from server.storage.blobs import StoreUnavailable

log = logging.getLogger("keepsake")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, details: object | None = None, headers: dict[str, Any] | None = None):
        super().__init__(message)
        self.headers = headers
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def documented_errors() -> dict[int | str, dict[str, Any]]:
    """The error statuses any route may answer, for the OpenAPI document."""
    from shared.api import ErrorBody

    documented: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorBody, "description": code.replace("_", " ")} for status, code in _STATUS_CODES.items()
    }
    return documented | {
        500: {"model": ErrorBody, "description": "internal"},
        503: {"model": ErrorBody, "description": "busy, store_unavailable or database_unavailable (with Retry-After)"},
    }


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def error_body(code: str, message: str, details: object | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


def _readable(errors: Sequence[Any]) -> str:
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else exc.headers
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg")), "type": str(e.get("type"))} for e in exc.errors()]
        return JSONResponse(error_body("invalid_request", _readable(exc.errors()), details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(ClientDisconnect)
    async def _cut_short(_: Request, exc: ClientDisconnect) -> JSONResponse:
        # The caller went away mid-body (a tablet losing Wi-Fi while it sends a recording): nothing
        # was stored, and no one is left to read the answer. Not the server's fault, so no trace.
        log.info("a request's body was cut short by the client; nothing was changed")
        return JSONResponse(error_body("bad_request", "The request ended before all of it arrived. Please send it again."), status_code=400)

    @app.exception_handler(HashingBusy)
    async def _hashing_busy(_: Request, exc: HashingBusy) -> JSONResponse:
        # Every password being checked at once is taken, and this one waited long enough.
        body = error_body("busy", "Many people are signing in right now. Please try again in a moment.")
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(StoreUnavailable)
    async def _store_down(_: Request, exc: StoreUnavailable) -> JSONResponse:
        # The media store (S3) does not answer: the caller tries again shortly; what was already in
        # the database stays, and the log says which store.
        log.warning("media store unavailable: %s", exc)
        body = error_body("store_unavailable", "The server cannot reach its file storage right now. Please try again in a moment.")
        return JSONResponse(body, status_code=503, headers={"Retry-After": "10"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if _database_down(exc):
            # PostgreSQL cannot be reached or dropped the connection (a restart, a failover): the caller
            # tries again shortly, as with the store. Nothing half-written stays: the transaction is gone.
            log.warning("database unavailable: %s", str(exc).strip().splitlines()[-1:] or exc)
            body = error_body("database_unavailable", "The server cannot reach its database right now. Please try again in a moment.")
            return JSONResponse(body, status_code=503, headers={"Retry-After": "10"})
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(error_body("internal", "Something went wrong on the server."), status_code=500)


def _database_down(exc: BaseException) -> bool:
    """psycopg's OperationalError: the database cannot be reached, or the connection broke. (psycopg is
    imported only by a server on PostgreSQL: when it is not loaded, this is not that.)"""
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)
