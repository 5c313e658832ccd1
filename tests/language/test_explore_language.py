"""The explorer answers each request in its own language: the page's choice (``?lang=``),
else the browser's (``Accept-Language``), else the environment's; requests in different
languages at the same time never see each other's words (the language is a context
variable, and each request runs in its own)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import LiveServer, small_region

from sim.explore.server import create_app
from sim.explore.words import language_of
from sim.model.load import load_scenario

CHANNELS = {
    "en": "national AEOs' channel probabilities",
    "es": "probabilidades de canal de los OEA nacionales",
    "pt": "probabilidades de canal dos OEA nacionais",
}
"""The first switch of what recognition grants, as each language labels it."""


@pytest.mark.parametrize(
    ("asked", "accept", "expected"),
    [
        ("pt", "es-PE,es;q=0.9", "pt"),  # the page's choice first
        ("", "es-PE,es;q=0.9,en;q=0.8", "es"),
        ("", "fr-FR,fr;q=0.9,pt-BR;q=0.8,es;q=0.5", "pt"),  # the first it writes
        ("", "en;q=0.2, es;q=0.7", "es"),  # by weight, not by order
        ("", "es;q=0, pt", "pt"),  # q=0: not wanted
        ("xx", "de", "en"),  # nothing it writes: the environment's (tests: English)
        ("", "", "en"),
    ],
)
def test_the_language_of_a_request(asked: str, accept: str, expected: str) -> None:
    assert language_of(asked, accept) == expected


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    scenario = load_scenario(small_region(tmp_path_factory.mktemp("explore-language")))
    with LiveServer(create_app(scenario, workers=1)) as live:
        yield live


def fetch(server: LiveServer, path: str, accept: str = "") -> tuple[str, str]:
    """(body, content type) of a GET, sent with ``Accept-Language: accept``."""
    request = urllib.request.Request(server.url + path, headers={"Accept-Language": accept})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return reply.read().decode("utf-8"), reply.headers.get("content-type", "")


def labels(server: LiveServer, path: str, accept: str = "") -> tuple[str, str]:
    """The language /api/scenario answered in, and its first grant's label."""
    body, _kind = fetch(server, path, accept)
    described = json.loads(body)
    return described["language"], described["grants"][0]["label"]


def test_the_page_and_its_api_speak_the_language_asked(server: LiveServer) -> None:
    page, kind = fetch(server, "/", "pt-BR,pt;q=0.9")
    assert kind.startswith("text/html")
    assert '<html lang="pt">' in page and "A pergunta" in page and "{{" not in page
    assert '<option value="pt" selected>Português</option>' in page
    assert labels(server, "/api/scenario", "es-CO") == ("es", CHANNELS["es"])
    assert labels(server, "/api/scenario?lang=pt", "es-CO") == ("pt", CHANNELS["pt"])
    assert labels(server, "/api/scenario") == ("en", CHANNELS["en"])


def test_requests_in_several_languages_at_once_keep_their_own(server: LiveServer) -> None:
    asked = ["es", "pt", "en"] * 12
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda lang: labels(server, f"/api/scenario?lang={lang}"), asked))
    assert answers == [(lang, CHANNELS[lang]) for lang in asked]


def test_the_script_gets_its_messages_translated(server: LiveServer) -> None:
    page, _kind = fetch(server, "/?lang=es")
    start = page.index('<script type="application/json" id="messages">') + len(
        '<script type="application/json" id="messages">'
    )
    messages = json.loads(page[start : page.index("</script>", start)])
    assert messages["All countries"] == "Todos los países"  # said by app.js
    assert messages["Reset axes"] == "Restablecer ejes"  # Plotly's own toolbar
    assert all(english != spanish for english, spanish in messages.items())


def test_an_error_is_said_in_the_language_asked(server: LiveServer) -> None:
    request = urllib.request.Request(server.url + "/api/state?session=nosuchtab&lang=pt")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    error = json.loads(refused.value.read())["error"]
    assert refused.value.code == 404 and error.startswith("não há execução para esta aba")


def test_a_control_checked_in_a_worker_thread_is_refused_in_the_language_asked(
    server: LiveServer,
) -> None:
    """/api/run checks the controls in the server's thread pool: the thread speaks the
    request's language (the context variable goes with the call)."""
    body = json.dumps({"session": "tab-language-1", "controls": {"countries": []}}).encode()
    request = urllib.request.Request(
        server.url + "/api/run?lang=es",
        data=body,
        headers={"Content-Type": "application/json", "Origin": server.url},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["error"] == "countries: elija al menos un país"
