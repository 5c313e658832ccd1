"""Compile mrasim once before any test, so that no test sees the first run's notice."""

from __future__ import annotations

import os

import pytest

import sim.replicate.jit

# English unless a test asks for another language: the tests that read English text must not
# depend on the machine's locale (tests/language sets each language itself). Subprocesses
# inherit it.
os.environ["MRASIM_LANG"] = "en"


@pytest.fixture(scope="session", autouse=True)
def compiled() -> None:
    if sim.replicate.jit.cache_is_cold():
        sim.replicate.jit.warm_up()
