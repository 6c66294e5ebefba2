"""The README's and docs' examples run as written: every ``parsurvey`` command they show exists, with
the options they give it; the ``make`` variables they name exist; their sample figures are the demo's."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def command_lines(text: str) -> list[str]:
    """``parsurvey …`` lines of the fenced code blocks, continuation lines joined, comments dropped."""
    lines = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #", 1)[0].strip()
            line = re.sub(r"^(\S+=\S+\s+)*", "", line)  # DATABASE_URL=… parsurvey …
            if re.match(r"^(\.venv/bin/)?parsurvey\s", line):
                lines.append(line)
    return lines


def examples() -> list[tuple[str, str]]:
    return [(path.name, line) for path in DOCS for line in command_lines(path.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    from .conftest import make_app

    folder = tmp_path_factory.mktemp("readme")
    return make_app(f"sqlite:///{folder / 'x.sqlite'}", folder / "instance").cli


def test_the_documents_show_many_commands():
    assert len(examples()) >= 25


@pytest.mark.parametrize("where, line", examples())
def test_every_command_of_the_documents_exists_with_its_options(cli, where, line):
    words = [w.strip("[]") for w in shlex.split(line)[1:]]
    command: click.Command = cli
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        found = command.get_command(click.Context(command), words[0])
        if found is None:
            break
        command, words = found, words[1:]
    assert not isinstance(command, click.Group), f"{where}: '{line}' names no command"
    known = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    known |= {"--help"}
    for word in words:
        if word.startswith("--"):
            assert word.split("=", 1)[0] in known, f"{where}: '{line}': {command.name} has no {word}"


def test_make_variables_the_readme_names_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for variable in set(re.findall(r"make \w+ ((?:[A-Z_]+=\S+ ?)+)", readme)):
        for name in re.findall(r"([A-Z_]+)=", variable):
            assert re.search(rf"^{name}\s*\?=", makefile, re.M), name


def test_the_demo_users_the_documents_name_exist():
    """``users token phantich`` and the like: the demo has these accounts."""
    from survey_app.demo import USERS

    names = {u[0] for u in USERS}
    for where, line in examples():
        match = re.match(r"(?:\.venv/bin/)?parsurvey users (?:token|passwd) (\S+)", line)
        if match and match.group(1) not in ("admin", "nhaplieu1"):  # the examples' own new accounts
            assert match.group(1) in names, f"{where}: {line}"


def test_the_license_setup_cfg_names_is_there():
    """setup.cfg says MIT: the text is at the root, and the README says so."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    assert config["metadata"]["license"] == "MIT" and config["metadata"]["license_files"] == "LICENSE"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text
    assert "[MIT](LICENSE)" in (ROOT / "README.md").read_text(encoding="utf-8")
