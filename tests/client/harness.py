"""Drive the real tablet app in a subprocess under X: watch its events, touch it, photograph it.

Kivy allows one App per process, so each scenario starts ``python -m client``
with test hooks switched on (see client/testhooks.py). Touches go through the
X server with xdotool, exactly like a finger (or mouse) would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"


def new_pairing_code(server_url: str, data_dir: Path) -> str:
    """Codes are single-use: log in as the demo caregiver and ask for another one."""
    creds = json.loads((data_dir / "demo-credentials.json").read_text())
    with httpx.Client(base_url=server_url, timeout=10) as http:
        token = http.post("/v1/auth/login", json={"email": creds["email"], "password": creds["password"]}).json()["token"]
        response = http.post("/v1/pairing-codes", headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        return response.json()["code"]


@contextmanager
def caregiver_client(server_url: str, data_dir: Path) -> Iterator[httpx.Client]:
    """``with caregiver_client(url, data_dir) as http``: an HTTP client logged in as the demo household's caregiver."""
    creds = json.loads((data_dir / "demo-credentials.json").read_text())
    with httpx.Client(base_url=server_url, timeout=30) as http:
        response = http.post("/v1/auth/login", json={"email": creds["email"], "password": creds["password"]})
        response.raise_for_status()
        http.headers["Authorization"] = f"Bearer {response.json()['token']}"
        yield http


def paired_app(start_app, live_server, **kwargs) -> AppProcess:
    """A tablet paired with ``live_server`` that has said hello and come to rest."""
    code = new_pairing_code(live_server.url, live_server.data_dir)
    app = start_app(live_server.url, code, **kwargs)
    app.wait_for("connected", timeout=60)
    app.settle(timeout=60)
    return app


