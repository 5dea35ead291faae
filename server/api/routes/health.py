from typing import Any

from fastapi import APIRouter

from shared import PROTOCOL_VERSION
from server.deps import StateDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(state: StateDep) -> dict[str, Any]:
    services = state.services
    return {
        "status": "ok",
        "protocol": PROTOCOL_VERSION,
        "providers": {stage: getattr(services, stage).name for stage in ("asr", "llm", "tts", "face")},
    }
