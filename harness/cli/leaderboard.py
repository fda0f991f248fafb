"""``alignboard leaderboard`` and ``power``: ranking a results store, and planning one."""

from __future__ import annotations

import click
from rich.console import Console

from harness.cli.base import cli, out
from harness.errors import AlignboardError


@cli.group()
def leaderboard() -> None:
    """Leaderboards over a results store: show, export, publish."""


def _board(store: str, baseline: str, reference: str | None, max_unjudged: float):
    """The leaderboard of ``store``; a run's main store with a budget curve beside it also gets the curve."""
    from leaderboards.curves import budget_stores, curve

    board = _one(store, baseline, reference, max_unjudged)
    stores = budget_stores(store, board)
    if stores:
        board.curve = curve({b: board if p is None else _one(p, baseline, reference, max_unjudged)
                             for b, p in stores.items()}, target=_curve_target(store))
    return board


def _curve_target(store: str) -> float:
    """The run's own tokens-to-reach target (its spec.json beside the store), else the spec default."""
    import json
    from pathlib import Path

    from aligners.api import Budget

    try:
        spec = json.loads((Path(store).parent / "leaderboard" / "spec.json").read_text())
        return Budget.model_validate(spec["budget"]).curve_target
    except (OSError, ValueError, KeyError, TypeError):
        return Budget().curve_target


def _one(store, baseline: str, reference: str | None, max_unjudged: float):
    from leaderboards.board import build
    from leaderboards.store import Store

    return build(Store(store).entries(), baseline, judge_identity=reference, max_unjudged=max_unjudged)


_STORE = click.option("--store", default="results", show_default=True, type=click.Path(file_okay=False),
                      help="Results store folder.")
_BASELINE = click.option("--baseline", default="base", show_default=True, help="Row every other row is tested against.")
_REFERENCE = click.option("--reference", help="Judge identity whose entries are ranked (needed when the store "
                                              "holds entries of several judges).")
_MAX_UNJUDGED = click.option("--max-unjudged", default=0.05, show_default=True,
                             help="A cell with a larger share of unjudged answers is shown as n/a.")


def _board_options(fn):
    for option in (_MAX_UNJUDGED, _REFERENCE, _BASELINE, _STORE):
        fn = option(fn)
    return fn


DETAILS = click.option("--details", is_flag=True, help="Also the per-task table, the training table and every note.")


@leaderboard.command("show")
@_board_options
@DETAILS
def leaderboard_show(store: str, baseline: str, reference: str | None, max_unjudged: float, details: bool) -> None:
    """Print the leaderboard in the terminal: one line per row and the verdict (--details: everything)."""
    from leaderboards.render import to_terminal

    to_terminal(_board(store, baseline, reference, max_unjudged), console_for(details), details)


def console_for(details: bool) -> Console:
    """The terminal's width, never under 120 columns (the compact table's) or, with the detailed tables, 160."""
    return Console(width=max(out.width, 160 if details else 120))


@leaderboard.command("export")
@_board_options
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "md", "html", "svg", "png", "curve-csv",
                                                    "curve-svg", "curve-png"]), default="md", show_default=True,
              help="svg, png: the Pareto chart alone, as in the report (png needs Chromium); curve-*: the budget "
                   "curve (a run's store with a curve beside it) as CSV or its chart.")
@click.option("--output", type=click.Path(dir_okay=False), help="File to write [default: stdout].")
def leaderboard_export(store: str, baseline: str, reference: str | None, max_unjudged: float, fmt: str,
                       output: str | None) -> None:
    """Export the leaderboard as JSON, CSV, Markdown, the self-contained HTML report, its Pareto chart (SVG, PNG), or
    its budget curve (CSV, SVG, PNG)."""
    from harness.io import atomic_write_text
    from leaderboards import chart, render, report

    board = _board(store, baseline, reference, max_unjudged)
    if fmt.startswith("curve-"):
        if not board.curve:
            raise AlignboardError(f"{store} has no budget curve: give a run's store (ROOT/store) whose spec has "
                                  "[budget] curve = [...] and whose curve/N-steps/store folders are beside it")
        text = render.curve_csv(board.curve) if fmt == "curve-csv" else chart.curve_svg(board.curve, board.baseline)
    else:
        text = {"json": render.to_json, "csv": render.to_csv, "md": render.to_markdown, "html": report.to_html,
                "svg": chart.pareto_svg, "png": chart.pareto_svg}[fmt](board)
    if fmt in ("svg", "png", "curve-svg", "curve-png") and not text.startswith("<svg"):
        raise AlignboardError(f"no chart to export: {text.removeprefix('<p>').removesuffix('</p>')}")
    if fmt.endswith("png"):
        if not output:
            raise AlignboardError(f"--format {fmt} writes a file: give --output FILE.png")
        chart.to_png(text, output)
        out.print(f"wrote {output}")
        return
    if output:
        atomic_write_text(output, text)
        out.print(f"wrote {output}")
    else:
        click.echo(text)


