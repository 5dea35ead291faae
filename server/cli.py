"""The ``keepsake`` command."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the commands import what they use when they run: the command line starts at once
    from server.config import S3Settings, Settings
    from server.migrate import Place

DEFAULT_PORT = 8750


def _settings(args: argparse.Namespace) -> Settings:
    from server.config import load_settings

    overrides = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return load_settings(getattr(args, "config", None), **overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    from server.serve import serve

    if args.workers < 1:
        raise ValueError(f"--workers must be 1 or more, not {args.workers}")
    return serve(
        _settings(args),
        workers=args.workers,
        config_file=args.config,
        demo=args.demo,
        demo_persona=args.demo_persona,
        log_level=args.log_level,
    )


def _wait_healthy(url: str, proc: subprocess.Popen[str], timeout_s: float = 120) -> bool:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def cmd_demo(args: argparse.Namespace) -> int:
    """The server with the embedded engines and the demo persona, and the tablet paired to it."""
    settings = _settings(args)
    url = f"http://{settings.host}:{settings.port}"
    # The tablet talks to Arthur, whom the embedded voice (a man's) suits; Rose is in the household too.
    server_cmd = [sys.executable, "-m", "server.cli", "serve", "--demo", "--demo-persona", "arthur"]
    server_cmd += ["--host", settings.host, "--port", str(settings.port)]
    if args.config:
        server_cmd += ["--config", args.config]
    if args.data_dir:
        server_cmd += ["--data-dir", args.data_dir]
    server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, text=True)
    code = None
    try:
        assert server.stdout is not None
        for line in server.stdout:
            print(line, end="", flush=True)
            if line.startswith("Pairing code:"):
                code = line.split(":", 1)[1].strip()
            if line.startswith("Keepsake server on"):
                break
        if code is None or not _wait_healthy(url, server):
            print("The server did not start; see the lines above.", file=sys.stderr)
            return 1
        if args.no_tablet:
            print("Server running; press Ctrl+C to stop.", flush=True)
            return server.wait()
        from client.main import run

        return run(server=url, pairing_code=code, screenshot=args.screenshot, screenshot_after=args.screenshot_after)
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def cmd_tablet(args: argparse.Namespace) -> int:
    from client.main import run

    return run(
        server=args.server,
        pairing_code=args.pairing_code,
        screenshot=args.screenshot,
        screenshot_after=args.screenshot_after,
        language=args.language,
    )


def cmd_eval(args: argparse.Namespace) -> int:
    if args.what == "understanding":
        return cmd_eval_understanding(args)
    from server.conversation import safety_eval

    paths = [Path(args.file)] if args.file else [safety_eval.SPLITS_DIR / f"{name}.jsonl" for name in args.split]
    met = True
    for path in paths:
        result = safety_eval.evaluate(safety_eval.load_split(path))
        # As for understanding: the test split's sentences are never shown, or it gets tuned on.
        print(safety_eval.report(path.stem, result, show_errors=not args.quiet and path.stem != "test"))
        ok = result.caught_pct >= safety_eval.TARGET_CAUGHT_PCT and result.replaced_pct <= safety_eval.TARGET_REPLACED_PCT
        print(
            f"  targets (>= {safety_eval.TARGET_CAUGHT_PCT:.0f}% caught, <= {safety_eval.TARGET_REPLACED_PCT:.0f}% replaced): {'met' if ok else 'NOT met'}"
        )
        met = met and ok
    return 0 if met else 1


def cmd_eval_understanding(args: argparse.Namespace) -> int:
    from server.conversation import understanding_eval

    paths = [Path(args.file)] if args.file else [understanding_eval.SET_DIR / f"{name}.jsonl" for name in args.split]
    for path in paths:
        result = understanding_eval.evaluate(understanding_eval.load_split(path))
        # The test split's own sentences are never shown: knowing which fail is how a split gets tuned on.
        print(understanding_eval.report(path.stem, result, show_errors=not args.quiet and path.stem != "test"))
    # A yardstick, not a gate: the targets are in docs/understanding.md.
    return 0


def _place(args: argparse.Namespace, side: str, s3: S3Settings) -> Place:
    from server.migrate import Place

    data_dir = getattr(args, f"{side}_data_dir")
    return Place(
        data_dir=Path(data_dir) if data_dir else None,
        database_url=getattr(args, f"{side}_database") or None,
        media_url=getattr(args, f"{side}_media") or None,
        s3=s3,
    )


def cmd_migrate(args: argparse.Namespace) -> int:
    from server.config import load_settings
    from server.migrate import MigrateError, migrate

    s3 = load_settings(args.config).s3  # KEEPSAKE_S3__*: the endpoint and keys of whichever side is S3
    source, target = _place(args, "from", s3), _place(args, "to", s3)
    try:
        report = migrate(source, target)
    except MigrateError as err:
        print(f"keepsake migrate: {err}", file=sys.stderr)
        return err.code
    rows = sum(report.rows.values())
    print(f"Copied {rows} rows in {len(report.rows)} tables and {report.files} media files ({report.bytes} bytes).")
    if report.missing:
        print(f"{len(report.missing)} media rows had no bytes at the source (not copied): {', '.join(report.missing[:5])}")
    if report.differences:
        print(f"The copy does NOT match the source: {'; '.join(report.differences)}", file=sys.stderr)
        return 1
    print(f"Checked: the export of each of the {report.households} households is identical on both sides.")
    return 0


MIGRATE_HELP = """Copy every row and media file of one Keepsake to another that is empty: from SQLite and a media
folder to PostgreSQL and an S3-compatible store, or back. Each side is given as the three settings
its server runs with, so pass the same values: --X-data-dir (KEEPSAKE_DATA_DIR), --X-database
(KEEPSAKE_DATABASE_URL; leave it out for SQLite in the data folder) and --X-media
(KEEPSAKE_MEDIA_URL; leave it out for the media folder in the data folder). Three options rather
than one URL per side: they are exactly what each side's server is started with, so there is no
new URL form to learn, and a database URL holding a password never has to carry a store's URL
inside it. S3's endpoint and keys come from KEEPSAKE_S3__* as for the server. Stop the source's servers first. After copying,
the household export of every household is compared on both sides; a mismatch exits 1 naming it.
A target that is not empty is refused before anything is written; a copy that stops half-way
says so: empty the target and run again. Exit status: 0 copied and checked, 1 mismatch or
stopped half-way, 2 bad input, 3 a side cannot be reached."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keepsake", description="Keepsake: talk with a loved one's avatar.")
    sub = parser.add_subparsers(dest="command", required=True)

    def server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", help="address to listen on (default 127.0.0.1, or KEEPSAKE_HOST)")
        p.add_argument("--port", type=int, help=f"port to listen on (default {DEFAULT_PORT}, or KEEPSAKE_PORT)")
        p.add_argument("--config", metavar="FILE", help="a TOML settings file; KEEPSAKE_* environment variables override it")
        p.add_argument(
            "--data-dir", metavar="DIR", help="where the database and media live (default ./keepsake-data, or KEEPSAKE_DATA_DIR)"
        )

    serve = sub.add_parser("serve", help="run the server", description="Run the Keepsake server.")
    server_options(serve)
    serve.add_argument(
        "--demo", action="store_true", help="load the demo personas (with consent) and print a fresh pairing code for a tablet"
    )
    serve.add_argument(
        "--demo-persona",
        default="rose",
        choices=["rose", "arthur"],
        help="with --demo: which demo persona is made first in a new demo household, so a newly paired tablet talks to it (default rose)",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"], help="how much the server logs (default info)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run N server processes on one port, each with its own engines (default 1); "
        "on SQLite they share this machine's database file, PostgreSQL lets several machines share one",
    )
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="run the server with the demo persona and the tablet paired to it")
    server_options(demo)
    demo.add_argument("--no-tablet", action="store_true", help="run only the server")
    demo.add_argument("--screenshot", metavar="PATH", help="save a screenshot of the tablet and exit")
    demo.add_argument("--screenshot-after", type=float, default=None, metavar="SECONDS", help="when to take the screenshot")
    demo.set_defaults(func=cmd_demo)

    # Listed for --help only: main() hands "bench" and its options to server.bench.
    sub.add_parser("bench", help="measure time to first audio (see docs/benchmarks.md; keepsake bench --help)")

    evaluate = sub.add_parser(
        "eval",
        help="measure the safety check or story mode's understanding on their labelled sets",
        description="safety: how many requests for money, codes or secrecy the outgoing check catches, "
        "and how many innocent memories it replaces, on the safety set in tests/eval/safety/. "
        "understanding: retrieval top-1/top-3, dialogue acts, questions taken for news, unanswerable "
        "questions told a memory and the time it takes, on the set in tests/eval/understanding/.",
    )
    evaluate.add_argument("what", choices=["safety", "understanding"], help="what to measure")
    evaluate.add_argument("--split", nargs="+", choices=["dev", "test"], default=["dev", "test"], help="which splits (default both)")
    evaluate.add_argument(
        "--file",
        metavar="JSONL",
        help="another labelled file: for safety one {text, label: request|innocent, lang} "
        "a line; for understanding one {text, lang, persona, act, expected} a line over the set's memoirs",
    )
    evaluate.add_argument("--quiet", action="store_true", help="numbers only, not the sentences it got wrong")
    evaluate.set_defaults(func=cmd_eval)

    move = sub.add_parser(
        "migrate",
        help="move everything to another database and media store (SQLite+folder <-> PostgreSQL+S3)",
        description=MIGRATE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for side, what in (("from", "the source"), ("to", "the target")):
        move.add_argument(f"--{side}-data-dir", metavar="DIR", help=f"data folder of {what} (its SQLite database and media folder)")
        move.add_argument(f"--{side}-database", metavar="URL", help=f"database of {what}: postgresql://user:password@host:port/dbname")
        move.add_argument(f"--{side}-media", metavar="URL", help=f"media store of {what}: s3://bucket/prefix")
    move.add_argument("--config", metavar="FILE", help="a TOML settings file, for the KEEPSAKE_S3__* settings")
    move.set_defaults(func=cmd_migrate)

    tablet = sub.add_parser("tablet", help="run the tablet app")
    tablet.add_argument("--server", help="the server's address, e.g. http://127.0.0.1:8750")
    tablet.add_argument("--pairing-code", help="pair with the server at start using this code")
    tablet.add_argument("--screenshot", metavar="PATH", help="save a screenshot and exit")
    tablet.add_argument("--screenshot-after", type=float, default=None, metavar="SECONDS", help="when to take the screenshot")
    tablet.add_argument("--language", choices=["en", "zh"], help="language of the screen")
    tablet.set_defaults(func=cmd_tablet)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    from server.storage.blobs import StoreUnavailable
    from server.storage.connect import DatabaseUnavailable

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        # The benchmark has its own options and help; hand them over untouched.
        from server.bench import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except ValidationError as err:
        # A wrong setting gets one readable line, not a traceback nor pydantic's page of it.
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {str(e['msg']).removeprefix('Value error, ')}" for e in err.errors())
        print(f"keepsake: configuration problem: {problems}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as err:
        print(f"keepsake: configuration problem: {err}", file=sys.stderr)
        return 2
    except StoreUnavailable as err:
        # The media store named in the settings does not answer: say which, and stop.
        print(f"keepsake: cannot start: {err}", file=sys.stderr)
        return 1
    except DatabaseUnavailable as err:
        print(f"keepsake: {err}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
