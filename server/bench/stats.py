"""Percentiles of a list of times."""

from __future__ import annotations

import numpy as np


def summary(values) -> dict:
    """p50/p95/p99/max (ms) of the numbers in ``values`` (None ignored); empty -> Nones."""
    data = np.asarray([v for v in values if v is not None], dtype=float)
    if data.size == 0:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    p50, p95, p99 = np.percentile(data, [50, 95, 99])
    return {
        "n": int(data.size),
        "p50": round(float(p50), 1),
        "p95": round(float(p95), 1),
        "p99": round(float(p99), 1),
        "max": round(float(data.max()), 1),
    }