class AppProcess:
    def __init__(
        self,
        workdir: Path,
        server: str | None = None,
        pairing_code: str | None = None,
        *,
        mic_file: Path | str | None = None,
        language: str | None = None,
        window: str = "1280x800",
        tablet_dir: Path | None = None,
        extra_env: dict | None = None,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.tablet_dir = tablet_dir or workdir / "tablet"
        self.events_path = workdir / "events.jsonl"
        self.control_path = workdir / "control.jsonl"
        self.log_path = workdir / "app.log"
        self.events_path.unlink(missing_ok=True)
        self.control_path.write_text("")
        self._seen = 0  # index of the first event not yet consumed by wait_for
        env = {
            **os.environ,
            "KEEPSAKE_TABLET_DIR": str(self.tablet_dir),
            "KEEPSAKE_TEST_EVENTS": str(self.events_path),
            "KEEPSAKE_TEST_CONTROL": str(self.control_path),
            "KEEPSAKE_AUDIO": "null",  # CI has no sound card; the null sink keeps real time
            "KEEPSAKE_WINDOW": window,
            "KIVY_HOME": str(workdir / "kivy-home"),  # never touch the developer's ~/.kivy
            "KIVY_NO_CONSOLELOG": "0",
            **(extra_env or {}),
        }
        if mic_file:
            env["KEEPSAKE_MIC_FILE"] = str(mic_file)
        args = [sys.executable, "-m", "client"]
        if server:
            args += ["--server", server]
        if pairing_code:
            args += ["--pairing-code", pairing_code]
        if language:
            args += ["--language", language]
        self.log = open(self.log_path, "w")  # noqa: SIM115 - the app writes to it until it is stopped
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    # ------------------------------------------------------------------ events
    def events(self) -> list[dict]:
        try:
            lines = self.events_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # the last line is being written
        return out

    def wait_for(
        self, kind: str, predicate: Callable[[dict], bool] = lambda e: True, timeout: float = 60, since_start: bool = False
    ) -> dict:
        """The next event of ``kind`` matching ``predicate`` after the last one waited for."""
        deadline = time.monotonic() + timeout
        start = 0 if since_start else self._seen
        while time.monotonic() < deadline:
            events = self.events()
            for i in range(start, len(events)):
                if events[i]["kind"] == kind and predicate(events[i]):
                    self._seen = i + 1
                    return events[i]
            if self.process.poll() is not None:
                raise AssertionError(f"the app exited ({self.process.returncode}) waiting for {kind}:\n{self.tail_log()}")
            time.sleep(0.05)
        raise AssertionError(f"no {kind} event within {timeout}s; last events:\n" + "\n".join(json.dumps(e) for e in self.events()[-25:]))

    def wait_screen(self, name: str, timeout: float = 10, since_start: bool = False) -> dict:
        """Wait until screen ``name`` is shown and takes touches: the screen manager ignores touches
        while a fade runs, however slow the frames are on a busy machine; ``screen_ready`` says it is over."""
        event = self.wait_for("screen", lambda e: e["name"] == name, timeout, since_start=since_start)
        seen = self._seen
        self.wait_for("screen_ready", lambda e: e["name"] == name, max(timeout, 20))  # a fade of many slow frames
        self._seen = seen  # what happened during the fade is still there for the next wait_for
        return event

    def wait_state(self, state: str, timeout: float = 60) -> dict:
        return self.wait_for("state", lambda e: e["state"] == state, timeout)

    def settle(self, quiet_s: float = 1.0, timeout: float = 60) -> None:
        """Wait until the app is idle and has stayed idle for ``quiet_s`` (the greeting has been spoken)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = [e for e in self.events() if e["kind"] == "state"]
            if states and states[-1]["state"] == "idle" and time.time() - states[-1]["wall"] >= quiet_s:
                self._seen = len(self.events())
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the app exited:\n{self.tail_log()}")
            time.sleep(0.1)
        raise AssertionError("the app did not settle; last events:\n" + "\n".join(json.dumps(e) for e in self.events()[-25:]))

    def tail_log(self, lines: int = 60) -> str:
        if not self.log.closed:
            self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        if not text:  # Kivy took over stderr: its own log file has the story
            logs = sorted((self.workdir / "kivy-home" / "logs").glob("*.txt"), key=lambda p: p.stat().st_mtime)
            text = logs[-1].read_text(errors="replace").splitlines() if logs else []
        return "\n".join(line for line in text if "DEBUG" not in line)[-6000:] if text else ""

    # ------------------------------------------------------------------ commands
    def command(self, **cmd) -> None:
        with open(self.control_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(cmd) + "\n")

    def screenshot(self, name: str) -> Path:
        path = SHOTS / name
        path.unlink(missing_ok=True)
        self.command(cmd="screenshot", path=str(path))
        self.wait_for("screenshot", lambda e: e["path"] == str(path), timeout=15, since_start=True)
        return path

    def layout(self) -> dict:
        before = len(self.events())
        self.command(cmd="layout")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = [e for e in self.events()[before:] if e["kind"] == "layout"]
            if found:
                return found[-1]["widgets"]
            time.sleep(0.05)
        raise AssertionError("no layout report")

    def wait_layout(self, predicate: Callable[[dict], bool], what: str, timeout: float = 20) -> dict:
        """Ask for the layout until it matches ``predicate`` (each report comes a frame or more later)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            layout = self.layout()
            if predicate(layout):
                return layout
        raise AssertionError(f"{what} did not happen within {timeout}s; the layout: {json.dumps(self.layout())[:3000]}")

    def wait_shown(self, widget_id: str, predicate: Callable[[str], bool] = bool, timeout: float = 20) -> str:
        """Wait until the label ``widget_id`` shows text matching ``predicate`` (it is laid out a frame later)."""
        layout = self.wait_layout(lambda lay: predicate(lay["shown"].get(widget_id, "")), f"{widget_id} showing the expected text", timeout)
        return layout["shown"].get(widget_id, "")

    def wait_still(self, timeout: float = 20) -> dict:
        """Wait until the controls stay where they are from one layout report to the next (what a tap
        changed has been laid out: a picture taken now shows it)."""
        last: list[object] = [None]

        def still(layout: dict) -> bool:
            same, last[0] = layout["widgets"] == last[0], layout["widgets"]
            return same

        return self.wait_layout(still, "the screen coming to rest", timeout)

    def wait_focused(self, widget_id: str, timeout: float = 10) -> None:
        """Wait until the text field ``widget_id`` has the keyboard (it takes focus when the touch lands)."""
        self.wait_layout(lambda lay: lay.get("focused") == widget_id, f"{widget_id} taking focus", timeout)

    def wait_typed(self, widget_id: str, text: str, timeout: float = 10) -> None:
        """Wait until the text field ``widget_id`` holds ``text`` (X hands the keys over one by one)."""
        self.wait_layout(lambda lay: lay["typed"].get(widget_id) == text, f"{text!r} reaching {widget_id}", timeout)

    # ------------------------------------------------------------------ touches, through X like a finger
    def _center(self, widget_id: str) -> tuple[int, int]:
        """The middle of ``widget_id`` once it is laid out: there, with a size, and in the same place
        in two reports in a row (a page that just opened is laid out a frame or more later)."""
        last: list[object] = [None]

        def still(layout: dict) -> bool:
            now = layout["widgets"].get(widget_id)
            same, last[0] = now is not None and now[2] > 0 and now[3] > 0 and now == last[0], now
            return same

        x, y, w, h = self.wait_layout(still, f"{widget_id} being laid out")["widgets"][widget_id]
        return x + w // 2, y + h // 2

    def tap(self, widget_id: str) -> None:
        """Touch ``widget_id`` like a finger, and wait until the app has had the finger lift (the
        events that follow are still there for the next ``wait_for``)."""
        x, y = self._center(widget_id)
        before = len(self.events())
        xdotool("mousemove", str(x), str(y), "mousedown", "1")
        time.sleep(0.08)  # a finger rests on the glass for a moment
        xdotool("mouseup", "1")
        self.wait_delivered(before)

    def wait_delivered(self, before: int, timeout: float = 20) -> None:
        """Wait until the window has had a finger lift since event number ``before``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["kind"] == "touch" and e["phase"] == "up" for e in self.events()[before:]):
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the app exited waiting for a touch:\n{self.tail_log()}")
            time.sleep(0.05)
        raise AssertionError(f"the app never had the touch within {timeout}s")

    def long_press(self, widget_id: str, seconds: float = 2.2) -> None:
        x, y = self._center(widget_id)
        xdotool("mousemove", str(x), str(y), "mousedown", "1")
        time.sleep(seconds)
        xdotool("mouseup", "1")

    def quit(self) -> int:
        if self.process.poll() is None:
            self.command(cmd="quit")
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode


def open_caregiver_area(app: AppProcess, pin: str = "1234") -> None:
    """Long-press the corner, type the PIN, and wait for the caregiver area."""
    app.long_press("corner")
    app.wait_screen("pin")
    for digit in pin:
        app.tap(f"key_{digit}")
    app.tap("key_ok")
    app.wait_screen("caregiver")


def type_into(app: AppProcess, widget_id: str, text: str) -> None:
    """Tap a text field (scrolled into view first, on a screen that scrolls) and type ``text`` through X."""
    if "scroll" in app.layout()["widgets"]:
        scroll_into_view(app, widget_id)
    app.tap(widget_id)
    app.wait_focused(widget_id)
    xdotool("type", "--delay", "30", "--", text)


def scroll_into_view(app: AppProcess, widget_id: str, scroll_id: str = "scroll", tries: int = 12) -> None:
    """Turn the mouse wheel over ``scroll_id`` until ``widget_id`` is wholly inside the window."""
    for _ in range(tries):
        layout = app.layout()
        x, y, w, h = layout["widgets"][widget_id]
        if y >= 0 and y + h <= layout["size"][1]:
            return
        sx, sy = app._center(scroll_id)
        button = "5" if y + h > layout["size"][1] else "4"  # 5 scrolls down, 4 up
        xdotool("mousemove", str(sx), str(sy), "click", "--repeat", "3", button)
        wait_scrolled(app, widget_id, [x, y, w, h])
    raise AssertionError(f"{widget_id} could not be scrolled into view")


def caregiver_credentials(data_dir: Path) -> tuple[str, str]:
    """The demo household caregiver's email and password (``keepsake serve --demo`` writes them)."""
    creds = json.loads((data_dir / "demo-credentials.json").read_text())
    return creds["email"], creds["password"]


def serve_on_loopback(app, name: str):
    """Run an ASGI ``app`` on a free loopback port in a thread: (url, uvicorn server, thread) once it listens."""
    import threading

    import uvicorn

    from tests.live_server import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


def has_xdotool() -> bool:
    return shutil.which("xdotool") is not None


def region_is_not_flat(path: Path, box: tuple[float, float, float, float], min_colors: int = 8, min_std: float = 6.0) -> bool:
    """True when the part of the picture in ``box`` (fractions x0, y0, x1, y1) holds more than one flat colour."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        w, h = image.size
        crop = image.convert("RGB").crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
        pixels = np.asarray(crop, dtype=np.float32).reshape(-1, 3)
    colors = len({tuple(p) for p in pixels[:: max(1, len(pixels) // 20000)].astype(int)})
    return colors >= min_colors and float(pixels.std()) >= min_std


def box_fraction(layout_widgets: dict, widget_id: str, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """A widget's place from ``AppProcess.layout()`` as fractions (x0, y0, x1, y1) of a ``size`` picture."""
    x, y, w, h = layout_widgets[widget_id]
    return x / size[0], y / size[1], (x + w) / size[0], (y + h) / size[1]


class BusyProxy:
    """A real HTTP proxy on loopback in front of the real server that answers the first
    ``busy_turns`` turns the way the server's own gate does when it is full:
    503 ``{"error": {"code": "busy"}}`` with Retry-After. Everything else passes through, streamed."""

    def __init__(self, upstream: str, busy_turns: int = 1, retry_after: int = 4) -> None:
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse, StreamingResponse
        from starlette.routing import Route

        self.turns: list[tuple[float, int]] = []  # (monotonic time, status answered) of each turn
        hop = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}

        async def handle(request):
            body = await request.body()
            if request.method == "POST" and request.url.path.endswith("/turns"):
                busy = sum(1 for _, status in self.turns if status == 503) < busy_turns
                self.turns.append((time.monotonic(), 503 if busy else 200))
                if busy:
                    return JSONResponse(
                        {"error": {"code": "busy", "message": "Many people are talking right now."}},
                        status_code=503,
                        headers={"Retry-After": str(retry_after)},
                    )
            client = httpx.AsyncClient(base_url=upstream, timeout=180)
            headers = {k: v for k, v in request.headers.items() if k.lower() not in hop}
            outgoing = client.build_request(request.method, request.url.path, params=request.query_params, headers=headers, content=body)
            answer = await client.send(outgoing, stream=True)

            async def relay():
                try:
                    async for chunk in answer.aiter_raw():
                        yield chunk
                finally:
                    await answer.aclose()
                    await client.aclose()

            return StreamingResponse(
                relay(), status_code=answer.status_code, headers={k: v for k, v in answer.headers.items() if k.lower() not in hop}
            )

        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        app = Starlette(routes=[Route("/{path:path}", handle, methods=methods)])
        self.url, self.server, self.thread = serve_on_loopback(app, "busy-proxy")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


