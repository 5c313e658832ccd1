"""The answer sentence in English, Spanish and Portuguese, read for grammar once and kept.

Built from a comparison table with chosen estimates (:mod:`answer_cases`), so the words are
the only thing that can change them. Each expected sentence was read in full: agreement
(*los envíos ... se despachan*, *as remessas ... são despachadas*, *los demás envíos no se
ven afectados*, *as demais remessas não são afetadas*), gender (*el costo de la demora*, *o
custo do atraso*), Portuguese's article before a country (*no Peru*, *no Chile*), the plural of
days and of Brazil's *milhão*, and decimal commas.
"""

from __future__ import annotations

import pytest
from answer_cases import comparison, sweep

from sim.interpret.answer import annualised_words, answer_from
from sim.interpret.terminal import View, comparison_digest, indicator_name
from sim.language import use

REGION = {
    "en": (
        "With the arrangement in force and 40% of eligible shipments claiming recognition, "
        "partner-AEO shipments clear 4.9% sooner across the region (pooled over countries whose "
        "clocks may differ) and get 7.2 points more green channel; within countries, they clear "
        "sooner in 2 of 3 countries, by 5.0% (Brazil) to 16% (Peru) of their clearance time, "
        "with no detectable change in Chile; other shipments are unaffected (changes within "
        "±1.8 min); importers save USD 3.6 M a year in cost of delay (USD 3.3 M to 3.8 M; "
        "annualised from 28 days, at an assumed 1.3% of the goods' declared value per day)."
    ),
    "es": (
        "Con el acuerdo en vigor y el 40% de los envíos elegibles acogidos al reconocimiento, "
        "los envíos de OEA de países socios se despachan un 4,9% antes en la región (agregado "
        "sobre países cuyos relojes pueden diferir) y su proporción en canal verde sube 7,2 "
        "puntos; dentro de cada país, se despachan antes en 2 de 3 países, del 5,0% (Brasil) al "
        "16% (Perú) de su tiempo de despacho, sin cambio detectable en Chile; los demás envíos "
        "no se ven afectados (cambios dentro de ±1,8 min); los importadores ahorran USD 3,6 M "
        "al año en costo de la demora (USD 3,3 M a 3,8 M; anualizado a partir de 28 días, con "
        "un supuesto del 1,3% del valor declarado de la mercancía por día)."
    ),
    "pt": (
        "Com o acordo em vigor e 40% das remessas elegíveis solicitando o reconhecimento, as "
        "remessas de OEA de países parceiros são despachadas 4,9% mais cedo na região "
        "(agregado sobre países cujos relógios podem diferir) e sua participação no canal verde "
        "sobe 7,2 pontos; dentro de cada país, são despachadas mais cedo em 2 de 3 países, de "
        "5,0% (Brasil) a 16% (Peru) do seu tempo de despacho, sem mudança detectável no Chile; "
        "as demais remessas não são afetadas (mudanças dentro de ±1,8 min); os importadores "
        "economizam US$ 3,6 milhões por ano em custo do atraso (US$ 3,3 milhões a 3,8 milhões; "
        "anualizado a partir de 28 dias, supondo 1,3% do valor declarado da mercadoria por dia)."
    ),
}

PERU = {
    "en": (
        "With the arrangement in force and 40% of eligible shipments claiming recognition, "
        "partner-AEO shipments in Peru clear 3.2 h (16%) sooner and get 9.6 points more green "
        "channel; other shipments are unaffected (changes within ±1.8 min); importers save "
        "USD 1.5 M a year in cost of delay (USD 1.3 M to 1.6 M; annualised from 28 days, at an "
        "assumed 1.3% of the goods' declared value per day)."
    ),
    "es": (
        "Con el acuerdo en vigor y el 40% de los envíos elegibles acogidos al reconocimiento, "
        "los envíos de OEA de países socios en Perú se despachan 3,2 h (16%) antes y su "
        "proporción en canal verde sube 9,6 puntos; los demás envíos no se ven afectados "
        "(cambios dentro de ±1,8 min); los importadores ahorran USD 1,5 M al año en costo de "
        "la demora (USD 1,3 M a 1,6 M; anualizado a partir de 28 días, con un supuesto del 1,3% "
        "del valor declarado de la mercancía por día)."
    ),
    "pt": (
        "Com o acordo em vigor e 40% das remessas elegíveis solicitando o reconhecimento, as "
        "remessas de OEA de países parceiros no Peru são despachadas 3,2 h (16%) mais cedo e "
        "sua participação no canal verde sobe 9,6 pontos; as demais remessas não são afetadas "
        "(mudanças dentro de ±1,8 min); os importadores economizam US$ 1,5 milhão por ano em "
        "custo do atraso (US$ 1,3 milhão a 1,6 milhão; anualizado a partir de 28 dias, supondo "
        "1,3% do valor declarado da mercadoria por dia)."
    ),
}

