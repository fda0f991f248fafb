"""``alignboard run`` and ``demo``: a benchmark spec end to end."""

from __future__ import annotations

import click
from rich.console import Console

from harness.cli.base import cli, err, out, verbose
from harness.cli.leaderboard import DETAILS, console_for
from harness.errors import AlignboardError


def _run_spec(spec_name: str, root: str | None, dry_run: bool, executor: str = "local",
              address: str | None = None, details: bool = False) -> None:
    from pathlib import Path

    from harness.runner import run
    from harness.spec import load_spec
    from leaderboards.render import to_terminal

    spec = load_spec(spec_name)
    folder = Path(root or f"runs/{spec.name}")
    board = run(spec, folder, log=lambda m: err.print(m, markup=False, highlight=False, soft_wrap=True),
                dry_run=dry_run, verbose=verbose(), executor=executor, address=address)
    if board is not None:
        to_terminal(board, console_for(details), details)
        out.print(f"HTML report: {folder / 'leaderboard' / 'index.html'}", soft_wrap=True)
        _fail_on_unjudged(board, f"results are kept in {folder}")


def _fail_on_unjudged(board, kept: str) -> None:
    """Exit non-zero, in one line, when any cell is n/a because its answers could not be judged."""
    failed = board.failed_cells()
    if failed:
        cells = "; ".join(f"{row} {col}: {k} of {n}" for row, col, k, n in failed[:4])
        raise AlignboardError(f"{len(failed)} cell(s) could not be judged (more than {board.max_unjudged:.0%} of "
                              f"their answers unjudged): {cells}{' ...' if len(failed) > 4 else ''}; {kept}")


@cli.command("run")
@click.argument("spec")
@click.option("--root", type=click.Path(file_okay=False), help="Run folder [default: runs/<spec name>].")
@click.option("--dry-run", is_flag=True, help="Print the stage plan and what is already cached.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: stages one after another in this process; ray: each stage a Ray task (alignboard[ray]).")
@click.option("--address", help="Ray cluster to join (auto, ray://HOST:10001) [default: start a local one].")
@DETAILS
def run_cmd(spec: str, root: str | None, dry_run: bool, executor: str, address: str | None, details: bool) -> None:
    """Run a benchmark spec (TOML file or preset name): train, evaluate, rank, publish."""
    if address and executor != "ray":
        raise AlignboardError("--address needs --executor ray")
    _run_spec(spec, root, dry_run, executor, address, details)


@cli.command()
@click.option("--root", type=click.Path(file_okay=False), help="Run folder [default: runs/demo].")
@click.option("--dry-run", is_flag=True, help="Print the stage plan and what is already cached.")
@DETAILS
def demo(root: str | None, dry_run: bool, details: bool) -> None:
    """The offline demo: all seven aligners on the embedded model, ending with the leaderboard."""
    _run_spec("demo", root, dry_run, details=details)


@cli.command()
@click.argument("published", type=click.Path(file_okay=False, exists=True))
@click.option("--root", type=click.Path(file_okay=False), help="Run folder [default: runs/<spec name>-reproduced].")
def reproduce(published: str, root: str | None) -> None:
    """Run a published leaderboard's spec again; print, per cell, whether the value falls inside the published CI."""
    import json
    from pathlib import Path

    from rich.table import Table

    from harness.reproduce import reproduce as again

    folder = Path(published)
    name = json.loads((folder / "spec.json").read_text()).get("name", "spec") if (folder / "spec.json").is_file() \
        else "spec"
    target = Path(root or f"runs/{name}-reproduced")
    checks = again(folder, target, log=lambda m: err.print(m, markup=False, highlight=False, soft_wrap=True),
                   verbose=verbose())
    t = Table("cell", "row", "column", "published [95% CI]", "reproduced")
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    for c in checks:
        t.add_row(c.status, c.row, c.column, f"{fmt(c.published)} [{fmt(c.ci[0])}, {fmt(c.ci[1])}]", fmt(c.reproduced))
    Console(width=max(out.width, 120)).print(t)
    bad = [c for c in checks if c.status in ("outside", "missing")]
    if bad:
        raise AlignboardError(f"{len(bad)} of {len(checks)} cells not reproduced (outside the published CI or "
                              f"missing): {', '.join(f'{c.row} {c.column}' for c in bad[:4])}; the run is in {target}")
    na = sum(c.status == "n/a" for c in checks)
    out.print(f"all {len(checks)} cells reproduced: {len(checks) - na} inside the published 95% CIs"
              + (f", {na} not measured in either (n/a)" if na else "") + f" (run in {target})")
