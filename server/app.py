"""The FastAPI application: storage, services and routes put together."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from shared import PROTOCOL_VERSION
from server.alerts import AlertDelivery
from server.api.body_limits import BodyLimit
from server.api.routes import (
    alerts,
    devices,
    dictation,
    health,
    households,
    live,
    media,
    memories,
    memory_admin,
    personas,
    sessions,
    sources,
    turns,
    voice,
)
from server.config import Settings
from server.conversation import acts, safety
from server.errors import documented_errors, install_error_handlers
from server.importers import run as import_run
from server.importers import sandbox
from server.job_runner import JobRunner
from server.live import models as live_models
from server.memory import meaning, meaning_rank
from server.pipeline.gate import SharedPlaces, TurnGate, capacity_for, shared_across_processes
from server.pipeline.speak_ahead import SpeakAhead
from server.recovery import recovery_loop
from server.services.http import make_http_client
from server.services.registry import build_services
from server.state import AppState
from server.storage.blobs import open_store
from server.storage.connect import open_database
from server.storage.media import MediaStore, load_secret
from server.storage.shared_places import new_process_id
from server.webhook_address import PublicOnlyResolver

log = logging.getLogger("keepsake")


def create_app(settings: Settings, *, http_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The server. ``http_transport`` lets tests put fake generation services behind the real HTTP client."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    blobs = open_store(settings.media_url, settings.media_dir, settings.s3)
    # A store that cannot be reached stops the start here (StoreUnavailable, naming it): a server
    # that would answer every file with 503 is better not started.
    blobs.check()
    db = open_database(settings.database_url.get_secret_value() if settings.database_url else None, settings.db_path)
    media_store = MediaStore(db, blobs, load_secret(settings.data_dir))
    http = make_http_client(transport=http_transport)
    private_ok = settings.allow_private_webhooks
    webhook_http = make_http_client(transport=http_transport, resolver=lambda: PublicOnlyResolver(private_ok=private_ok))
    # What names this server in the rows other processes see it hold (places, claims, deliveries).
    process_id = new_process_id()
    places = SharedPlaces(db, process_id) if shared_across_processes(settings) else None
    delivery = AlertDelivery(db, webhook_http, process_id, private_ok=private_ok, lease_s=settings.alert_lease_s)
    state = AppState(
        settings=settings,
        db=db,
        media=media_store,
        http=http,
        services=build_services(settings, http),
        gate=TurnGate(capacity_for(settings), settings.turn_wait_s, places),
        webhook_http=webhook_http,
        alert_delivery=delivery,
    )
    # The worker is kept here as itself (start, stop); the rest of the server sees only its requests.
    ahead = SpeakAhead(db, state.gate, state.speaker, process_id=process_id) if settings.speak_ahead else None
    state.speak_ahead = ahead
    runner = JobRunner(
        db,
        media_store,
        {"import": lambda claimed: import_run.from_job(state, claimed)},
        lease_s=settings.job_lease_s,
        poll_s=settings.job_poll_s,
        max_attempts=settings.job_attempts,
    )
    state.job_runner = runner

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.preload_engines:
            # Load the embedded models now, off the event loop, so the first turn is not the slow one.
            await state.services.warm()
            # The safety check's model and examples too: every spoken sentence passes through it.
            await asyncio.to_thread(safety.warm)
            # And what kind of thing the relative said, read against its examples.
            await asyncio.to_thread(acts.warm)
            # And retrieval by meaning: the relative's first question is not the slow one either.
            await asyncio.to_thread(meaning_rank.warm)
            # And the live socket's turn-taking models: its first pause is judged as fast as the rest.
            await asyncio.to_thread(live_models.available)
        if places is not None:
            places.start()
        delivery.start()  # alerts stored while no process could send them go now
        recovery = asyncio.create_task(recovery_loop(state))
        # Memories kept before they carried their meaning get it now, in the background, not in a turn.
        stop_embedding = threading.Event()
        embedding_old = asyncio.create_task(asyncio.to_thread(meaning.embed_stale, db, stop_embedding))
        if ahead is not None:
            ahead.start()
            ahead.request_all()  # only what is missing from the cache gets made
        runner.start()  # imports queued by any process, or left by one that died
        yield
        runner.stop_claiming()  # before the reading is stopped: a job cut off goes back to the queue
        recovery.cancel()
        stop_embedding.set()
        await embedding_old  # ends after the batch in hand: the database closes below
        sandbox.stop_reading()
        await runner.stop()  # the job in hand ends (released, or done) before the database closes
        if ahead is not None:
            await ahead.stop()  # lets a sentence being stored finish: no half-made files
        await delivery.stop()
        if places is not None:
            await places.stop()  # this process's places are free at once for the others
        await http.aclose()
        await webhook_http.aclose()
        db.close()

    app = FastAPI(
        title="Keepsake",
        version=f"{PROTOCOL_VERSION}",
        description="Talk with a loved one's avatar: households, personas, memories, sessions and the streamed turn.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit)
    app.state.keepsake = state
    install_error_handlers(app)
    for module in (
        health,
        households,
        devices,
        personas,
        memories,
        memory_admin,
        sources,
        voice,
        dictation,
        sessions,
        turns,
        live,
        media,
        alerts,
    ):
        app.include_router(module.router, responses=documented_errors())
    return app
