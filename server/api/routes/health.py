import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shared import PROTOCOL_VERSION
from server.deps import StateDep
from server.state import AppState

router = APIRouter(tags=["health"])


def _reachable(state: AppState) -> dict[str, str]:
    """Whether this process can use its database and its media store right now: "ok", or why not."""
    found: dict[str, str] = {}
    try:
        state.db.one("SELECT 1")
        found["database"] = "ok"
    except Exception as err:  # whatever the database says, the answer is "not ready", never a trace
        found["database"] = f"unreachable: {type(err).__name__}"
    try:
        state.media.blobs.check()
        found["media_store"] = "ok"
    except Exception as err:
        found["media_store"] = f"unreachable: {type(err).__name__}"
    return found


@router.get("/healthz", responses={503: {"description": "the database or the media store cannot be reached"}})
async def healthz(state: StateDep) -> JSONResponse:
    """Ready to serve: 200 when this process reaches its database and its media store, else 503
    (a reverse proxy sends requests to the other processes meanwhile)."""
    services = state.services
    reach = await asyncio.to_thread(_reachable, state)
    ready = all(v == "ok" for v in reach.values())
    body: dict[str, Any] = {
        "status": "ok" if ready else "unavailable",
        "protocol": PROTOCOL_VERSION,
        "providers": {stage: getattr(services, stage).name for stage in ("asr", "llm", "tts", "face")},
        **reach,
    }
    return JSONResponse(body, status_code=200 if ready else 503, headers=None if ready else {"Retry-After": "10"})
