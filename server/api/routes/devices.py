from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from shared.api import DeviceCreate, DeviceCreated, DeviceOut, DeviceSelf, DeviceSettings, FactsMoved, PairingCodeOut
from server.deps import CaregiverDep, DbDep, DeviceDep, EditorDep, StateDep, client_address
from server.errors import ApiError, not_found
from server.pipeline import speak_ahead
from server.storage import accounts, audit, guard, households, memories

router = APIRouter(tags=["devices"])


@router.post("/v1/pairing-codes", status_code=201, response_model=PairingCodeOut)
def create_pairing_code(editor: EditorDep, state: StateDep) -> PairingCodeOut:
    code, expires_at = accounts.create_pairing_code(state.db, editor.household_id, state.settings.pairing_code_ttl_s)
    audit.record(state.db, editor, "create_pairing_code")
    return PairingCodeOut(code=code, expires_at=expires_at)


@router.post("/v1/devices", status_code=201, response_model=DeviceCreated)
def pair_device(body: DeviceCreate, request: Request, db: DbDep) -> DeviceCreated:
    address = client_address(request)
    if guard.locked(db, "pair_ip", address) or guard.locked(db, "pair_all", "*"):
        raise ApiError(429, "too_many_attempts", "Too many wrong pairing codes. Wait 15 minutes and try again.")
    paired = accounts.redeem_pairing_code(db, body.pairing_code, body.name)
    if paired is None:
        guard.fail(db, "pair_ip", address)
        guard.fail(db, "pair_all", "*")
        raise ApiError(400, "bad_pairing_code", "This pairing code is not valid. Ask for a new one; codes work once and expire.")
    device_id, token, household_id = paired
    return DeviceCreated(device_id=device_id, device_token=token, household_id=household_id)


@router.get("/v1/devices", response_model=list[DeviceOut])
def list_devices(caregiver: CaregiverDep, db: DbDep) -> list[DeviceOut]:
    return accounts.list_devices(db, caregiver.household_id)


@router.get("/v1/devices/me", response_model=DeviceSelf)
def this_device(device: DeviceDep, db: DbDep) -> DeviceSelf:
    """The tablet's own settings and whom to show when the relative needs help."""
    mine = accounts.get_device(db, device.household_id, device.subject_id)
    assert mine is not None  # the tablet asking was found by its token a moment ago
    contact = households.settings(db, device.household_id)
    return DeviceSelf(
        id=mine.id,
        name=mine.name,
        household_id=device.household_id,
        settings=mine.settings,
        crisis_contact_name=contact.crisis_contact_name,
        crisis_contact_phone=contact.crisis_contact_phone,
        emergency_number=contact.emergency_number,
        declined=mine.declined,
    )


@router.delete("/v1/devices/me", status_code=204)
def unpair_this_device(device: DeviceDep, db: DbDep) -> Response:
    accounts.revoke_device(db, device.household_id, device.subject_id)
    audit.record(db, device, "unpair_device", device.subject_id)
    return Response(status_code=204)


@router.patch("/v1/devices/{device_id}", response_model=DeviceOut)
def set_device_limits(device_id: str, body: DeviceSettings, editor: EditorDep, db: DbDep) -> DeviceOut:
    """Daily minutes and quiet hours for one tablet. Only the fields sent change (null clears one)."""
    device = accounts.get_device(db, editor.household_id, device_id)
    if device is None:
        raise not_found("Device")
    try:
        merged = DeviceSettings.model_validate(device.settings.model_dump() | body.model_dump(exclude_unset=True))
    except ValidationError as err:
        raise ApiError(422, "invalid_request", str(err.errors()[0]["msg"])) from None
    updated = accounts.update_device(db, editor.household_id, device_id, merged)
    if updated is None:
        raise not_found("Device")
    audit.record(db, editor, "update_device_limits", device_id)
    return updated


@router.delete("/v1/devices/{device_id}", status_code=204)
def unpair_device(device_id: str, editor: EditorDep, db: DbDep) -> Response:
    if not accounts.revoke_device(db, editor.household_id, device_id):
        raise not_found("Device")
    audit.record(db, editor, "unpair_device", device_id)
    return Response(status_code=204)


@router.post("/v1/devices/{device_id}/facts/move-to/{new_device_id}", response_model=FactsMoved)
def move_facts(device_id: str, new_device_id: str, editor: EditorDep, state: StateDep) -> FactsMoved:
    """The same relative has a new tablet: what they told at the old one (paired or unpaired since)
    belongs to the new one, so its greetings ask after it. Pairing again makes a new tablet id, and
    only a caregiver can know that both are the same relative's, so a caregiver says so here."""
    db = state.db
    if not accounts.device_ever_paired(db, editor.household_id, device_id):
        raise not_found("Device")
    if accounts.get_device(db, editor.household_id, new_device_id) is None:
        raise not_found("Device")  # unknown, another household's, or unpaired: nobody would hear them
    if new_device_id == device_id:
        raise ApiError(422, "invalid_request", "Choose the new tablet, not the same one.")
    moved, personas = memories.move_device_facts(db, editor.household_id, device_id, new_device_id)
    audit.record(db, editor, "move_facts", device_id, f"to={new_device_id},facts={moved}")
    for persona_id in personas:
        speak_ahead.request(state, persona_id)  # the new tablet's greetings may ask after them now
    return FactsMoved(from_device_id=device_id, to_device_id=new_device_id, moved=moved)
