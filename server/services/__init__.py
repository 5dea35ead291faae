"""Generation services: one small interface per stage, one module per provider."""
