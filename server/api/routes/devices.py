from fastapi import APIRouter, Response

from shared.api import DeviceCreate, DeviceCreated, PairingCodeOut
from server.deps import CaregiverDep, DbDep, StateDep
from server.errors import ApiError, not_found
from server.storage import accounts

router = APIRouter(tags=["devices"])


@router.post("/v1/pairing-codes", status_code=201, response_model=PairingCodeOut)
def create_pairing_code(caregiver: CaregiverDep, state: StateDep) -> PairingCodeOut:
    code, expires_at = accounts.create_pairing_code(state.db, caregiver.household_id, state.settings.pairing_code_ttl_s)
    return PairingCodeOut(code=code, expires_at=expires_at)


@router.post("/v1/devices", status_code=201, response_model=DeviceCreated)
def pair_device(body: DeviceCreate, db: DbDep) -> DeviceCreated:
    paired = accounts.redeem_pairing_code(db, body.pairing_code, body.name)
    if paired is None:
        raise ApiError(400, "bad_pairing_code", "This pairing code is not valid. Ask for a new one; codes work once and expire.")
    device_id, token, household_id = paired
    return DeviceCreated(device_id=device_id, device_token=token, household_id=household_id)


@router.get("/v1/devices")
def list_devices(caregiver: CaregiverDep, db: DbDep) -> list[dict]:
    return accounts.list_devices(db, caregiver.household_id)


@router.delete("/v1/devices/{device_id}", status_code=204)
def unpair_device(device_id: str, caregiver: CaregiverDep, db: DbDep) -> Response:
    if not accounts.revoke_device(db, caregiver.household_id, device_id):
        raise not_found("Device")
    return Response(status_code=204)
