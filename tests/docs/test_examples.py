"""Every example in README.md and docs/ runs as printed.

The code blocks of each page are run in order, in a fresh working directory that holds a
copy of the repository's ``scenarios/``, ``calibration/`` and ``experiments/`` folders (so
relative paths such as ``scenarios/one-office.yaml`` work and nothing is written into the
checkout):

- a ``python`` block is executed; the blocks of one page share a namespace;
- a ``bash`` (or ``sh``, ``shell``) block whose every command is an ``mrasim`` invocation is
  run with this environment's ``mrasim`` and must exit with status 0;
- a ``console`` block holds ``$ mrasim ...`` commands, each followed by (an excerpt of) what
  it prints: each command must exit with status 0, and every line shown that holds no digit
  (headers, labels, sentences without numbers; ``...`` marks a cut) must appear in what it
  printed. Lines with numbers are left out: timings and memory differ between machines.

A block that should not run in the test (it installs software, starts a server or a
cluster, or takes longer than CI allows) carries an HTML comment on the line just before its
opening fence, ``<!-- not run: REASON -->``, and the reason may not be empty. A shell block
that runs anything but ``mrasim`` must carry one. A block preceded by
``<!-- write: PATH -->`` is written to PATH in the working directory before the blocks after
it run (an experiment file the next command reads, say).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
COPIED = ("scenarios", "calibration", "experiments")
PYTHON = {"python", "py"}
SHELL = {"bash", "sh", "shell"}
CONSOLE = {"console"}
BIN = Path(sys.executable).parent  # the environment whose mrasim is tested
TIMEOUT_S = 300  # a block that hangs fails instead of stalling CI

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)[^`]*$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not run:(?P<reason>.*?)-->\s*$")
_WRITE = re.compile(r"^\s*<!--\s*write:\s*(?P<path>\S+)\s*-->\s*$")
_MARK = re.compile(r"^\s*<!--\s*(not run|write)\b")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str  # path relative to the repository
    line: int  # line of the opening fence, from 1
    language: str
    code: str  # dedented to the fence's indentation
    not_run: str | None  # the reason given, or None when the block is meant to run
    write: str | None  # where to write it, if it is a file the next blocks read

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def code_blocks(text: str, page: str = "page.md") -> list[Block]:
    """The fenced code blocks of a Markdown text, in order, with their marks."""
    lines = text.splitlines()
    found = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        end = i + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(fence) and set(closing) == {fence[0]}:
                break
            end += 1
        body = [
            line[len(indent) :] if line.startswith(indent) else line.lstrip()
            for line in lines[i + 1 : end]
        ]
        before = lines[i - 1] if i > 0 else ""
        not_run, write = _NOT_RUN.match(before), _WRITE.match(before)
        found.append(
            Block(
                page=page,
                line=i + 1,
                language=opening["info"].lower(),
                code="\n".join(body) + "\n",
                not_run=not_run["reason"].strip() if not_run else None,
                write=write["path"] if write else None,
            )
        )
        i = end + 1
    return found


def page_blocks(path: Path) -> list[Block]:
    return code_blocks(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())


def dangling_marks(text: str) -> list[int]:
    """Lines of ``<!-- not run -->`` or ``<!-- write -->`` marks that no fence follows."""
    lines = text.splitlines()
    return [
        n + 1
        for n, line in enumerate(lines)
        if _MARK.match(line) and (n + 1 >= len(lines) or not _FENCE.match(lines[n + 1]))
    ]


def logical_lines(code: str) -> list[str]:
    """Shell lines with backslash continuations joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n", " ", code)
    return [
        line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def commands(line: str) -> list[list[str]]:
    """The simple commands of one shell line (split at ``&&``, ``||``, ``;`` and ``|``)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    parts: list[list[str]] = [[]]
    for token in lexer:
        if set(token) <= set(";&|"):
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]


def runs_only_mrasim(code: str) -> bool:
    return all(cmd[0] == "mrasim" for line in logical_lines(code) for cmd in commands(line))


@dataclass(frozen=True)
class Shown:
    """One ``$ command`` of a console block and the output lines the page shows for it."""

    command: str
    output: list[str]


def console_commands(code: str) -> list[Shown]:
    shown: list[Shown] = []
    lines = code.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command[:-1] + " " + lines[i].strip()
            shown.append(Shown(command, []))
        elif shown:
            shown[-1].output.append(line)
        i += 1
    return shown


def checked_lines(output: list[str]) -> list[str]:
    """The lines of shown output the test holds the command to: no digit, not a cut."""
    return [
        " ".join(line.split())
        for line in output
        if line.strip() and line.strip() not in {"...", "…"} and not re.search(r"\d", line)
    ]


# --- the pages' examples ------------------------------------------------------------------

BLOCKS = {path.relative_to(ROOT).as_posix(): page_blocks(path) for path in PAGES}
RUNNABLE = PYTHON | SHELL | CONSOLE
PAGES_WITH_CODE = [
    page
    for page, blocks in BLOCKS.items()
    if any(b.language in RUNNABLE and b.not_run is None for b in blocks)
]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("MRASIM_SCREENSHOTS", None)
    return env


def _shell(command: str, cwd: Path, where: str) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    printed = done.stdout + done.stderr
    assert done.returncode == 0, (
        f"{where}: exit status {done.returncode} from\n{command}\n--- output (last 40 lines):\n"
        + "\n".join(printed.splitlines()[-40:])
    )
    return printed


def _run_block(block: Block, cwd: Path, namespace: dict[str, object]) -> None:
    if block.language in PYTHON:
        exec(compile(block.code, block.where, "exec"), namespace)
    elif block.language in SHELL:
        _shell(block.code, cwd, block.where)
    elif block.language in CONSOLE:
        for shown in console_commands(block.code):
            printed = " ".join(_shell(shown.command, cwd, block.where).split())
            missing = [line for line in checked_lines(shown.output) if line not in printed]
            assert not missing, f"{block.where}: `{shown.command}` no longer prints {missing}"


@pytest.mark.parametrize("page", PAGES_WITH_CODE)
def test_examples_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's blocks in order, in a working directory of their own."""
    for folder in COPIED:
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    timings = []
    for block in BLOCKS[page]:
        if block.write is not None:
            target = tmp_path / block.write
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, encoding="utf-8")
        if block.not_run is not None or block.language not in RUNNABLE:
            continue
        start = time.perf_counter()
        _run_block(block, tmp_path, namespace)
        timings.append(f"{block.where} {time.perf_counter() - start:.1f} s")
    print("\n".join(timings))


