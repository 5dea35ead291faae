"""Where a remote provider is reached, said once.

Every provider Keepsake speaks to over HTTP (speech recognition, conversation,
voice, talking head, voice cloning) needs the same six things: the shared HTTP
client, the URL, the model, the key, the timeout and the retries. They travel
together as one frozen ``Endpoint``, built once from a stage's settings, and
each provider class declares what it assumes when a setting is left empty
(``HttpProvider.defaults``), as Pipecat's services declare their settings on
the class and hand the rest to their base.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import httpx

from server.config import StageSettings

OPENAI_BASE_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class EndpointDefaults:
    """What a provider assumes when its stage leaves a setting empty."""

    base_url: str | None = None  # None: the stage must set one
    model: str | None = None
    min_timeout_s: float = 0.0  # some calls (registering a voice) need longer than the stage's timeout


@dataclass(frozen=True)
class Endpoint:
    http: httpx.AsyncClient = field(repr=False)
    base_url: str
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)  # never in logs
    timeout_s: float = 30.0
    retries: int = 1

    @classmethod
    def from_settings(cls, stage: StageSettings, http: httpx.AsyncClient, defaults: EndpointDefaults) -> Endpoint:
        base_url = stage.base_url or defaults.base_url
        if not base_url:
            # Settings check this when they load; a hand-made StageSettings gets the same words.
            raise ValueError(f"a base URL is needed for provider {stage.provider!r}")
        return cls(
            http=http,
            base_url=base_url,
            model=stage.model,
            api_key=stage.api_key.get_secret_value() if stage.api_key else None,
            timeout_s=stage.timeout_s,
            retries=stage.retries,
        )

    def completed(self, defaults: EndpointDefaults) -> Endpoint:
        """This endpoint with the provider's defaults where nothing was set."""
        return replace(
            self,
            model=self.model or defaults.model,
            timeout_s=max(self.timeout_s, defaults.min_timeout_s),
        )


class HttpProvider:
    """The base of every provider reached over HTTP: it takes an ``Endpoint`` and keeps it."""

    defaults: ClassVar[EndpointDefaults] = EndpointDefaults()

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint.completed(self.defaults)

    @classmethod
    def serves(cls, stage: StageSettings) -> bool:
        """Whether the service these settings point at offers what this provider does."""
        return True

    @classmethod
    def from_settings(cls, stage: StageSettings, http: httpx.AsyncClient) -> HttpProvider:
        """The provider as a stage's settings describe it."""
        return cls(Endpoint.from_settings(stage, http, cls.defaults))
