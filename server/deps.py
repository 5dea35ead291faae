"""FastAPI dependencies: the app state, who is calling, and what they may touch."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.api import Persona
from server.errors import ApiError, not_found
from server.state import AppState
from server.storage import accounts, personas
from server.storage.accounts import Principal
from server.storage.db import Database

_bearer = HTTPBearer(auto_error=False, description="A caregiver token or a paired tablet's device token.")


def get_state(request: Request) -> AppState:
    return request.app.state.keepsake


def get_db(state: Annotated[AppState, Depends(get_state)]) -> Database:
    return state.db


StateDep = Annotated[AppState, Depends(get_state)]
DbDep = Annotated[Database, Depends(get_db)]


def optional_principal(
    db: DbDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    if credentials is None or not credentials.credentials:
        return None
    return accounts.principal_for(db, credentials.credentials)


def get_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise ApiError(401, "unauthorized", "A valid bearer token is required.")
    return principal


def get_caregiver(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_caregiver:
        raise ApiError(403, "forbidden", "Only a caregiver can do this.")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
CaregiverDep = Annotated[Principal, Depends(get_caregiver)]


def owned_persona(db: Database, principal: Principal, persona_id: str) -> Persona:
    """The persona, if the caller's household owns it; 404 otherwise (never reveal that it exists)."""
    persona = personas.get(db, principal.household_id, persona_id)
    if persona is None:
        raise not_found("Persona")
    return persona