# --- the marks are honest -----------------------------------------------------------------


def test_every_block_left_out_says_why() -> None:
    unexplained = [b.where for blocks in BLOCKS.values() for b in blocks if b.not_run == ""]
    assert not unexplained, f"<!-- not run: REASON --> needs a reason: {unexplained}"


def test_shell_blocks_that_run_more_than_mrasim_are_marked() -> None:
    unmarked = [
        b.where
        for blocks in BLOCKS.values()
        for b in blocks
        if b.language in SHELL and b.not_run is None and not runs_only_mrasim(b.code)
    ]
    assert not unmarked, f"shell blocks the test cannot run, without <!-- not run: -->: {unmarked}"


def test_console_blocks_show_commands_and_something_to_check() -> None:
    for blocks in BLOCKS.values():
        for block in blocks:
            if block.language not in CONSOLE or block.not_run is not None:
                continue
            shown = console_commands(block.code)
            assert shown, f"{block.where}: a console block starts its commands with '$ '"
            for item in shown:
                assert all(cmd[0] == "mrasim" for cmd in commands(item.command)), block.where
                if item.output:
                    assert checked_lines(item.output), f"{block.where}: no line of output to check"


def test_no_mark_is_left_without_a_block() -> None:
    for path in PAGES:
        lines = dangling_marks(path.read_text(encoding="utf-8"))
        assert not lines, f"{path.relative_to(ROOT)}: marks not just before a fence at {lines}"


# --- what other files rely on -------------------------------------------------------------

README = ROOT / "README.md"


def test_the_readme_opens_with_install_and_test() -> None:
    """CI and new users rely on the first block: install and answer, then the tests."""
    first = BLOCKS["README.md"][0]
    assert first.language == "bash"
    assert first.code.splitlines() == [
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && mrasim compare',
        "python -m pytest -q",
    ]


def test_the_scenario_reference_shows_one_office_whole() -> None:
    """docs/scenarios.md prints scenarios/one-office.yaml as its example: the same data."""
    (example, *_) = [b for b in BLOCKS["docs/scenarios.md"] if b.language == "yaml"]
    shipped = (ROOT / "scenarios" / "one-office.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(example.code) == yaml.safe_load(shipped)


def test_links_and_images_of_readme_and_docs_resolve() -> None:
    """Relative links (README into docs/, docs between pages) point at files that exist."""
    broken = []
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^( *)(`{3,}|~{3,}).*?^\1\2", "", text, flags=re.S | re.M)  # not in code
        for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            file = (path.parent / target.split("#")[0]).resolve()
            if not file.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, broken


# --- the extraction itself ----------------------------------------------------------------

SAMPLE = """\
Text.

<!-- not run: starts a server -->
```bash
mrasim explore
```

- a list item with a block:

  ```python
  x = 1
  ```

<!-- write: study.yaml -->
```yaml
name: study
```

```console
$ mrasim validate one-office \\
    --expand
one-office: valid
  horizon 30 days
...
```
"""


def test_blocks_are_found_with_their_marks_and_indentation() -> None:
    found = code_blocks(SAMPLE)
    assert [(b.line, b.language, b.not_run, b.write) for b in found] == [
        (4, "bash", "starts a server", None),
        (10, "python", None, None),
        (15, "yaml", None, "study.yaml"),
        (19, "console", None, None),
    ]
    assert found[1].code == "x = 1\n"
    (shown,) = console_commands(found[3].code)
    assert shown.command == "mrasim validate one-office  --expand"
    assert checked_lines(shown.output) == ["one-office: valid"]
    assert dangling_marks(SAMPLE) == []
    assert dangling_marks("<!-- not run: x -->\n\ntext\n") == [1]


def test_only_mrasim_commands_count_as_runnable() -> None:
    assert runs_only_mrasim("mrasim compare -n 2 --out r && mrasim report r   # a comment\n")
    assert runs_only_mrasim("mrasim calibrate a.csv --scenario t.yaml \\\n    --out f.yaml\n")
    assert runs_only_mrasim("mrasim run --set 'name=a && b'\n")
    assert not runs_only_mrasim("pip install -e .\n")
    assert not runs_only_mrasim("B=countries.BRA\nmrasim run\n")
    assert not runs_only_mrasim("mrasim run | head\n")
    assert not runs_only_mrasim("dask scheduler &\n")