# --- the caregiver's family account on the tablet (memories, facts, alerts) ------------------------


def sign_in_on_tablet(app: AppProcess, data_dir: Path) -> None:
    """In the open caregiver area: type the demo caregiver's email and password, sign in, wait for the personas."""
    email, password = caregiver_credentials(data_dir)
    type_into(app, "email_field", email)
    type_into(app, "password_field", password)
    scroll_into_view(app, "sign_in_button")
    app.tap("sign_in_button")
    app.wait_for("caregiver_signed_in", timeout=30)
    if app.wait_for("studio_personas", timeout=30)["count"]:
        wait_laid_out(app, "studio_")  # the new buttons are laid out a frame later


def wait_scrolled(app: AppProcess, widget_id: str, was: list[int], timeout: float = 5) -> None:
    """After a turn of the wheel: wait until ``widget_id`` has moved from ``was`` and come to rest
    (the same place in two reports in a row). At the end of the list it does not move: that is fine,
    the caller looks again."""
    last: list[object] = [was]

    def moved_and_still(layout: dict) -> bool:
        now = layout["widgets"][widget_id]
        still, last[0] = now != was and now == last[0], now
        return still

    try:
        app.wait_layout(moved_and_still, f"{widget_id} moving", timeout)
    except AssertionError:
        pass


