"""The documentation: the site builds with --strict, its references are generated from the code, and every command
the README and the docs quote still parses."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.docs import check_command, check_commands, quoted_commands

ROOT = Path(__file__).resolve().parents[1]


def test_every_command_quoted_in_the_readme_and_the_docs_parses():
    commands = [c for f in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
                for c in quoted_commands(f.read_text(encoding="utf-8"))]
    assert len(commands) > 50  # the check reads the pages' commands, not nothing
    assert check_commands([ROOT / "README.md", ROOT / "docs"]) == []


def test_a_page_with_a_flag_or_command_that_does_not_exist_fails_the_check(tmp_path):
    (tmp_path / "page.md").write_text("Run `alignboard run demo --no-such-flag` first.\n\n```bash\n"
                                      "alignboard leaderboard show | export --format md | publish DIR --nope\n"
                                      "alignboard judgez list\n```\n")
    p = subprocess.run([sys.executable, "-m", "harness.docs", str(tmp_path)], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.returncode == 1
    assert "`alignboard run` has no --no-such-flag" in p.stdout
    assert "`alignboard leaderboard publish` has no --nope" in p.stdout  # after `show | export |`, publish's flags
    assert "no command 'judgez' under `alignboard`" in p.stdout
    assert "3 quoted command(s) that do not parse" in p.stdout


def test_synopsis_lines_with_alternatives_and_continuations_parse():
    from harness.cli import cli

    text = ("```\nalignboard judge list | validate --judge NAME [--limit N] | serve --model NAME --port 8000\n"
            "alignboard eval --tasks T [--hint|--no-hint]\n                [--task-judge PROTOCOL=JUDGE]\n```\n")
    commands = list(quoted_commands(text))
    assert commands[1] == "alignboard eval --tasks T [--hint|--no-hint] [--task-judge PROTOCOL=JUDGE]"
    assert all(check_command(c, cli) == [] for c in commands)
    assert check_command("alignboard eval --tasks T [--hint|--no-hnt]", cli) == [
        "'alignboard eval --tasks T [--hint|--no-hnt]': `alignboard eval` has no --no-hnt"]


def test_the_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


@pytest.mark.integration
def test_the_site_builds_strict_and_its_references_come_from_the_code(tmp_path, monkeypatch):
    """`mkdocs build --strict` (a broken link or a warning fails it), in-process after changing a click option's
    help text and a judge's description in memory: both pages change with no doc edit."""
    pytest.importorskip("mkdocs")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from harness.cli import cli
    from harness.judges import JUDGES

    option = next(p for p in cli.commands["leaderboard"].commands["pair"].params if p.name == "task")
    monkeypatch.setattr(option, "help", "HELP-TEXT-CHANGED-IN-CODE")
    monkeypatch.setattr(JUDGES.get("keyword"), "description", "DESCRIPTION-CHANGED-IN-CODE")
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    monkeypatch.chdir(ROOT)
    build(load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path / "site"), strict=True))
    site = tmp_path / "site"
    assert "HELP-TEXT-CHANGED-IN-CODE" in (site / "reference/cli/index.html").read_text()
    assert "DESCRIPTION-CHANGED-IN-CODE" in (site / "reference/registries/index.html").read_text()
    spec = (site / "reference/spec/index.html").read_text()
    assert "max_unjudged" in spec and "could not judge is n/a and fails the run" in spec  # a field's description
    for part in ("tutorials/demo", "how-to/gpus", "explanation/judges", "reference/api", "measurements/standard"):
        assert (site / part / "index.html").is_file()
    assert "Base class of every alignment method" in (site / "reference/api/index.html").read_text()
