"""The report in a real browser: Debian's headless chromium, driven by Playwright.

Playwright is pointed at the system browser (``executable_path``) and never downloads
one of its own; ``.ci/run`` installs chromium with apt-get when it is absent. The
report of a small comparison opens with no console errors and leads with the answer
on the first screen; its numbers are those of ``comparison.csv``; printing opens
every folded table. A screenshot is saved for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from helpers import (
    area_row,
    assert_answer_table,
    assert_printed,
    playwright_or_skip,
    system_chromium,
    watched_page,
)

import sim.cli.commands
from sim.model.iso3166 import by_name
from sim.replicate.result import Where
from sim.report.policy import write_report
from sim.results.files import read_results

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"
VIEWPORT = {"width": 1400, "height": 900}

sync_api = playwright_or_skip()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-country comparison (Peru and a Chilean copy of its port) and its report."""
    import yaml

    work = tmp_path_factory.mktemp("browser")
    data = yaml.safe_load(SCENARIO.read_text())
    port = dict(data["countries"]["PER"]["ports"]["callao"])
    port["origins"] = {"CHN": 0.5, "PER": 0.2, "BRA": 0.1, "ARG": 0.1, "OTHER": 0.1}
    data["countries"]["CHL"]["ports"] = {"valparaiso": port}
    path = work / "two-countries.yaml"
    path.write_text(yaml.safe_dump(data))
    out = work / "out"
    args = ["compare", path, "-n", "4", "-w", "1", "--set", "horizon_days=5", "-q", "--out", out]
    assert sim.cli.main([str(a) for a in args]) == 0
    write_report(out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with system_chromium(sync_api) as launched:
        yield launched


@pytest.fixture
def page(browser: object, folder: Path) -> Iterator[object]:
    with watched_page(browser, (folder / "report.html").as_uri(), VIEWPORT) as page:
        yield page


def test_report_opens_without_errors_with_the_answer_on_the_first_screen(
    page: object, tmp_path: Path
) -> None:
    assert page.errors == []  # type: ignore[attr-defined]
    answer = page.locator("#answer")  # type: ignore[attr-defined]
    box = answer.bounding_box()
    assert box is not None and box["y"] < VIEWPORT["height"] / 2, "the answer leads the page"
    assert "partner-AEO shipments" in answer.inner_text()
    assumptions = page.locator("#assumptions").bounding_box()  # type: ignore[attr-defined]
    assert assumptions is not None and assumptions["y"] > box["y"]
    for anchor in page.locator("nav#contents a").all():  # type: ignore[attr-defined]
        target = anchor.get_attribute("href")
        assert page.locator(target).count() == 1, target  # type: ignore[attr-defined]
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)  # type: ignore[attr-defined]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = os.environ.get("MRASIM_SCREENSHOTS")
    if saved:  # keep it for a person to look at
        shutil.copy(shot, Path(saved) / "report.png")


def test_answer_numbers_are_those_of_comparison_csv(page: object, folder: Path) -> None:
    table = pd.read_csv(folder / "comparison.csv")
    assert_answer_table(page, table, horizon_days=5)
    sentence = page.locator("p.sentence").first.inner_text()  # type: ignore[attr-defined]
    green = area_row(
        table, kind="difference", country="all", group="eligible", metric="green_share"
    )
    assert_printed(re.search(r"get ([0-9.]+) points", sentence).group(1), green["mean"], 100.0)


def test_printing_opens_every_folded_table(page: object) -> None:
    folded = page.locator("details:not([open])").count()  # type: ignore[attr-defined]
    assert folded > 0
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # type: ignore[attr-defined]
    assert page.locator("details:not([open])").count() == 0  # type: ignore[attr-defined]
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")  # type: ignore[attr-defined]
    assert page.locator("details:not([open])").count() == folded  # type: ignore[attr-defined]


def test_report_reflows_on_a_phone(browser: object, folder: Path) -> None:
    phone = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    phone.goto((folder / "report.html").as_uri())
    page_width = phone.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390, "wide tables scroll inside their box, not the page"
    phone.close()


# --- a national brief: one country's page from the two-country run ------------------------


