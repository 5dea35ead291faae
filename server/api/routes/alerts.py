from typing import Any

from fastapi import APIRouter

from shared.api import Alert
from server.deps import CaregiverDep, DbDep
from server.storage import sessions

router = APIRouter(tags=["alerts"])


@router.get("/v1/alerts", response_model=list[Alert])
def list_alerts(caregiver: CaregiverDep, db: DbDep) -> list[dict[str, Any]]:
    """What the caregivers should know: crisis words, blocked sentences, a relative who asked to stop."""
    return sessions.list_alerts(db, caregiver.household_id)