@leaderboard.command("publish")
@_board_options
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--push-to", help="Also upload the folder to this Hugging Face dataset repo (needs the hub).")
def leaderboard_publish(store: str, baseline: str, reference: str | None, max_unjudged: float, dest: str,
                        push_to: str | None) -> None:
    """Write a static folder: HTML report, JSON, Markdown, CSV, setup and a manifest of versions and hashes."""
    from leaderboards.publish import publish

    path = publish(_board(store, baseline, reference, max_unjudged), dest, push_to)
    out.print(f"published {path} (open {path / 'index.html'})", soft_wrap=True)


@leaderboard.command("pair")
@_board_options
@click.argument("row")
@click.argument("against")
@click.option("--task", required=True, help="A helpfulness task on the leaderboard (e.g. mtbench_mini).")
@click.option("--judge", "judge_name", default="mtbench_pair", show_default=True, help="A pairwise judge.")
@click.option("--judge-set", "judge_sets", multiple=True, metavar="KEY=VALUE",
              help="Judge config field (model, base_url, backend, references, ...).")
def leaderboard_pair(store: str, baseline: str, reference: str | None, max_unjudged: float, row: str, against: str,
                     task: str, judge_name: str, judge_sets: tuple[str, ...]) -> None:
    """Is ROW as helpful as AGAINST on the same prompts? Its paired win rate on TASK, by a pairwise judge (cached)."""
    from harness.cli.base import parse_sets
    from harness.judges import get_judge
    from leaderboards.pairwise import pair

    j = get_judge(judge_name, **parse_sets(judge_sets))
    j.check()
    p = pair(_board(store, baseline, reference, max_unjudged), row, against, task, j)
    judged = p.wins + p.ties + p.losses
    out.print(f"{row} vs {against} on {task} ({j.identity()}): {judged} pairs judged in both orders, "
              f"{p.wins} won, {p.ties} tied, {p.losses} lost; {p.unjudged} unjudged (dropped)", soft_wrap=True)
    turns = "; ".join(f"turn {t}: {e if e else 'n/a'}" for t, e in p.by_turn.items()) if len(p.by_turn) > 1 else ""
    out.print(f"win rate of {row} (a tie counts half) [95% CI]: {p.win_rate if p.win_rate else 'n/a (nothing judged)'}"
              + (f"; {turns}" if turns else ""), soft_wrap=True)


@cli.command()
@click.option("--store", type=click.Path(file_okay=False, exists=True), help="A pilot run's results store.")
@click.option("--spec", "spec_name", help="A spec (file or preset): the design to check, without a pilot.")
@click.option("--effect", default=0.10, show_default=True, help="Harmless-rate difference to detect.")
@click.option("--alpha", default=0.05, show_default=True)
@click.option("--power", "target", default=0.8, show_default=True)
@click.option("--max-seeds", default=5, show_default=True)
@click.option("--reference", help="Judge identity whose entries are used (a store with several judges).")
def power(store, spec_name, effect, alpha, target, max_seeds, reference) -> None:
    """Prompts x seeds needed to tell two aligners apart, and the smallest difference a design detects."""
    from leaderboards.power import mdd_two_proportions, n_two_proportions

    if store:
        _power_from_pilot(store, reference, effect, alpha, target, max_seeds)
        return
    n = n_two_proportions(0.5, 0.5 + effect, alpha, target)
    out.print(f"assumed (no pilot): harmless rate 0.5, answers independent (two-proportion test; pairing on the same "
              f"prompts only lowers the variance); to detect {effect:.2f} at alpha {alpha}, power {target}: "
              f"prompts x seeds >= {n}", soft_wrap=True)
    if spec_name:
        from harness.runner import planned_prompts
        from harness.spec import load_spec

        spec = load_spec(spec_name)
        planned = planned_prompts(spec)
        if planned is None:
            raise AlignboardError(f"the prompt counts of spec {spec.name} need the hub")
        out.print(f"spec {spec.name}: {planned} harmful prompts x {len(spec.seeds)} seed(s) detect differences of "
                  f"at least {mdd_two_proportions(planned * len(spec.seeds), 0.5, alpha, target):.3f}")


