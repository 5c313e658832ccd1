"""The command line in Spanish and Portuguese: ``--lang`` (anywhere), ``MRASIM_LANG``, argparse's
own words, every help text, and every error still one line naming the file and the field as
written, with status 2 and nothing written.

The other tests run in English (``MRASIM_LANG=en``, set in ``tests/conftest.py``); these ask for
a language by flag or by environment, in-process (:func:`sim.cli.main`) or through the console
script.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import sim.cli
from sim.cli import argparse_text, language_flag
from sim.cli.command_line import _without_language
from sim.cli.parser import build_parser
from sim.language import use
from sim.replicate.runner import said_stop_reason
from tests.cli.test_bad_input import BASE, STATION, Outcome, assert_one_line, cli, mutated
from tests.cli.test_cli import _console_script


def scenario(tmp_path: Path, data: dict[str, object] = BASE, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def console(*args: str | Path, **environ: str) -> Outcome:
    """The installed ``mrasim`` in a subprocess, with ``environ`` added to the environment."""
    env = {**os.environ, "COLUMNS": "100", **environ}
    done = subprocess.run(
        [_console_script(), *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


# --- where the language comes from ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (["run", "--lang", "es"], "es"),
        (["--lang=pt", "compare"], "pt"),
        (["--lang", "es", "run", "--lang", "pt"], "pt"),
        (["run", "--", "--lang", "es"], None),
        (["run", "--lang"], None),
        (["run", "-n", "2"], None),
    ],
)
def test_the_flag_is_found_before_argparse_reads_the_line(
    typed: list[str], expected: str | None
) -> None:
    assert language_flag(typed) == expected


def test_run_in_spanish_runs_and_says_how_in_spanish(tmp_path: Path) -> None:
    done = console("run", scenario(tmp_path), "-n", "2", "-w", "1", "--lang", "es")
    assert done.status == 0, done.err
    footer = done.out.strip().splitlines()[-1]
    assert "motor numba, semilla" in footer and "proceso de trabajo" in footer, footer
    assert "engine" not in footer and "seed" not in footer


def test_mrasim_lang_in_the_environment_makes_validate_speak_portuguese(tmp_path: Path) -> None:
    path = scenario(tmp_path)
    done = console("validate", path, MRASIM_LANG="pt")
    assert done.status == 0, done.err
    assert f"{path}: válido" in done.out
    assert "tamanho: " in done.out and "disponíveis" in done.out
    assert ": valid\n" not in done.out and "size: " not in done.out


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_language_mrasim_does_not_write_is_one_line_and_status_2(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(scenario(tmp_path))
    args = (
        ["--lang", "fr", "validate", path] if where == "before" else ["validate", path, "--lang=fr"]
    )
    result = cli(args, capsys)
    assert_one_line(result, "mrasim: --lang: ", "'fr'", "en, es, pt")


def test_mrasim_lang_naming_an_unknown_language_is_one_line_and_status_2(
    tmp_path: Path,
) -> None:
    done = console("validate", scenario(tmp_path), MRASIM_LANG="de")
    assert_one_line(done, "mrasim: MRASIM_LANG: ", "'de'")


# --- errors: translated, still naming the file and the field as written -----------------------


def test_a_scenario_error_in_spanish_names_file_and_field_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = scenario(tmp_path, mutated({f"{STATION}.calendar": "night"}))
    out = tmp_path / "out"
    result = cli(["run", str(path), "-n", "2", "-q", "--out", str(out), "--lang", "es"], capsys)
    assert_one_line(
        result,
        f"mrasim: {path}: {STATION}.calendar: ",
        "el calendario 'night' no está definido; definidos: office",
    )
    assert not out.exists() or not any(out.iterdir())


def test_a_validation_error_in_portuguese_is_said_by_its_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = scenario(tmp_path, mutated({f"{STATION}.servers": 0}))
    result = cli(["validate", str(path), "--lang", "pt"], capsys)
    assert_one_line(
        result, f"{path}: {STATION}.servers: ", "O valor deve ser maior que 0 (recebido 0)"
    )


def test_a_validators_own_text_is_translated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uniform = {"dist": "uniform", "low": 2, "high": 1}
    path = scenario(tmp_path, mutated({f"{STATION}.service_h": uniform}))
    result = cli(["validate", str(path), "--lang", "es"], capsys)
    assert_one_line(result, f"{STATION}.service_h", "low (2.0) debe ser menor que high (1.0)")


def test_a_set_override_error_keeps_the_option_and_path_as_typed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = cli(["validate", "one-office", "--set", "seed", "--lang", "es"], capsys)
    assert_one_line(result, "mrasim: --set: seed: se esperaba ruta.al.campo=valor")


# --- argparse's own words ----------------------------------------------------------------------


def test_argparse_says_unrecognized_arguments_in_spanish(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = cli(["run", "--lang", "es", "--bogus"], capsys)
    assert_one_line(result, "mrasim: argumentos no reconocidos: --bogus")


def test_argparse_says_a_bad_choice_and_a_bad_number_in_portuguese(
    capsys: pytest.CaptureFixture[str],
) -> None:
    choice = cli(["--lang", "pt", "run", "--engine", "foo"], capsys)
    assert_one_line(choice, "argumento --engine: opção inválida: 'foo' (escolha entre")
    number = cli(["--lang", "pt", "run", "-n", "0"], capsys)
    assert_one_line(number, "argumento -n/--replications: deve ser pelo menos 1; recebido 0")
    required = cli(["--lang", "pt", "calibrate"], capsys)
    assert_one_line(required, "os seguintes argumentos são obrigatórios: --scenario, --out")


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_argparse_message_and_its_plural_is_translated(language: str) -> None:
    argparse_text.install()
    with use(language):
        for message in argparse_text.MESSAGES:
            said = argparse._(message)  # type: ignore[attr-defined]
            assert said != message or message.startswith("%(prog)s: "), message
        assert argparse_text.counted(1) != argparse_text.counted(2)
        assert argparse_text.counted(2) not in ("expected %s argument", "expected %s arguments")
        assert "%s" in argparse_text.counted(2)


# --- help, wholly in the language, within 100 columns -----------------------------------------


def _help_texts(parser: argparse.ArgumentParser) -> set[str]:
    """Every help text and description of a parser and its subcommands, in English."""
    texts = {parser.description or ""}
    for action in parser._actions:
        texts.add(action.help or "")
        for choice in getattr(action, "_choices_actions", []):
            texts.add(choice.help or "")
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                texts |= _help_texts(sub)
    return {text.replace("%%", "%") for text in texts if len(text) > 12}


@pytest.mark.parametrize("language", ["es", "pt"])
@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["compare"],
        ["report"],
        ["validate"],
        ["calibrate"],
        ["records"],
        ["records", "inspect"],
        ["trs"],
        ["experiment"],
        ["explore"],
    ],
    ids=lambda command: " ".join(command) or "mrasim",
)
def test_help_reads_wholly_in_the_language_within_100_columns(
    language: str,
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In-process (the console script is the same code: see the Ctrl-C test), as a terminal
    of 100 columns with ``MRASIM_LANG`` set."""
    with use("en"):
        english = _help_texts(build_parser())
    monkeypatch.setenv("MRASIM_LANG", language)
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as stopped:
        sim.cli.main([*command, "--help"])
    assert stopped.value.code in (0, None)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("uso: mrasim")
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    flowing = " ".join(out.split())
    for words in ("usage:", "options:", "positional arguments", "show this help"):
        assert words not in flowing
    for text in english:
        # six consecutive words of an English help text, three of them plain words (not a list
        # of names such as the trader groups, which stay as written), would betray it
        words = text.split()
        for i in range(max(len(words) - 5, 1)):
            window = words[i : i + 6]
            if sum(re.fullmatch(r"[a-z]{3,}", word) is not None for word in window) >= 3:
                assert " ".join(window) not in flowing, text


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["validate", "one-office", "--lang", "es"], "mrasim: interrumpido; no se escribió nada\n"),
        (["--lang=pt", "run"], "mrasim: interrompido; nada foi gravado\n"),
        (["run", "--lang", "fr"], "mrasim: interrupted; nothing written\n"),
    ],
)
def test_ctrl_c_while_the_modules_load_is_said_in_the_language(
    argv: list[str], line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console script's own line, before the command's modules are loaded (its timing is
    tested in tests/signals), is the sentence the command says after: in the language asked
    for, else in English."""
    monkeypatch.setattr(sys, "argv", ["mrasim", *argv])
    assert sim.cli._interrupted_line() == line.encode()


# --- the other commands' errors, and what a run says of how it stopped -------------------------


def test_an_experiment_files_misspelt_field_in_portuguese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "study.yaml"
    scenario_path = scenario(tmp_path)
    path.write_text(
        f"name: study\nscenario: {scenario_path.name}\ndesign: {{type: grid}}\n"
        "factors: {arrangement.utilisation: [0, 1]}\nreplications: 2\nindicatorz: [shipments]\n",
        encoding="utf-8",
    )
    result = cli(["experiment", str(path), "--lang", "pt"], capsys)
    assert_one_line(
        result, f"{path}: indicatorz: ", "campo desconhecido; você quis dizer 'indicators'?"
    )


def test_a_record_file_that_is_not_there_in_spanish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "aduana.csv"
    result = cli(["trs", str(missing), "--lang", "es"], capsys)
    assert_one_line(result, f"mrasim: {missing}: no existe el archivo")


@pytest.mark.parametrize(
    ("reason", "spanish"),
    [
        ("10 replications as asked", "10 réplicas, según lo pedido"),
        (
            "precision 0.01 reached after 37 replications",
            "precisión 0.01 alcanzada tras 37 réplicas",
        ),
        (
            "stopped at the cap of 1000 replications before reaching precision 0.005",
            "detenido en el tope de 1000 réplicas antes de alcanzar la precisión 0.005",
        ),
        ("any other reason", "any other reason"),
    ],
)
def test_the_recorded_stop_reason_is_said_in_the_language(reason: str, spanish: str) -> None:
    with use("en"):
        assert said_stop_reason(reason) == reason
    with use("es"):
        assert said_stop_reason(reason) == spanish


@pytest.mark.parametrize(
    ("typed", "rest"),
    [
        ([], []),
        (["--lang", "es"], []),
        (["--lang=pt"], []),
        (["--lang", "es", "run", "-n", "2"], ["run", "-n", "2"]),
    ],
)
def test_mrasim_with_only_a_language_answers_the_question_too(
    typed: list[str], rest: list[str]
) -> None:
    """What is left once the language is taken decides whether `compare` is meant."""
    assert _without_language(typed) == rest


def test_the_systems_reason_is_said_in_the_language_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothere.yaml"
    result = cli(["validate", str(missing), "--lang", "es"], capsys)
    assert_one_line(
        result,
        f"mrasim: {missing}: no se puede leer el archivo (no existe el archivo o directorio)",
    )
    english = cli(["validate", str(missing)], capsys)
    assert_one_line(english, f"{missing}: cannot read the file (No such file or directory)")
