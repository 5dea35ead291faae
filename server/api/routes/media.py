from fastapi import APIRouter
from fastapi.responses import FileResponse

from server.deps import OptionalPrincipalDep, StateDep
from server.errors import not_found

router = APIRouter(tags=["media"])

# An imported file (a letter, a chat export) opened from its URL in a browser is shown as the
# bytes it is, never run as a page on the server's origin.
NEVER_A_PAGE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


@router.get("/v1/media/{media_id}", responses={200: {"content": {"audio/wav": {}, "image/png": {}}}})
def get_media(
    media_id: str, state: StateDep, principal: OptionalPrincipalDep, exp: int | None = None, sig: str | None = None
) -> FileResponse:
    """A file, for its own household's token, or for a valid signed URL sent with no token
    (audio players send none); 404 for anyone else, even another household holding a signed URL."""
    media = state.media.get(media_id)
    if media is None:
        raise not_found("Media")
    if principal is not None:
        allowed = principal.household_id == media.household_id
    else:
        allowed = state.media.signature_ok(media_id, exp, sig)
    if not allowed or not media.path.exists():
        raise not_found("Media")
    return FileResponse(media.path, media_type=media.mime, headers={"Cache-Control": "private, max-age=3600", **NEVER_A_PAGE})
