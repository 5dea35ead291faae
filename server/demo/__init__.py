"""A fictional demo persona, its memories and its drawn portrait."""

from server.demo.loader import demo_portrait_bytes, load_demo_persona, persona_fields

__all__ = ["demo_portrait_bytes", "load_demo_persona", "persona_fields"]
