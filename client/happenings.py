"""Kivy events that say what happened on the tablet, for any listener.

A class takes them among its bases: ``class Conversation(announces("recorded", "caption_shown"),
EventDispatcher)``. Each name becomes the Kivy event ``on_<name>`` with a default handler that
does nothing, raised with ``self.dispatch("on_recorded", path=..., seconds=...)`` and heard with
``conversation.bind(on_recorded=...)``. The UI tests' hooks (client/testhooks.py) bind to all of
them from outside and write them down; the product works the same with nobody listening.

mypy cannot follow a base class made by a call, so each ``announces(...)`` among a class's bases
carries ``# type: ignore[misc]``: the class is then read as having an unknown (Any) base, as it
would be through Kivy's own classes anyway.
"""

from __future__ import annotations

from typing import Any


def _nothing(_self: Any, *_args: Any, **_data: Any) -> None:
    """The default handler: an event nobody listens to changes nothing."""


def announces(*names: str) -> type:
    """A base class that declares the Kivy events ``on_<name>`` (mixed in before EventDispatcher or its subclass)."""
    namespace: dict[str, Any] = {"__events__": tuple(f"on_{name}" for name in names), "_announces": names}
    namespace.update({f"on_{name}": _nothing for name in names})
    return type("Announces", (), namespace)


def announced(dispatcher: object) -> list[str]:
    """The names of the events an object's classes declared with ``announces``, in order."""
    names: list[str] = []
    for cls in type(dispatcher).__mro__:
        names += [name for name in cls.__dict__.get("_announces", ()) if name not in names]
    return names
