"""The page's own words in the reader's language, and which language a request is answered in.

The server answers each request in one language (:func:`language_of`: the page's choice,
sent as ``?lang=``; else the browser's ``Accept-Language``; else ``MRASIM_LANG`` or the
locale) and runs it inside :func:`sim.language.use`, a context variable, so two tabs in two
languages never see each other's words. The page's static text is filled in by the server
(:func:`page_html`: ``{{key}}`` in ``static/index.html`` is :data:`PAGE_TEXT`'s message,
translated), and what its script writes is handed to it as a JSON dictionary of the
catalogs' translations of the ``_("...")`` calls in ``static/app.js`` (:func:`script_messages`),
so every word the page shows comes from the same ``.po`` files as the report's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from html import escape
from pathlib import Path

from sim.language import LANGUAGES, N_, _, active
from sim.language.catalog import translations
from sim.report.interactive import plotly_locale

STATIC = Path(__file__).parent / "static"
LANGUAGE_NAMES = {"es": "Español", "pt": "Português", "en": "English"}
"""Each language in its own words: a reader finds theirs whatever the page speaks now."""
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

PAGE_TEXT = {
    "page_title": N_("mrasim explore"),
    "heading": N_("The regional AEO arrangement, live"),
    "loading": N_("Loading the scenario…"),
    "language": N_("Language"),
    "question": N_("The question"),
    "compare_against": N_("Compare against"),
    "without": N_("the arrangement not in force"),
    "at_scenario": N_("the arrangement at the scenario's utilisation"),
    "utilisation": N_("Utilisation:"),
    "utilisation_hint": N_(
        "The share of eligible (partner-AEO) shipments whose declaration claims recognition."
    ),
    "sweep": N_("Sweep utilisation over"),
    "sweep_label": N_("utilisation levels, in percent"),
    "grants": N_("What recognition grants a partner AEO"),
    "control": N_("Control: infractions and checks"),
    "freed": N_("Checks recognition frees"),
    "freed_release": N_("are not made (queues shorten)"),
    "freed_retarget": N_("go to the next-riskiest declarations"),
    "auc": N_("Risk score's power (AUC):"),
    "prevalence": N_("Standard declarations infringing:"),
    "partner": N_("Partner AEOs' declarations infringing:"),
    "control_hint": N_(
        "Assumptions, not published figures; 0.5 is a score that knows nothing (random selection)."
    ),
    "show": N_("Show"),
    "ports": N_("Ports"),
    "all_modes": N_("all modes"),
    "show_hint": N_("One country (or one mode) is simulated alone, so its numbers come first."),
    "staffing": N_("Staffing: servers × a multiplier"),
    "staffing_hint": N_(
        "Each station type's servers at every port of the country, times the multiplier (a "
        "whole number, at least 1)."
    ),
    "unknown": N_("What we do not know"),
    "draw_inputs": N_("Draw the uncertain inputs"),
    "draws": N_("draws"),
    "draws_hint": N_(
        "The scenario's uncertain inputs, drawn this many times, each draw run for the "
        "replications below: the answer leads with the plausible range, which settles as the "
        "draws arrive. What the controls set is not drawn."
    ),
    "replications": N_("Replications"),
    "of_each": N_("of each scenario"),
    "seed": N_("seed"),
    "reproduce": N_("Reproduce"),
    "command_note": N_("The same numbers from the command line:"),
    "copy": N_("Copy the command"),
    "download": N_("Download this setting as a scenario (YAML)"),
    "starting": N_("Starting…"),
}
"""The words of ``static/index.html``, by the ``{{key}}`` that stands for each there."""


def language_of(asked: str | None, accept: str | None) -> str:
    """The language to answer in: the page's choice (``?lang=``), else the first of the
    browser's languages mrasim writes, else the environment's (:func:`sim.language.active`).
    A language mrasim does not write is not an error here: the page falls back to the next."""
    for tag in [asked or "", *_accepted(accept or "")]:
        language = tag.strip().replace("_", "-").split("-")[0].lower()
        if language in LANGUAGES:
            return language
    return active()


def _accepted(header: str) -> list[str]:
    """``Accept-Language``'s tags, most wanted first (``es-PE,es;q=0.9,en;q=0.8``)."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _quality, _position, tag in sorted(weighted)]


def page_html() -> str:
    """``static/index.html`` in the active language: its ``{{key}}`` words translated, its
    ``lang``, the language switch and the script's messages filled in."""
    language = active()
    filled = {key: escape(_(message)) for key, message in PAGE_TEXT.items()}
    filled["lang"] = language
    filled["languages"] = "".join(
        f'<option value="{code}"{" selected" if code == language else ""}>{name}</option>'
        for code, name in LANGUAGE_NAMES.items()
    )
    # a JSON island: "<" written as \u003c, so no text in it can close the <script>
    messages = {**script_messages(language), **plotly_locale()}  # Plotly's toolbar too
    filled["messages"] = json.dumps(messages).replace("<", "\\u003c")
    return PLACEHOLDER.sub(lambda match: filled[match.group(1)], _template())


@cache
def _template() -> str:
    return (STATIC / "index.html").read_text(encoding="utf-8")


@cache
def script_messages(language: str) -> Mapping[str, str]:
    """What ``static/app.js`` says (its ``_("...")`` calls, as the catalog extractor finds
    them, with the rest of the explorer's messages), translated into ``language``: English
    text to translation, only where the two differ."""
    from sim.language.catalogs import extract

    said = translations(language)
    messages = {}
    for context, text in extract([STATIC.parent]):
        if context is not None:
            continue
        translated = said.gettext(text)
        if translated != text:
            messages[text] = translated
    return messages
