"""What the tablet and the server both import: the API models and the protocol version."""

PROTOCOL_VERSION = 1
