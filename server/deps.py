"""FastAPI dependencies: the app state, who is calling, and what they may touch."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.api import Persona
from server.errors import ApiError, not_found
from server.state import AppState
from server.storage import accounts, personas, sessions
from server.storage.accounts import Principal
from server.storage.db import Database

_bearer = HTTPBearer(auto_error=False, description="A caregiver token or a paired tablet's device token.")


# The dependencies are ``async def`` although none of them awaits: FastAPI runs a plain
# ``def`` dependency on a worker thread, and that hop costs far more than the indexed
# SQLite read behind a token (WAL: readers never wait for a writer).
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.keepsake
    return state


async def get_db(state: Annotated[AppState, Depends(get_state)]) -> Database:
    return state.db


StateDep = Annotated[AppState, Depends(get_state)]
DbDep = Annotated[Database, Depends(get_db)]


async def optional_principal(db: DbDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal | None:
    if credentials is None or not credentials.credentials:
        return None
    return accounts.principal_for(db, credentials.credentials)


async def get_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise ApiError(401, "unauthorized", "A valid bearer token is required.")
    return principal


async def get_caregiver(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_caregiver:
        raise ApiError(403, "forbidden", "Only a caregiver can do this.")
    return principal


async def get_editor(caregiver: Annotated[Principal, Depends(get_caregiver)]) -> Principal:
    if not caregiver.can_edit:
        raise ApiError(403, "forbidden", "A viewer can read but not change anything.")
    return caregiver


async def get_owner(caregiver: Annotated[Principal, Depends(get_caregiver)]) -> Principal:
    if caregiver.role != "owner":
        raise ApiError(403, "forbidden", "Only the household's owner can do this.")
    return caregiver


async def get_device(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.kind != "device":
        raise ApiError(403, "forbidden", "Only a paired tablet can do this.")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
# Any caregiver of the household, viewers included: may read.
CaregiverDep = Annotated[Principal, Depends(get_caregiver)]
# Owners and caregivers: may change things.
EditorDep = Annotated[Principal, Depends(get_editor)]
OwnerDep = Annotated[Principal, Depends(get_owner)]
DeviceDep = Annotated[Principal, Depends(get_device)]


def client_address(request: Request) -> str:
    """The caller's address, for counting failed guesses (proxies' headers are not trusted)."""
    return request.client.host if request.client else "unknown"


def owned_persona(db: Database, principal: Principal, persona_id: str) -> Persona:
    """The persona, if the caller's household owns it; 404 otherwise (never reveal that it exists)."""
    persona = personas.get(db, principal.household_id, persona_id)
    if persona is None:
        raise not_found("Persona")
    return persona


def owned_session(db: Database, principal: Principal, session_id: str) -> sessions.SessionRow:
    """The session, if the caller may see it; 404 otherwise (never reveal that it exists).

    Caregivers see every conversation of their household. A tablet sees only the ones
    it opened: grandpa's tablet does not read what grandma said on hers.
    """
    row = sessions.get(db, principal.household_id, session_id)
    if row is None or (principal.kind == "device" and row.device_id != principal.subject_id):
        raise not_found("Session")
    return row
