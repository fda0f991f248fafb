"""The documentation's generated parts, and the check that the commands it quotes still exist.

- :func:`on_page_markdown` is the MkDocs hook (``mkdocs.yml``: ``hooks``) that replaces a page's
  ``<!-- generated: NAME -->`` line with a reference generated from the code: ``spec`` (the spec format, from
  the pydantic models' JSON schema), ``aligners``, ``judges``, ``tasks`` (from the registries and the task YAML).
  The CLI reference is mkdocs-click's, the plugin API mkdocstrings'; nothing is written twice.
- :func:`check_commands` finds every ``alignboard ...`` command quoted in Markdown (code spans, and lines of code
  blocks) and checks its subcommands and flags against the click commands themselves.
  ``python -m harness.docs README.md docs`` runs it; it exits non-zero on a command or flag that does not exist.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Iterator

import click

MARKER = re.compile(r"^<!-- generated: (\w+) -->$", re.M)


# ---- generated reference pages
def _type(prop: dict) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "enum" in prop:
        return " \\| ".join(f'"{v}"' for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if prop.get("type") == "object":
        return "table"
    return prop.get("type", "any")


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fields(schema: dict) -> list[str]:
    rows = ["| field | type | default | description |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        default = f"`{_cell(prop['default'])}`" if "default" in prop else "required"
        if "$ref" in prop and "default" in prop:
            default = "see below"
        rows.append(f"| `{name}` | {_cell(_type(prop))} | {default} | {_cell(prop.get('description', ''))} |")
    return rows


def spec_reference() -> str:
    """Every section and field of a spec file, with its type, default and description."""
    from harness.spec import Spec

    schema = Spec.model_json_schema()
    out = [_cell(schema.get("description", "")), "", "Top level:", "", *_fields(schema), ""]
    for name, d in schema.get("$defs", {}).items():
        out += [f"### `{name}`", "", d.get("description", "").strip(), "", *_fields(d), ""]
    return "\n".join(out)


def _config_rows(config: type) -> str:
    parts = []
    for name, f in config.model_fields.items():
        default = "required" if f.is_required() else repr(f.default)
        parts.append(f"`{name}` = `{_cell(default)}`" + (f": {_cell(f.description)}" if f.description else ""))
    return "<br>".join(parts) or "-"


def aligners_reference() -> str:
    """Every registered aligner: what it trains, its stages, whether the hint is on, its config fields."""
    from aligners.api import ALIGNERS

    rows = ["| aligner | what it does | package | hint by default | config (defaults) |", "|---|---|---|---|---|"]
    for name in ALIGNERS.names():
        cls = ALIGNERS.get(name)
        rows.append(f"| `{name}` | {_cell(cls.description)} | {ALIGNERS.providers[name]} | "
                    f"{'on' if cls.default_hint else 'off'} | {_config_rows(cls.Config)} |")
    return "\n".join(rows)


def judges_reference() -> str:
    """Every registered judge: what it does, its package, its config fields."""
    from harness.judges import JUDGES

    rows = ["| judge | what it does | package | config (defaults) |", "|---|---|---|---|"]
    for name in JUDGES.names():
        cls = JUDGES.get(name)
        rows.append(f"| `{name}` | {_cell(cls.description)} | {JUDGES.providers[name]} | {_config_rows(cls.Config)} |")
    return "\n".join(rows)


def tasks_reference() -> str:
    """Every task and group of alignboard's task folder, with what its YAML declares."""
    from harness.evalset import _configs

    rows = ["| task | prompts | primary metric | summary | protocol | source |", "|---|---|---|---|---|---|"]
    groups = []
    for name, cfg in _configs().items():
        if "group" in cfg:
            groups.append(f"`{name}`: " + ", ".join(f"`{t}`" for t in cfg.get("task", [])))
            continue
        m = cfg.get("metadata") or {}
        rows.append(f"| `{name}` | {m.get('prompts', '')} | `{m.get('primary_metric', '')}` | "
                    f"{m.get('summary', '')} | {m.get('protocol') or '-'} | `{m.get('source', '')}` |")
    return "\n".join(rows + ["", "Groups:", ""] + [f"- {g}" for g in groups])


GENERATED = {"spec": spec_reference, "aligners": aligners_reference, "judges": judges_reference,
             "tasks": tasks_reference}


def on_page_markdown(markdown: str, page: Any = None, config: Any = None, files: Any = None) -> str:
    """MkDocs hook: each ``<!-- generated: NAME -->`` line replaced by its reference."""
    return MARKER.sub(lambda m: GENERATED[m.group(1)](), markdown)


# ---- the check of quoted commands
_SPAN = re.compile(r"`(alignboard [^`]+)`")
_FENCE = re.compile(r"^```.*?$(.*?)^```", re.M | re.S)


def quoted_commands(text: str) -> Iterator[str]:
    """Every ``alignboard ...`` command in Markdown: code spans, and code-block lines (with their continuation
    lines, which start with whitespace and ``[``)."""
    for block in _FENCE.findall(text):
        command = None
        for line in block.splitlines():
            if command is not None and re.match(r"\s+\[", line):
                command += " " + line.strip()
                continue
            if command is not None:
                yield command
            stripped = re.sub(r"^\$\s*", "", line.strip())
            command = stripped if stripped.startswith("alignboard ") else None
        if command is not None:
            yield command
    for span in _SPAN.findall(_FENCE.sub("", text)):
        yield span


def _flags(command: click.Command) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"-h", "--help"}


def check_command(line: str, root: click.Group) -> list[str]:
    """What in one quoted command does not exist: an unknown subcommand (where a group expects one) or flag."""
    tokens = re.sub(r"#.*$", "", line).replace("[", " ").replace("]", " ").split()[1:]
    path: list[click.Command] = [root]  # the command the tokens have reached, from the root

    def where() -> str:
        return " ".join(["alignboard", *(c.name for c in path[1:])])

    problems = []
    for i, tok in enumerate(tokens):
        for part in tok.split("|"):
            current = path[-1]
            if re.match(r"^--?[a-zA-Z]", part):
                flag = part.split("=")[0].rstrip(",.;:)")
                if flag not in _flags(current) | _flags(root):
                    problems.append(f"{line!r}: `{where()}` has no {flag}")
            elif isinstance(current, click.Group) and part:
                if part not in current.commands:
                    if not part.isupper() and part != "...":
                        return problems + [f"{line!r}: no command {part!r} under `{where()}`; it has "
                                           f"{', '.join(sorted(current.commands))}"]
                    continue
                path.append(current.commands[part])
            elif len(path) > 2 and tokens[i - 1:i] == ["|"] and part in path[-2].commands:
                path[-1] = path[-2].commands[part]  # `show | export`: another subcommand of the same group
    return problems


def check_commands(paths: list[Path]) -> list[str]:
    """Problems in every command quoted by the Markdown files under ``paths``."""
    from harness.cli import cli

    problems = []
    for path in paths:
        for f in sorted(path.rglob("*.md")) if path.is_dir() else [path]:
            for command in quoted_commands(f.read_text(encoding="utf-8")):
                problems += [f"{f}: {p}" for p in check_command(command, cli)]
    return problems


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:]) or ["README.md", "docs"]]
    problems = check_commands(paths)
    for p in problems:
        print(p)
    print(f"{len(problems)} quoted command(s) that do not parse" if problems else "every quoted command parses")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
