"""``alignboard data``: the registered datasets and the run's pools."""

from __future__ import annotations

import click
from rich.table import Table

from harness.cli.base import cli, out
from harness.errors import AlignboardError


@cli.group()
def data() -> None:
    """The data registry: list sources, show rows, check overlap."""


@data.command("list")
def data_list() -> None:
    """Every source with its row count (offline ones), licence and origin."""
    from harness.data import all_sources

    t = Table("name", "rows", "licence", "origin", "description")
    for s in all_sources():
        t.add_row(s.name, str(len(s.load())) if s.offline else "hub", s.licence, s.origin, s.description)
    out.print(t)


@data.command("show")
@click.argument("name")
@click.option("--n", "n", default=5, show_default=True, help="How many rows.")
def data_show(name: str, n: int) -> None:
    """Print the first N records of a source as JSON lines."""
    import json

    from harness.data import load

    for r in load(name)[:n]:
        out.print_json(json.dumps(r.to_dict(), ensure_ascii=False))


def _prompts(spec: str, seed: int, eval_fraction: float) -> list[str]:
    from harness.data import load, split

    name, _, part = spec.partition(":")
    rows = load(name)
    if part:
        if part not in ("train", "eval"):
            raise AlignboardError(f"split must be train or eval, got {spec!r} (use NAME, NAME:train or NAME:eval)")
        rows = split(rows, eval_fraction, seed)[part == "eval"]
    return [r.prompt for r in rows]


@data.command("overlap")
@click.argument("a")
@click.argument("b")
@click.option("--threshold", default=0.8, show_default=True, help="Near-duplicate Jaccard threshold (5-grams).")
@click.option("--seed", default=0, show_default=True)
@click.option("--eval-fraction", default=0.5, show_default=True)
@click.option("--show", default=5, show_default=True, help="How many pairs to print.")
def data_overlap(a: str, b: str, threshold: float, seed: int, eval_fraction: float, show: int) -> None:
    """Exact and near-duplicate prompts shared by A and B (NAME, NAME:train or NAME:eval)."""
    from harness.data import overlap

    pa, pb = _prompts(a, seed, eval_fraction), _prompts(b, seed, eval_fraction)
    rep = overlap(pa, pb, threshold)
    out.print(f"{a} ({len(pa)}) vs {b} ({len(pb)}): {len(rep.exact)} exact, {len(rep.near)} near (>= {threshold}); "
              f"{len(rep.contaminated_a())} prompts of {a} affected")
    for i, j in rep.exact[:show]:
        out.print(f"  exact: {pa[i][:100]!r}", soft_wrap=True)
    for i, j, s in rep.near[:show]:
        out.print(f"  near {s:.2f}: {pa[i][:80]!r} ~ {pb[j][:80]!r}", soft_wrap=True)


@data.command("pools")
@click.option("--seed", default=0, show_default=True)
def data_pools(seed: int) -> None:
    """The default training/evaluation pools and their (zero) overlap."""
    from harness.data import overlap
    from harness.data.pools import PoolSpec, build_pools

    p = build_pools(PoolSpec(seed=seed))
    train = [r.prompt for r in p.harmful_train + p.benign_train]
    rep = overlap(train, [r.prompt for r in p.eval_records()])
    out.print(f"train: {len(p.harmful_train)} harmful, {len(p.benign_train)} benign "
              f"({p.dropped} dropped as duplicates of evaluation prompts)")
    for name, rows in p.eval.items():
        out.print(f"eval {name}: {len(rows)}")
    out.print(f"train vs eval overlap: {len(rep.exact)} exact, {len(rep.near)} near")
