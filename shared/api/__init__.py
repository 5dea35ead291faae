"""Request and response bodies of the Keepsake HTTP API, one module per resource.

The server validates with these and the tablet parses with them, so the two
can never disagree about a field's name or type. Every model is importable
from ``shared.api`` itself.
"""

from shared.api.base import *  # noqa: F401,F403
from shared.api.base import _not_blank  # noqa: F401
from shared.api.devices import *  # noqa: F401,F403
from shared.api.errors import *  # noqa: F401,F403
from shared.api.events import *  # noqa: F401,F403
from shared.api.households import *  # noqa: F401,F403
from shared.api.memories import *  # noqa: F401,F403
from shared.api.personas import *  # noqa: F401,F403
from shared.api.sessions import *  # noqa: F401,F403
from shared.api.studio import *  # noqa: F401,F403
from shared.api.voice import *  # noqa: F401,F403
