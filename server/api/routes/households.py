import asyncio

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import FileResponse

from shared.api import (
    AuditEntry,
    CaregiverOut,
    HouseholdCreate,
    HouseholdCreated,
    HouseholdOut,
    HouseholdSettings,
    InvitationAccept,
    InvitationCreate,
    InvitationOut,
    JoinedOut,
    LoginRequest,
    TokenOut,
)
from server.api.waits import too_many
from server.deps import CaregiverDep, DbDep, EditorDep, OwnerDep, StateDep, client_address
from server.errors import ApiError, not_found
from server.export import write_archive
from server.security import HashingBusy
from server.storage import accounts, audit, guard, households, login_guard, personas, signup_limit
from server.storage.accounts import EmailTaken
from server.storage.erasure import leave_nothing
from server.webhook_address import NotPublic, check_url

router = APIRouter(tags=["households"])


@router.post("/v1/households", status_code=201, response_model=HouseholdCreated)
def create_household(body: HouseholdCreate, request: Request, state: StateDep) -> HouseholdCreated:
    """A new household and its owner. Says when the e-mail already has an account (see the README)."""
    limits = state.settings.limits
    # Counted before the password is hashed: hashing is the expensive part a script would ask for.
    wait = signup_limit.admit(
        state.db, client_address(request), per_address=limits.signups_per_address_per_hour, overall=limits.signups_per_hour
    )
    if wait > 0:
        raise too_many("too_many_requests", "Too many new households were made from here just now.", wait)
    try:
        household_id, _, token = accounts.create_household(state.db, body.name, body.caregiver_email, body.password)
    except EmailTaken:
        raise ApiError(409, "email_taken", "A caregiver with this e-mail already exists. Log in instead.") from None
    # Signing up is the first log-in: this address is the owner's own from now on.
    login_guard.succeeded(state.db, limits, client_address(request), body.caregiver_email.strip().lower())
    return HouseholdCreated(household_id=household_id, token=token)


@router.post("/v1/auth/login", response_model=TokenOut)
def login(body: LoginRequest, request: Request, state: StateDep) -> TokenOut:
    db, limits = state.db, state.settings.limits
    address, email = client_address(request), body.email.strip().lower()
    # Decided before the password is hashed, and the same for e-mails with and without an account.
    wait, attempt = login_guard.admit(db, limits, address, email)
    if attempt is None:
        raise too_many("too_many_attempts", "Too many wrong passwords.", wait)
    try:
        token = accounts.login(db, body.email, body.password)
    except HashingBusy:
        login_guard.withdraw(db, attempt)
        raise
    if token is None:
        raise ApiError(401, "bad_credentials", "The e-mail or password is not right.")
    login_guard.succeeded(db, limits, address, email)
    return TokenOut(token=token)


@router.post("/v1/auth/logout", status_code=204)
def logout(request: Request, caregiver: CaregiverDep, db: DbDep) -> Response:
    """Revoke the token this request came with."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    accounts.revoke_token(db, token)
    return Response(status_code=204)


@router.post("/v1/auth/logout-all", status_code=204)
def logout_everywhere(caregiver: CaregiverDep, db: DbDep) -> Response:
    """Revoke every token of this caregiver, on every device."""
    accounts.revoke_caregiver_tokens(db, caregiver.subject_id)
    audit.record(db, caregiver, "logout_everywhere")
    return Response(status_code=204)


@router.get("/v1/household", response_model=HouseholdOut)
def get_household(caregiver: CaregiverDep, db: DbDep) -> HouseholdOut:
    return households.get(db, caregiver.household_id)


@router.patch("/v1/household/settings", response_model=HouseholdOut)
def update_household_settings(body: HouseholdSettings, editor: EditorDep, state: StateDep) -> HouseholdOut:
    """The crisis contact and emergency number the tablet shows, and the webhook alerts go to."""
    if body.webhook_url:
        try:
            check_url(body.webhook_url, private_ok=state.settings.allow_private_webhooks)
        except NotPublic as err:
            raise ApiError(422, "webhook_not_allowed", str(err)) from None
    updated = households.update_settings(state.db, editor.household_id, body.model_dump(exclude_unset=True))
    audit.record(state.db, editor, "update_household_settings", editor.household_id, ",".join(sorted(body.model_fields_set)))
    return updated


@router.get("/v1/household/export", response_class=FileResponse, responses={200: {"content": {"application/zip": {}}}})
async def export_household(editor: EditorDep, state: StateDep, background: BackgroundTasks) -> FileResponse:
    """One archive with every persona of the household: data as JSON, and all media."""
    persona_ids = [p.id for p in personas.list_all(state.db, editor.household_id)]
    path = await asyncio.to_thread(write_archive, state, editor.household_id, persona_ids)
    background.add_task(path.unlink, missing_ok=True)
    audit.record(state.db, editor, "export_household", editor.household_id)
    return FileResponse(path, media_type="application/zip", filename="keepsake-household.zip")


@router.get("/v1/caregivers", response_model=list[CaregiverOut])
def list_caregivers(caregiver: CaregiverDep, db: DbDep) -> list[CaregiverOut]:
    return households.caregivers(db, caregiver.household_id)


@router.delete("/v1/caregivers/{caregiver_id}", status_code=204)
def remove_caregiver(caregiver_id: str, owner: OwnerDep, db: DbDep) -> Response:
    if not households.remove_caregiver(db, owner.household_id, caregiver_id):
        raise not_found("Caregiver")
    audit.record(db, owner, "remove_caregiver", caregiver_id)
    leave_nothing(db)  # their e-mail and password hash
    return Response(status_code=204)


@router.post("/v1/invitations", status_code=201, response_model=InvitationOut)
def invite_caregiver(body: InvitationCreate, owner: OwnerDep, db: DbDep) -> InvitationOut:
    """The owner invites another caregiver (or a viewer, who can only read)."""
    code, expires_at = households.invite(db, owner.household_id, body.role, owner.subject_id)
    audit.record(db, owner, "invite", body.role)
    return InvitationOut(code=code, role=body.role, expires_at=expires_at)


@router.post("/v1/invitations/accept", status_code=201, response_model=JoinedOut)
def accept_invitation(body: InvitationAccept, request: Request, db: DbDep) -> JoinedOut:
    address = client_address(request)
    if guard.locked(db, "pair_ip", address):
        raise ApiError(429, "too_many_attempts", "Too many wrong codes. Wait 15 minutes and try again.")
    try:
        joined = households.accept(db, body.code, body.email, body.password)
    except EmailTaken:
        raise ApiError(409, "email_taken", "A caregiver with this e-mail already exists.") from None
    if joined is None:
        guard.fail(db, "pair_ip", address)
        raise ApiError(400, "bad_invitation", "This invitation is not valid; it may have expired or been used.")
    household_id, token, role = joined
    return JoinedOut(household_id=household_id, token=token, role=role)


@router.get("/v1/audit", response_model=list[AuditEntry])
def audit_log(caregiver: CaregiverDep, db: DbDep) -> list[AuditEntry]:
    return audit.entries(db, caregiver.household_id)
