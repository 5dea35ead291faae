"""Widgets and screens of the tablet app (their look is in client/kv/)."""