SWEEP = {
    "en": (
        "As utilisation rises from 20% to 80% of eligible shipments, partner-AEO shipments "
        "clear 0.85 h (2.4%) to 3.4 h (9.7%) sooner and get 3.6 to 14 points more green "
        "channel; other shipments are unaffected (changes within ±1.8 min); the annual cost of "
        "delay saved grows from USD 1.8 M to USD 7.2 M (annualised from 28 days, at an assumed "
        "1.3% of the goods' declared value per day)."
    ),
    "es": (
        "A medida que la utilización sube del 20% al 80% de los envíos elegibles, los envíos "
        "de OEA de países socios se despachan de 0,85 h (2,4%) a 3,4 h (9,7%) antes y su "
        "proporción en canal verde sube de 3,6 a 14 puntos; los demás envíos no se ven "
        "afectados (cambios dentro de ±1,8 min); el ahorro anual en costo de la demora crece "
        "de USD 1,8 M a USD 7,2 M (anualizado a partir de 28 días, con un supuesto del 1,3% del "
        "valor declarado de la mercancía por día)."
    ),
    "pt": (
        "À medida que a utilização sobe de 20% para 80% das remessas elegíveis, as remessas de "
        "OEA de países parceiros são despachadas de 0,85 h (2,4%) a 3,4 h (9,7%) mais cedo e "
        "sua participação no canal verde sobe de 3,6 a 14 pontos; as demais remessas não são "
        "afetadas (mudanças dentro de ±1,8 min); a economia anual em custo do atraso cresce de "
        "US$ 1,8 milhão para US$ 7,2 milhões (anualizado a partir de 28 dias, supondo 1,3% do "
        "valor declarado da mercadoria por dia)."
    ),
}


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_the_region(language: str) -> None:
    table, settings = comparison()
    with use(language):
        assert answer_from(table, settings).sentences == [REGION[language]]


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_one_country(language: str) -> None:
    table, settings = comparison()
    with use(language):
        assert answer_from(table, settings, ["PER"]).sentences == [PERU[language]]


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_a_utilisation_sweep(language: str) -> None:
    table, settings = sweep()
    with use(language):
        assert answer_from(table, settings).sentences == [SWEEP[language]]


def test_the_language_is_the_one_spoken_when_the_answer_is_made() -> None:
    """No sentence is fixed at import: the same table, read in each language in turn."""
    table, settings = comparison()
    said = []
    for language in ("pt", "en", "es", "pt"):
        with use(language):
            said.append(answer_from(table, settings).sentences[0])
    assert said == [REGION["pt"], REGION["en"], REGION["es"], REGION["pt"]]


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [
        ("en", 1.0, "annualised from 1 day"),
        ("en", 28.0, "annualised from 28 days"),
        ("es", 1.0, "anualizado a partir de 1 día"),
        ("es", 1.5, "anualizado a partir de 1,5 días"),
        ("pt", 1.5, "anualizado a partir de 1,5 dia"),  # Portuguese: singular below two
        ("pt", 28.0, "anualizado a partir de 28 dias"),
    ],
)
def test_days_in_the_singular_and_plural(language: str, days: float, expected: str) -> None:
    with use(language):
        assert annualised_words([days]) == expected


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [
        ("es", "PER", "proporción en canal naranja"),  # SUNAT's word for the yellow channel
        ("es", "CHL", "proporción en canal amarillo"),
        ("es", None, "proporción en canal amarillo"),
        ("pt", "BRA", "participação no canal amarelo"),
        ("en", "PER", "yellow share"),
    ],
)
def test_a_table_of_one_country_uses_its_words(
    language: str, country: str | None, expected: str
) -> None:
    with use(language):
        assert indicator_name("yellow_share", country) == expected


def test_peru_s_digest_says_naranja_and_the_region_s_amarillo() -> None:
    table, _settings = comparison()
    with use("es"):
        peru = comparison_digest(table, View(countries=["PER"], metrics=["yellow_share"]))
        every = comparison_digest(table, View(metrics=["yellow_share"]))
    assert "proporción en canal naranja" in peru and "amarillo" not in peru
    assert "proporción en canal amarillo" in every and "naranja" not in every