@pytest.mark.parametrize("width", [1300, 400])
def test_a_one_country_page_speaks_only_of_its_country(
    browser: object, folder: Path, width: int, tmp_path: Path
) -> None:
    """`mrasim report DIR --country Peru`, read at a desk and on a phone: the answer, its
    table and what it assumes speak of Peru alone, with the numbers of comparison.csv."""
    brief = write_report(folder, countries=["perú"])
    assert brief.name == "report-PER.html"
    viewport = {"width": width, "height": 900}
    with watched_page(browser, brief.as_uri(), viewport) as page:
        assert page.errors == []  # type: ignore[attr-defined]
        title = page.locator("h1").inner_text()  # type: ignore[attr-defined]
        assert title.startswith("Customs clearance in Peru")
        answer = page.locator("#answer").inner_text()  # type: ignore[attr-defined]
        assumes = page.locator("#assumptions").inner_text()  # type: ignore[attr-defined]
        for text in (answer, assumes):
            assert "Chile" not in text and "every country" not in text and "Region" not in text
        assert "partner-AEO shipments in Peru" in answer and "annualised from 5 days" in answer
        assert "of 1 ports in Peru" in assumes and "declared values per shipment in Peru" in assumes
        table = pd.read_csv(folder / "comparison.csv")
        assert_answer_table(page, table, horizon_days=5, shown=1)
        headings = page.locator("h3[id^=country-], h3#region").all_inner_texts()  # type: ignore[attr-defined]
        assert headings == ["PER – Peru"]
        scroll = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
        assert scroll <= width, "wide tables scroll inside their box, not the page"
        shot = tmp_path / f"brief-{width}.png"
        page.screenshot(path=str(shot), full_page=False)  # type: ignore[attr-defined]
        saved = os.environ.get("MRASIM_SCREENSHOTS")
        if saved:  # keep it for a person to look at
            shutil.copy(shot, Path(saved) / shot.name)


# --- the interactive figures -------------------------------------------------------------


@pytest.mark.parametrize("width", [1300, 400])
def test_the_figures_draw_offline_and_show_their_numbers_on_hover(
    browser: object, folder: Path, width: int, tmp_path: Path
) -> None:
    """Every request off the file is refused: the charts still draw (plotly.js is in the
    page), hovering the first point of the change shows its number, and the charts fit the
    screen, at a desk and on a phone."""
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    fetched: list[str] = []

    def refuse(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith("file:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            fetched.append(url)
            route.abort()  # type: ignore[attr-defined]

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", refuse)
    page.goto((folder / "report.html").as_uri())
    charts = page.locator("div.interactive .js-plotly-plot")
    assert charts.count() == 4 and errors == [] and fetched == []
    for chart in charts.all():
        box = chart.bounding_box()
        assert box is not None and box["width"] <= width and box["height"] > 200
    page.locator("#chart-change").scroll_into_view_if_needed()
    point = page.locator("#chart-change .scatterlayer .point").first.bounding_box()
    assert point is not None
    page.mouse.move(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    page.wait_for_function("document.querySelector('#chart-change .hoverlayer').textContent")
    shown = page.locator("#chart-change .hoverlayer").text_content()
    record = read_results(folder)
    first = sorted(record.countries, key=by_name)[0]  # the top row: countries by name
    change = record.relative(record.compared[0], Where(first, group="eligible"), "clearance_h_mean")
    assert f"{change.mean:+.3g}%" in shown, shown
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot = tmp_path / f"figures-{width}.png"
    page.locator("div.interactive").screenshot(path=str(shot))
    saved = os.environ.get("MRASIM_SCREENSHOTS")
    if saved:
        shutil.copy(shot, Path(saved) / shot.name)
    page.close()


def test_the_printed_page_shows_the_static_figures(browser: object, folder: Path) -> None:
    """On paper the interactive charts give way to the PNGs (which print at any size)."""
    with watched_page(browser, (folder / "report.html").as_uri(), VIEWPORT) as page:
        assert page.locator("div.static img").first.is_hidden()  # type: ignore[attr-defined]
        assert page.locator("div.interactive").is_visible()  # type: ignore[attr-defined]
        page.emulate_media(media="print")  # type: ignore[attr-defined]
        assert page.locator("div.static img").first.is_visible()  # type: ignore[attr-defined]
        assert page.locator("div.interactive").is_hidden()  # type: ignore[attr-defined]