def _power_from_pilot(store: str, reference: str | None, effect: float, alpha: float, target: float,
                      max_seeds: int) -> None:
    """Per pair vs the baseline, then the typical and the noisiest pair: components, what the design detects,
    and the prompts needed per number of seeds."""
    from rich.table import Table

    from leaderboards.power import pilot_pairs, pooled

    board = _board(store, "base", reference, 1.0)
    vs_base, every = pilot_pairs(board, against_baseline=True), pilot_pairs(board)
    if not every:
        raise AlignboardError(f"{store} needs at least two rows with harmful-prompt tasks for a pilot")
    any_pair = next(iter(every.values()))
    out.print(f"pilot {store}: {any_pair.prompts} harmful prompts x {any_pair.seeds} seed(s); each pair's per-prompt "
              "harmless differences split into sds of a prompt part (more seeds do not shrink it), a seed part (more "
              "prompts do not) and a residual" + (" (one seed: the seed part cannot be seen and is assumed 0)"
                                                  if any_pair.seeds < 2 else ""), soft_wrap=True)
    t = Table("pair", "difference", "prompt sd", "seed sd", "residual sd", "this design detects",
              title="each row vs the baseline (the comparisons the leaderboard tests)" if vs_base else "row pairs")
    noisiest = max(every.items(), key=lambda kv: kv[1].mdd())
    unseen = "n/a (1 seed)"  # one seed cannot tell the seed part or the residual from the prompt part
    for (a, b), c in (vs_base or every).items():
        t.add_row(f"{a} - {b}", f"{c.mean:+.3f}", f"{c.prompt:.3f}", *((f"{c.seed:.3f}", f"{c.residual:.3f}")
                                                                       if c.seeds > 1 else (unseen, unseen)),
                  f"{c.mdd(alpha=alpha, power=target):.3f}")
    Console(width=max(out.width, 120)).print(t)
    plans = ([("typical pair vs the baseline", pooled(list(vs_base.values())))] if vs_base else []) + \
        [("typical pair", pooled(list(every.values()))), (f"noisiest pair ({' - '.join(noisiest[0])})", noisiest[1])]
    for what, c in plans:
        sds = f"seed {c.seed:.3f}, residual {c.residual:.3f}" if c.seeds > 1 else f"seed and residual {unseen}"
        out.print(f"{what}: sds prompt {c.prompt:.3f}, {sds}; this design "
                  f"({c.prompts} prompts x {c.seeds} seed(s)) detects {c.mdd(alpha=alpha, power=target):.3f}; to detect "
                  f"{effect:.2f} (paired, alpha {alpha}, power {target}): " + "; ".join(
                      f"{k} seed(s) " + (f"{n} prompts" if (n := c.n(effect, k, alpha, target)) else "not reachable")
                      for k in range(1, (max_seeds if c.seeds > 1 else 1) + 1))
                  + ("" if c.seeds > 1 else " (more seeds: run a pilot with several to see their spread)"),
                  soft_wrap=True)
    _power_per_budget(store, board, reference, effect, alpha, target)


def _power_per_budget(store: str, board, reference: str | None, effect: float, alpha: float, target: float) -> None:
    """A run with a budget curve: the typical pair vs the baseline at each budget (its own variance components)."""
    from rich.table import Table

    from leaderboards.curves import budget_stores
    from leaderboards.power import pilot_pairs, pooled

    stores = budget_stores(store, board)
    if not stores:
        return
    t = Table("budget", "prompts x seeds", "prompt sd", "seed sd", "residual sd", "this design detects",
              f"prompts to detect {effect:.2f}", title="per budget: the typical pair vs the baseline")
    for steps, path in sorted(stores.items()):
        pairs = pilot_pairs(board if path is None else _one(path, "base", reference, 1.0), against_baseline=True)
        if not pairs:
            t.add_row(f"{steps} steps", *["n/a (no pair vs the baseline)"] + [""] * 5)
            continue
        c = pooled(list(pairs.values()))
        many = c.seeds > 1
        n = c.n(effect, c.seeds, alpha, target)
        t.add_row(f"{steps} steps", f"{c.prompts} x {c.seeds}", f"{c.prompt:.3f}",
                  f"{c.seed:.3f}" if many else "n/a (1 seed)", f"{c.residual:.3f}" if many else "n/a (1 seed)",
                  f"{c.mdd(alpha=alpha, power=target):.3f}",
                  f"{n} (at {c.seeds} seed(s))" if n else "not reachable")
    Console(width=max(out.width, 120)).print(t)
