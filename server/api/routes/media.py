from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from server.deps import OptionalPrincipalDep, StateDep
from server.errors import not_found
from server.state import AppState
from server.storage.media import MediaFile

router = APIRouter(tags=["media"])

# An imported file (a letter, a chat export) opened from its URL in a browser is shown as the
# bytes it is, never run as a page on the server's origin.
NEVER_A_PAGE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


def file_response(state: AppState, media: MediaFile, request: Request, headers: dict[str, str], what: str = "Media") -> Response:
    """The file's bytes, whatever the store: the file itself from the folder, else streamed from S3.

    The server streams S3's bytes rather than redirecting to a presigned URL: the store is often
    on a private network the tablets cannot reach (and SeaweedFS on loopback in tests), the
    household check and the headers above stay in one place, and tablets keep talking to one host.
    A byte range (an audio player seeking) is passed on to the store."""
    local = state.media.local_path(media)
    if local is not None:
        return FileResponse(local, media_type=media.mime, headers=headers)
    byte_range = request.headers.get("range")
    opened = state.media.open(media, byte_range if byte_range and byte_range.startswith("bytes=") else None)
    if opened is None:
        raise not_found(what)
    sent = {**headers, "Accept-Ranges": "bytes", "Content-Length": str(opened.size)}
    if opened.content_range:
        sent["Content-Range"] = opened.content_range
    return StreamingResponse(opened.chunks, status_code=206 if opened.content_range else 200, media_type=media.mime, headers=sent)


@router.get("/v1/media/{media_id}", responses={200: {"content": {"audio/wav": {}, "image/png": {}}}, 206: {"description": "a byte range"}})
def get_media(
    media_id: str, request: Request, state: StateDep, principal: OptionalPrincipalDep, exp: int | None = None, sig: str | None = None
) -> Response:
    """A file, for its own household's token, or for a valid signed URL sent with no token
    (audio players send none); 404 for anyone else, even another household holding a signed URL."""
    media = state.media.get(media_id)
    if media is None:
        raise not_found("Media")
    if principal is not None:
        allowed = principal.household_id == media.household_id
    else:
        allowed = state.media.signature_ok(media_id, exp, sig)
    if not allowed:
        raise not_found("Media")
    return file_response(state, media, request, {"Cache-Control": "private, max-age=3600", **NEVER_A_PAGE})
