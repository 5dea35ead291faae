"""``keepsake serve``: one server process, or N of them on one port (``--workers N``).

With N > 1 uvicorn starts N processes that share the listening socket; each calls
``app_from_environment`` and builds its own app (its own embedded engines, its own connections),
from the same settings: the parent writes what the command line chose into the environment they
inherit. What must happen once per deployment happens in the parent, before any worker starts:
migrations (opening the database) and seeding the demo household. They are also safe when
processes start together on their own (PostgreSQL migrates under an advisory lock, SQLite under a
lock file; the demo seed is one transaction), as they do on several machines.
"""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from server.config import Settings
    from server.state import AppState

# The settings file the workers read, when the command line named one (KEEPSAKE_* still override it).
CONFIG_ENV = "KEEPSAKE_CONFIG_FILE"


def _freeze_startup_objects() -> None:
    # What start-up made lives as long as the server (modules, models, the app): keep it out of the
    # collector's full passes, which otherwise walk it all and stall every stream for ~60 ms at 100 tablets.
    gc.collect()
    gc.freeze()


def app_from_environment() -> FastAPI:
    """The app of one worker process, from the environment ``serve`` prepared (uvicorn's factory)."""
    from server.app import create_app
    from server.config import load_settings

    app = create_app(load_settings(os.environ.get(CONFIG_ENV) or None))
    _freeze_startup_objects()
    return app


def shared_setup_message(settings: Settings, workers: int) -> str | None:
    """What N processes on this configuration mean, said once at start; None when there is nothing to say."""
    if workers <= 1:
        return None
    local = []
    if not settings.database_url:
        local.append(f"SQLite ({settings.db_path})")
    if not settings.media_url:
        local.append(f"the media folder ({settings.media_dir})")
    if not local:
        return None
    return (
        f"{workers} server processes share {' and '.join(local)}: fine on this one machine. "
        "To serve from several machines, set KEEPSAKE_DATABASE_URL (PostgreSQL) and KEEPSAKE_MEDIA_URL (S3)."
    )


def serve(settings: Settings, *, workers: int, config_file: str | None, demo: bool, demo_persona: str, log_level: str) -> int:
    import uvicorn

    from server.app import create_app

    app = create_app(settings)  # opens the database: migrations run here, once, before any worker
    if demo:
        from server.demo.seed import seed_demo

        info = seed_demo(app.state.keepsake, first=demo_persona)
        print(f"Demo household ready: {info.persona_name} (persona {info.persona_id})", flush=True)
        _print_voice_fit(app.state.keepsake, info.household_id)
        print(f"Caregiver login: {info.email} / {info.password}", flush=True)
        print(f"Pairing code: {info.pairing_code}", flush=True)
    message = shared_setup_message(settings, workers)
    if message:
        print(message, flush=True)
    noun = "server" if workers == 1 else f"server ({workers} processes)"
    print(f"Keepsake {noun} on http://{settings.host}:{settings.port}", flush=True)
    access_log = log_level == "debug"
    if workers == 1:
        _freeze_startup_objects()
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, access_log=access_log)
        return 0
    # The parent only supervises: its app's connections are not needed while the workers serve.
    app.state.keepsake.db.close()
    del app
    # The workers read their settings as this process resolved them, command-line choices included.
    os.environ["KEEPSAKE_HOST"] = settings.host
    os.environ["KEEPSAKE_PORT"] = str(settings.port)
    os.environ["KEEPSAKE_DATA_DIR"] = str(settings.data_dir.resolve())
    if config_file:
        os.environ[CONFIG_ENV] = str(config_file)
    uvicorn.run(
        "server.serve:app_from_environment",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=access_log,
    )
    return 0


def _print_voice_fit(state: AppState, household_id: str) -> None:
    """Say at start-up which demo persona's voice does not suit them, and why: never silently."""
    from server.storage import personas

    for persona in personas.list_all(state.db, household_id):
        fit = state.voices(persona).fit
        if not fit.fits:
            print(f"Voice of {persona.display_name}: {fit.why}", flush=True)