def wait_laid_out(app: AppProcess, prefix: str, timeout: float = 20) -> None:
    """Wait until the widgets whose ids start with ``prefix`` are there and stay where they are
    from one layout report to the next (a report comes a frame or more after the last)."""
    last: list[dict] = [{}]

    def settled(layout: dict) -> bool:
        placed = {k: v for k, v in layout["widgets"].items() if k.startswith(prefix)}
        still, last[0] = bool(placed) and placed == last[0], placed
        return still

    app.wait_layout(settled, f"the {prefix}* widgets being laid out", timeout)


def replace_text(app: AppProcess, widget_id: str, text: str) -> None:
    """Tap a text field, select everything in it and type ``text`` over it (through X, like a keyboard)."""
    app.tap(widget_id)
    app.wait_focused(widget_id)
    xdotool("key", "ctrl+a")  # X hands the keys over in order: the selection comes before the typing
    xdotool("type", "--delay", "30", "--", text)


def persona_named(server_url: str, data_dir: Path, display_name: str) -> dict:
    """The household's persona called ``display_name``, as the caregiver's API gives it."""
    with caregiver_client(server_url, data_dir) as http:
        found = [p for p in http.get("/v1/personas").json() if p["display_name"] == display_name]
    assert found, f"no persona called {display_name}"
    return found[0]


def tell_persona(server_url: str, data_dir: Path, persona_id: str, *sentences: str) -> list[list[dict]]:
    """Pair a second tablet and say each sentence to the persona in one text turn, as the tablet's client does.

    Returns each turn's events (as dicts); the turns are read to the end, so whatever the server keeps
    (facts, alerts) is kept when this returns.
    """
    from client.api import KeepsakeClient

    code = new_pairing_code(server_url, data_dir)
    tablet = KeepsakeClient(server_url)
    try:
        tablet.set_token(tablet.pair(code, name="Test tablet").device_token)
        session = tablet.start_session(persona_id)
        answers = []
        for sentence in sentences:
            with tablet.turn(session.id, text=sentence) as events:
                answers.append([event.model_dump() for event in events])
        return answers
    finally:
        tablet.close()
