from fastapi import APIRouter

from shared.api import HouseholdCreate, HouseholdCreated, LoginRequest, TokenOut
from server.deps import DbDep, PrincipalDep
from server.errors import ApiError
from server.storage import accounts
from server.storage.accounts import EmailTaken

router = APIRouter(tags=["households"])


@router.post("/v1/households", status_code=201, response_model=HouseholdCreated)
def create_household(body: HouseholdCreate, db: DbDep) -> HouseholdCreated:
    try:
        household_id, _, token = accounts.create_household(db, body.name, body.caregiver_email, body.password)
    except EmailTaken:
        raise ApiError(409, "email_taken", "A caregiver with this e-mail already exists. Log in instead.") from None
    return HouseholdCreated(household_id=household_id, token=token)


@router.post("/v1/auth/login", response_model=TokenOut)
def login(body: LoginRequest, db: DbDep) -> TokenOut:
    token = accounts.login(db, body.email, body.password)
    if token is None:
        raise ApiError(401, "bad_credentials", "The e-mail or password is not right.")
    return TokenOut(token=token)
