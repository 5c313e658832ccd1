"""ISO 3166-1 alpha-3 country codes (249), for validating origins and countries; the
signatories' names, and the reading of a country a user names by code or name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sim.errors import InputError
from sim.language import _, active

ALPHA3 = frozenset(
    """
    ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA
    BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN
    CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU
    EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB
    GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL
    ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO
    LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR
    MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER
    PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM
    SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK
    TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM
    VUT WLF WSM YEM ZAF ZMB ZWE
    """.split()
)

OTHER = "OTHER"
"""The rest of the world, for origin shares."""

REGIONAL_MRA_2022 = ("ARG", "BOL", "BRA", "CHL", "COL", "CRI", "DOM", "GTM", "PER", "PRY", "URY")
"""The 11 signatories of the May 2022 regional AEO MRA (GATF; aaaci.org.ar/?p=14508)."""

NAMES = {
    "ARG": "Argentina",
    "BOL": "Bolivia",
    "BRA": "Brazil",
    "CHL": "Chile",
    "COL": "Colombia",
    "CRI": "Costa Rica",
    "DOM": "Dominican Republic",
    "GTM": "Guatemala",
    "PER": "Peru",
    "PRY": "Paraguay",
    "URY": "Uruguay",
}
"""Names of the signatories, for reports; other codes are shown as they are."""


TRANSLATED_NAMES = {
    "es": {
        "BRA": "Brasil",
        "DOM": "República Dominicana",
        "PER": "Perú",
    },
    "pt": {
        "BOL": "Bolívia",
        "BRA": "Brasil",
        "COL": "Colômbia",
        "DOM": "República Dominicana",
        "PRY": "Paraguai",
        "URY": "Uruguai",
    },
}
"""The signatories' names in Spanish and Portuguese where they are not the English ones (the
CLDR's, as each country writes itself): a Spanish page says *Perú*, a Portuguese one
*Paraguai*. Data, like :mod:`sim.language.terms`: a country's name is not a translator's
choice."""


def country_name(code: str) -> str:
    """A signatory's name in the active language, else the code."""
    return TRANSLATED_NAMES.get(active(), {}).get(code) or NAMES.get(code, code)


OTHER_NAMES = {
    "BRA": ("Brasil",),
    "DOM": ("República Dominicana", "Dominican Rep", "Rep Dominicana"),
    "PER": ("Perú",),
    "PRY": ("Paraguai",),
    "URY": ("Uruguai",),
}
"""The signatories' names in Spanish or Portuguese where they differ from the English beyond
accents (accents, case, spaces and hyphens never matter: ``perú``, ``COSTA-RICA``)."""


def _folded(text: str) -> str:
    """``Perú`` -> ``peru``, ``Costa-Rica`` -> ``costa rica``: case, accents, punctuation gone."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join("".join(c if c.isalnum() else " " for c in plain.casefold()).split())


def country_code(text: str, codes: Sequence[str]) -> str | None:
    """The code among ``codes`` that ``text`` names: an ISO code or a name, in any case, with or
    without accents (``PER``, ``per``, ``Peru``, ``perú``); None when it names none of them."""
    wanted = _folded(text)
    for code in codes:
        names = (code, NAMES.get(code, code), *OTHER_NAMES.get(code, ()))
        if wanted in {_folded(name) for name in names}:
            return code
    return None


def country_codes(
    given: Iterable[str], codes: Sequence[str], source: str = "--country"
) -> list[str]:
    """The codes that ``given`` names (each as :func:`country_code` reads it), in the order
    given, each once.

    The one reading of a country the user typed, for the command line and the Python API
    alike: a name that is not a country of the results is bad input, answered with the
    names to choose from (as the tables print them, in alphabetical order).
    """
    found: list[str] = []
    for text in given:
        code = country_code(text, codes)
        if code is None:
            choices = ", ".join(sorted((country_name(c) for c in codes), key=_folded))
            raise InputError(
                source,
                text,
                _("not a country of this scenario; choose from {choices}").format(choices=choices),
            )
        if code not in found:
            found.append(code)
    return found


def by_name(code: str) -> str:
    """Sort key of a country by the name shown for it (Paraguay before Peru, not after)."""
    return _folded(country_name(code))
