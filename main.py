"""The Android entry point: python-for-android starts ``main.py`` at the top of the app folder.

On a desktop, use ``keepsake tablet`` (or ``python -m client``) instead.
"""

import sys

from client.main import run

if __name__ == "__main__":
    sys.exit(run(server=None))
