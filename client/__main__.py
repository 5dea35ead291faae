"""``python -m client [--server URL] [--pairing-code CODE] [--screenshot PATH --screenshot-after S] [--language en|zh]``"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m client", description="The Keepsake tablet app.")
    parser.add_argument("--server", help="the server's address, e.g. http://192.168.1.20:8750")
    parser.add_argument("--pairing-code", help="pair with the server at start using this code")
    parser.add_argument("--screenshot", metavar="PATH", help="save a screenshot and exit")
    parser.add_argument("--screenshot-after", type=float, default=None, metavar="SECONDS", help="when to take it (default 5)")
    parser.add_argument("--language", choices=["en", "zh"], help="language of the screen")
    args = parser.parse_args(argv)
    from client.main import run

    return run(args.server, args.pairing_code, args.screenshot, args.screenshot_after, args.language)


if __name__ == "__main__":
    sys.exit(main())
