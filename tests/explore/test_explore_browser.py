"""mrasim explore in a real browser: Debian's headless chromium, driven by Playwright.

A person's path: the page loads and runs; the utilisation slider is moved with the keyboard;
the numbers settle; and they are those of the ``mrasim compare`` command the page gives for
that setting, run here with the same seed (the sentence word for word, every cell of the
per-country table). A bad value gets a one-line message beside the controls.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from helpers import (
    LiveServer,
    assert_answer_table,
    playwright_or_skip,
    small_region,
    system_chromium,
    watched_page,
)

import sim.cli.commands
from sim.explore.server import create_app
from sim.interpret.answer import answer_of
from sim.model.load import load_scenario
from sim.results.files import read_results

VIEWPORT = {"width": 1400, "height": 1000}
SETTLE_MS = 90_000

sync_api = playwright_or_skip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    scenario = load_scenario(small_region(tmp_path_factory.mktemp("explore-browser")))
    with LiveServer(create_app(scenario)) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with system_chromium(sync_api) as launched:
        yield launched


@pytest.fixture
def page(browser: object, server: LiveServer) -> Iterator[object]:
    with watched_page(browser, server.url + "/", VIEWPORT) as page:
        yield page


def settled(page: object, needle: str) -> None:
    """Wait until the run of the setting whose command contains ``needle`` is done and
    shown (the answer and the figures of its last replication)."""
    page.wait_for_function(  # type: ignore[attr-defined]
        """needle => {
            const status = document.getElementById("status");
            const numbers = document.getElementById("numbers");
            const figures = document.getElementById("figures-box");
            return document.getElementById("command").textContent.includes(needle)
                && status.dataset.state === "done"
                && numbers.dataset.version === `${status.dataset.run}-${status.dataset.done}-done`
                && figures.dataset.done === status.dataset.done;
        }""",
        arg=needle,
        timeout=SETTLE_MS,
    )


def test_moving_utilisation_gives_the_numbers_of_the_command_the_page_shows(
    page: object, tmp_path: Path
) -> None:
    page.fill("#replications", "4")  # type: ignore[attr-defined]
    settled(page, "-n 4")
    slider = page.locator("#utilisation")  # type: ignore[attr-defined]
    slider.focus()
    for _ in range(4):  # 40% -> 60%, as a person does with the arrow keys
        page.keyboard.press("ArrowRight")  # type: ignore[attr-defined]
    assert page.locator("#utilisation-out").inner_text() == "60%"  # type: ignore[attr-defined]
    settled(page, "arrangement.utilisation=0.6")
    assert page.errors == []  # type: ignore[attr-defined]
    charts = page.locator("#figures-box .js-plotly-plot")  # type: ignore[attr-defined]
    assert charts.count() == 4  # drawn by the page's plotly.js, served by the explorer

    command = shlex.split(page.locator("#command").inner_text())  # type: ignore[attr-defined]
    assert command[:2] == ["mrasim", "compare"]
    assert command[command.index("--seed") + 1] == "1" and command[command.index("-n") + 1] == "4"
    out = tmp_path / "out"
    assert sim.cli.main([*command[1:], "-q", "--out", str(out)]) == 0
    table = pd.read_csv(out / "comparison.csv")
    found = answer_of(read_results(out))
    sentence = page.locator("p.sentence").first.inner_text()  # type: ignore[attr-defined]
    assert sentence == found.sentences[0]
    assert "60% of eligible shipments" in sentence

    assert_answer_table(page, table, horizon_days=5)

    saved = os.environ.get("MRASIM_SCREENSHOTS")
    if saved:  # keep it for a person to look at
        shot = tmp_path / "explore.png"
        page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
        shutil.copy(shot, Path(saved) / "explore.png")


def test_one_country_is_simulated_alone_and_says_so(page: object) -> None:
    page.fill("#replications", "3")  # type: ignore[attr-defined]
    page.uncheck("#country-all")  # type: ignore[attr-defined]
    page.check("#country-CHL")  # type: ignore[attr-defined]
    settled(page, "--country CHL")
    text = page.locator("#numbers").inner_text()  # type: ignore[attr-defined]
    assert "These numbers count only Chile" in text
    assert "partner-AEO shipments in Chile" in text
    assert page.locator("#answer-table tbody tr").count() == 1  # type: ignore[attr-defined]


def test_a_bad_value_gets_a_message_and_the_numbers_stay(page: object) -> None:
    page.fill("#replications", "3")  # type: ignore[attr-defined]
    settled(page, "-n 3")
    shown = page.locator("#numbers").inner_html()  # type: ignore[attr-defined]
    page.fill("#replications", "1")  # type: ignore[attr-defined]
    message = page.locator("#message")  # type: ignore[attr-defined]
    message.filter(has_text="replications").wait_for(timeout=10_000)
    assert (
        message.inner_text() == "replications: Input should be greater than or equal to 2 (got 1)"
    )
    assert page.locator("#numbers").inner_html() == shown  # type: ignore[attr-defined]
    page.locator("#staffing-box summary").click()  # type: ignore[attr-defined]
    page.fill("#replications", "3")  # type: ignore[attr-defined]
    page.fill('#staffing input[data-country="PER"][data-station="physical"]', "0")  # type: ignore[attr-defined]
    message.filter(has_text="staffing").wait_for(timeout=10_000)
    assert "a staffing multiplier lies in [0.1, 10], got 0" in message.inner_text()
    refused = "the server responded with a status of 400"  # the browser logs each refusal
    assert [e for e in page.errors if refused not in e] == []  # type: ignore[attr-defined]


def test_on_a_phone_the_charts_fit_and_hover(browser: object, server: LiveServer) -> None:
    """At 400 px the page does not scroll sideways (a chart never widens it), and a chart
    drawn by the page's plotly.js shows a number when a point is hovered."""
    with watched_page(browser, server.url + "/", {"width": 400, "height": 900}) as phone:
        phone.fill("#replications", "3")  # type: ignore[attr-defined]
        settled(phone, "-n 3")
        assert phone.locator("#figures-box .js-plotly-plot").count() == 4  # type: ignore[attr-defined]
        assert phone.evaluate("document.documentElement.scrollWidth") <= 400  # type: ignore[attr-defined]
        phone.locator("#chart-change").scroll_into_view_if_needed()  # type: ignore[attr-defined]
        point = phone.locator("#chart-change .scatterlayer .point").first.bounding_box()  # type: ignore[attr-defined]
        assert point is not None
        phone.mouse.move(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)  # type: ignore[attr-defined]
        phone.wait_for_function(  # type: ignore[attr-defined]
            "document.querySelector('#chart-change .hoverlayer').textContent.includes('%')"
        )
        assert phone.errors == []  # type: ignore[attr-defined]
