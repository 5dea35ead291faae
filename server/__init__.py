"""The Keepsake server: households, personas, memories, sessions and the streamed turn."""
