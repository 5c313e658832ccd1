"""Compile mrasim once before any test, so that no test sees the first run's notice."""

from __future__ import annotations

import pytest

import sim.replicate.jit


@pytest.fixture(scope="session", autouse=True)
def compiled() -> None:
    if sim.replicate.jit.cache_is_cold():
        sim.replicate.jit.warm_up()
