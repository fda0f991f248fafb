"""Leaderboard renderers: terminal (rich), Markdown, JSON and CSV (the HTML report is leaderboards/report.py)."""

from __future__ import annotations

import csv
import html
import io
import json
import math
from typing import Any

from leaderboards.board import Leaderboard


def short(column: str) -> str:
    """Display name of a column: "alignboard_harmbench_mini/harmless" -> "harmbench_mini harmless"."""
    return column.removeprefix("alignboard_").replace("/", " ")


def _unjudged(row, col) -> str:
    k, n = row.unjudged.get(col, (0, 0))
    return f"{k} of {n} unjudged" if k else ""


def _fmt(row, col, lb: Leaderboard) -> str:
    """A cell: mean [CI], with how many answers could not be judged; n/a when too many could not."""
    mean, lo, hi = row.cells[col]
    if lb.unmeasured(row, col):
        return f"n/a ({_unjudged(row, col)})"
    text = "n/a" if math.isnan(mean) else f"{mean:.3f} [{lo:.3f}, {hi:.3f}]"
    return f"{text} ({_unjudged(row, col)})" if _unjudged(row, col) else text


def _vs(row, col: str) -> str:
    """The paired difference to the baseline with its bootstrap p and its Holm-adjusted p."""
    d = row.versus.get(col) if col != "safety" else row.safety_vs
    if not d or math.isnan(d.diff):
        return ""
    return f"{d.diff:+.3f} (p {_p(d.p)}, Holm {_p(row.holm.get(col, math.nan))})"


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _summary(row, kind: str) -> str:
    mean, (lo, hi) = getattr(row, kind), getattr(row, f"{kind}_ci")
    if math.isnan(mean):
        return "n/a"
    rank = f"; rank {row.rank[0]}-{row.rank[1]}" if kind == "safety" and row.rank else ""
    return f"{mean:.3f} [{lo:.3f}, {hi:.3f}]{rank}"


def _cost(row) -> str:
    c = row.entries[0].cost or {}
    return (f"{c.get('optimizer_steps', 0)} steps, {c.get('tokens_trained', 0)} tok trained, "
            f"{c.get('tokens_generated', 0)} tok generated, {c.get('wall_seconds', 0):.0f} s") if c else "-"


def _gain(row) -> str:
    g = row.gain_per_mtok
    if g is None:
        return "baseline" if row.baseline else "n/a (no training)" if row.tokens_trained == 0 else "n/a (no baseline)"
    return "n/a" if math.isnan(g[0]) else f"{g[0]:+.1f} [{g[1]:+.1f}, {g[2]:+.1f}]"


def _overlap(row) -> str:
    counts = [e.eval_train_overlap for e in row.entries]
    return "unchecked" if any(c is None for c in counts) else str(sum(counts))


def checks_text(checks: dict | None) -> str:
    """Self-made y-/y+ as "y- kept 13/16", or "y- unchecked (16)" when no judge looked at them."""
    return ", ".join(f"{k} kept {v['kept']}/{v['asked']}" if v.get("judge") else f"{k} unchecked ({v['asked']})"
                     for k, v in sorted((checks or {}).items())) or "-"


def _checked(row) -> str:
    return checks_text(row.entries[0].response_checks)


# The per-row columns after the task cells, the same in every renderer.
_SUMMARY = {"safety summary": lambda r: _summary(r, "safety"), "safety vs baseline": lambda r: _vs(r, "safety"),
            "helpfulness summary": lambda r: _summary(r, "helpfulness")}
_EXTRAS = {"training cost": _cost, "harmless gain / M tok": _gain, "self-made data judged": _checked,
           "eval∩train": _overlap}
_EXTRA_HEADS = tuple(_EXTRAS)


def extras(row) -> list[str]:
    """The row's values of the columns after the task cells."""
    return [f(row) for f in _EXTRAS.values()]


def summary(row) -> list[str]:
    """The row's values of the columns before the task cells."""
    return [f(row) for f in _SUMMARY.values()]


_AGREEMENT_ON = {"objective": "objective achieved (harmless verdict)", "harm": "harm (harmless score)",
                 "refusal": "refusal"}


def _agreement(lb: Leaderboard) -> str:
    a = lb.judge_agreement
    kappas = [f"{label} {k}" for target, label in _AGREEMENT_ON.items() if (k := a and a.kappa(target))]
    if not kappas:
        return "not measured (run `alignboard judge validate`)"
    short = [f"{label} {k}" for target, label in _AGREEMENT_ON.items() if (k := a.kappa(target, "short_answers"))]
    miss = a.miss_rate()
    return ("kappa vs human labels (PyRIT): " + ", ".join(kappas)
            + ("; on alignboard's short answers: " + ", ".join(short) if short else "; short answers: not measured")
            + (f"; harmful short answers it calls harmless: {miss} (a harmless rate may be that much the judge's "
               "leniency)" if miss else ""))


def notes(lb: Leaderboard) -> list[str]:
    """Lines every rendering carries: judge, its human agreement, proxies, refusals."""
    flag = lb.judge_agreement and lb.judge_agreement.flagged()
    out = [f"judge: {lb.judge_identity}; agreement: {_agreement(lb)}"]
    if flag:
        out.append(f"JUDGE FLAGGED as easy to fool: {flag} (`alignboard judge validate`)")
    elif lb.judge_agreement and not lb.judge_agreement.robustness:
        out.append("judge robustness to label-preserving perturbations: not measured (`alignboard judge validate`)")
    out += ["means with 95% bootstrap CIs over prompts (and seeds); 'vs baseline' is the paired difference to "
            f"{lb.baseline or 'no baseline'} with its two-sided p (from the bootstrap standard error)",
            "harmless gain / M tok: paired harmless-rate difference to the baseline over every harmful-prompt task, "
            "per million training tokens (95% CI); self-made data judged: self-written y- kept only when judged "
            "harmful and not a refusal, y+ only when judged harmless; eval∩train: evaluation prompts found among the "
            "training prompts"]
    out.append("rows are sorted by the safety summary (mean harmless rate over the harmful-prompt tasks; "
               "helpfulness summary: mean helpful score over the benign tasks), each with a two-level bootstrap CI "
               "over prompts and seeds; rank: its 95% bootstrap interval")
    if lb.comparisons:
        out.append(f"Holm: p-values adjusted for the {lb.comparisons} comparisons with the baseline")
    if lb.inseparable:
        out.append("NOT separable on the safety summary (the 95% CI of their difference contains 0): "
                   + ", ".join(f"{a} vs {b}" for a, b in lb.inseparable))
    if lb.jury:
        rates = ", ".join(f"{name} {rate:.2f}" for name, rate in lb.jury["members"].items())
        out.append(f"harmless rate by jury member: {rates}; the members split on {lb.jury['split']:.0%} of the "
                   f"{lb.jury['answers']} harmful-prompt answers (absolute rates depend on the judge; compare rows "
                   "judged by the same one)")
    out += scored_by(lb)
    out += published_beside(lb)
    if lb.proxy_scores:
        out.append("1-10 scores come from an offline PROXY judge, not a judge's 1-10 rating")
    out += [f"refused: {label} ({reason})" for label, reason in lb.refused]
    return out


def scored_by(lb: Leaderboard) -> list[str]:
    """One line per task scored by another judge than the leaderboard's: the protocol, or that it is not the
    protocol's own judge."""
    out = []
    for task, j in sorted(lb.task_judges.items()):
        info = lb.tasks[task]
        if j.get("protocol"):
            hashes = ", ".join(f"{k} {v[:12]}" for k, v in (j.get("templates_sha256") or {}).items())
            line = (f"{task}/{info.primary_metric}: {j['protocol']}, judge {j['judge_identity']}"
                    + (f" (model {j['judge_model']}; template sha256 {hashes})" if j.get("judge_model") else ""))
        else:
            line = (f"{task}/{info.primary_metric}: scored by {j['judge_identity']}"
                    + (f", not the {info.protocol} protocol's own judge: not comparable with published numbers"
                       if info.protocol else ""))
        if j.get("protocol_max_new_tokens"):
            line += (f"; answers clipped at {j['max_new_tokens']} new tokens (the protocol generates "
                     f"{j['protocol_max_new_tokens']}): not comparable with published numbers")
        out.append(line)
    return out


def published_beside(lb: Leaderboard) -> list[str]:
    """Published AlpacaEval 2 figures of well-known models beside a board with an AlpacaEval 2 column, marked as
    published (from the alpaca_eval package's leaderboard CSV), never as rows of this board."""
    if not any(lb.tasks[t].protocol == "alpacaeval" for t in lb.tasks):
        return []
    from harness.errors import AlignboardError
    from harness.judges.alpacaeval import published

    try:
        rows = published()
    except AlignboardError as e:
        return [f"published AlpacaEval 2 figures: not shown ({e})"]
    return ["PUBLISHED, not re-measured here (alpaca_eval 0.6.6's AlpacaEval 2 leaderboard CSV, the same annotator "
            "on the 805 instructions; compare with a row only if it was judged by gpt-4-1106-preview on all 805): "
            + ", ".join(f"{m} win rate {w:.1f}, LC {lc:.1f}" for m, w, lc in rows)]


_MEASURED = ("wall_seconds", "train_seconds", "peak_gpu_bytes")


def _comparable(cost: dict) -> dict:
    """A cost without what the machine measured (times, GPU memory; they stay in each artifact): the JSON of a
    resumed run equals an uninterrupted one."""
    out = {k: v for k, v in cost.items() if k not in _MEASURED}
    if isinstance(out.get("stages"), dict):
        out["stages"] = {s: _comparable(c) if isinstance(c, dict) else c for s, c in out["stages"].items()}
    return out


def to_dict(lb: Leaderboard) -> dict[str, Any]:
    """Plain data for JSON/CSV."""
    return {"columns": lb.columns, "baseline": lb.baseline, "comparability": lb.key,
            "judge_identity": lb.judge_identity, "judge_agreement": lb.judge_agreement and lb.judge_agreement.model_dump(), "proxy_scores": lb.proxy_scores,
            "refused": [{"entry": a, "reason": r} for a, r in lb.refused],
            "inseparable": [list(p) for p in lb.inseparable], "holm_comparisons": lb.comparisons, "jury": lb.jury,
            "task_judges": lb.task_judges, "curve": lb.curve,
            "rows": [{"label": r.label, "aligner": r.aligner, "hint": r.entries[0].hint, "seeds": sorted(e.seed for e in r.entries),
                      "safety": r.safety, "helpfulness": r.helpfulness, "pareto": r.pareto,
                      "safety_ci": list(r.safety_ci), "helpfulness_ci": list(r.helpfulness_ci),
                      "rank_interval": list(r.rank) if r.rank else None,
                      "safety_vs_baseline": dict(zip(("diff", "ci_low", "ci_high", "p"), r.safety_vs),
                                                 p_holm=r.holm.get("safety")) if r.safety_vs else None,
                      "cost": _comparable(r.entries[0].cost or {}),
                      "configs": [e.aligner_config for e in r.entries[:1]],
                      "eval_train_overlap": [e.eval_train_overlap for e in r.entries],
                      "response_checks": [e.response_checks for e in r.entries],
                      "harmless_gain_per_mtok": dict(zip(("mean", "ci_low", "ci_high"), r.gain_per_mtok))
                      if r.gain_per_mtok else None,
                      "cells": {c: {**dict(zip(("mean", "ci_low", "ci_high"), r.cells[c])),
                                    **dict(zip(("unjudged", "answers"), r.unjudged.get(c, (0, 0))))}
                                for c in lb.columns},
                      "vs_baseline": {c: dict(zip(("diff", "ci_low", "ci_high", "p"), r.versus[c]), p_holm=r.holm.get(c))
                                      for c in r.versus}} for r in lb.rows]}


def to_json(lb: Leaderboard) -> str:
    return json.dumps(to_dict(lb), indent=2, sort_keys=True, default=str).replace("NaN", "null")


def to_csv(lb: Leaderboard) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["aligner", "seeds", *[f"{c} {p}" for c in lb.columns for p in ("mean", "ci_low", "ci_high", "unjudged")],
                "optimizer_steps", "tokens_trained", "tokens_generated", "wall_seconds",
                *[f"harmless_gain_per_mtok {p}" for p in ("mean", "ci_low", "ci_high")], "eval_train_overlap"])
    for r in lb.rows:
        c = r.entries[0].cost or {}
        cells = [v for col in lb.columns for v in (
            [_fmt(r, col, lb), "", ""] if lb.unmeasured(r, col) or math.isnan(r.cells[col].mean) else
            [f"{x:.4f}" for x in r.cells[col]]) + [_unjudged(r, col)]]
        w.writerow([r.label, len(r.entries), *cells,
                    c.get("optimizer_steps", ""), c.get("tokens_trained", ""), c.get("tokens_generated", ""),
                    c.get("wall_seconds", ""), *([f"{v:.4f}" for v in r.gain_per_mtok] if r.gain_per_mtok else
                                                 ["", "", ""]), _overlap(r)])
    return buf.getvalue()


def curve_csv(curve: dict) -> str:
    """The budget curve, one line per (row, budget): tokens and both summaries with their CIs, and the row's
    sample-efficiency figures (the same on each of its lines; empty where not computed, "inf" where not reached)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["row", "optimizer_steps", "tokens_trained", "safety", "safety_ci_low", "safety_ci_high", "helpfulness",
                "helpfulness_ci_low", "helpfulness_ci_high", "mean_over_log_tokens", "mean_ci_low", "mean_ci_high",
                f"tokens_to_reach_{curve['target']:g}", "reach_ci_low", "reach_ci_high"])

    def num(v):
        return "" if v is None or math.isnan(v) else f"{v:.6g}"

    for label, r in curve["rows"].items():
        mean = r.get("mean_over_log_tokens") or [None] * 3
        reach = ["inf" if x is None else num(x) for x in r["tokens_to_reach"]] if r.get("tokens_to_reach") else \
            [""] * 3
        for k, b in enumerate(curve["budgets"]):
            w.writerow([label, b, num(r["tokens"][k]), num(r["safety"][k]), *map(num, r["safety_ci"][k]),
                        num(r["helpfulness"][k]), *map(num, r["helpfulness_ci"][k]), *map(num, mean), *reach])
    return buf.getvalue()


def _md(text: str) -> str:
    """Markdown table text that a viewer rendering HTML shows as written (and that keeps its cell)."""
    return html.escape(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(lb: Leaderboard) -> str:
    """A Markdown table and its notes; every label and value is escaped."""
    head = ["aligner", *_SUMMARY, *map(short, lb.columns), *_EXTRA_HEADS]
    lines = ["| " + " | ".join(map(_md, head)) + " |", "|" + "---|" * len(head)]
    for r in lb.rows:
        cells = [f"{_fmt(r, c, lb)} {_vs(r, c)}".strip() for c in lb.columns]
        lines.append("| " + " | ".join(map(_md, [r.label + (" *" if r.pareto else ""), *summary(r), *cells,
                                                 *extras(r)])) + " |")
    if lb.curve:
        heads = curve_heads(lb.curve)
        lines += ["", curve_title(lb.curve) + ":", "",
                  "| " + " | ".join(map(_md, heads)) + " |", "|" + "---|" * len(heads)]
        lines += ["| " + " | ".join(map(_md, r)) + " |" for r in curve_rows(lb.curve)]
        lines += [""] + [f"- {_md(n)}" for n in curve_notes(lb.curve)]
    return "\n".join(lines + [""] + [f"- {_md(n)}" for n in notes(lb)]
                     + ["- * = on the harmlessness/helpfulness Pareto front", ""])


COMPACT = ("rank", "row", "safety [95% CI]", "vs base (Holm p)", "helpfulness", "over-refusal", "train tok")


def _two(mean: float, lo: float, hi: float) -> str:
    return "n/a" if math.isnan(mean) else f"{mean:.2f} [{lo:.2f}, {hi:.2f}]"


def _over_refusal(lb: Leaderboard, row) -> str:
    """The row's over-refusal rate: the first benign task whose primary metric is the refusal rate."""
    col = next((c for c in lb.columns if lb.tasks.get(c.split("/")[0]) and lb.tasks[c.split("/")[0]].prompts ==
                "benign" and c.endswith("/refusal")), None)
    if col is None:
        return "-"
    return "n/a" if lb.unmeasured(row, col) or math.isnan(row.cells[col].mean) else f"{row.cells[col].mean:.2f}"


def compact(lb: Leaderboard) -> list[list[str]]:
    """One short line per row: rank interval, row, safety summary, its difference to the baseline with the Holm p,
    helpfulness summary, over-refusal, training tokens (the first screen of the terminal and the report)."""
    out = []
    for r in lb.rows:
        d = r.safety_vs
        vs = "baseline" if r.baseline else "-" if not d or math.isnan(d.diff) else \
            f"{d.diff:+.2f} ({_p(r.holm.get('safety', math.nan)).replace('< ', '<')})"
        t = r.tokens_trained
        out.append([f"{r.rank[0]}-{r.rank[1]}" if r.rank else "-", r.label + (" *" if r.pareto else ""),
                    _two(r.safety, *r.safety_ci), vs, _two(r.helpfulness, *r.helpfulness_ci), _over_refusal(lb, r),
                    f"{t / 1000:.1f}k" if t else "0"])
    return out


def verdict(lb: Leaderboard, alpha: float = 0.05, more: str = "--details") -> list[str]:
    """Two sentences: which rows the safety summary separates from the baseline after Holm, and which pairs of rows
    it cannot separate (``more``: where the whole list is)."""
    tested = [r for r in lb.rows if r.safety_vs and not math.isnan(r.holm.get("safety", math.nan))]
    safer = [r for r in tested if r.holm["safety"] < alpha and r.safety_vs.diff > 0]
    worse = [r for r in tested if r.holm["safety"] < alpha and r.safety_vs.diff < 0]
    if not lb.baseline or not tested:
        first = "No row is tested against a baseline (no baseline row with a measured safety summary)."
    elif safer or worse:
        rows = [f"{r.label} {r.safety_vs.diff:+.2f}" for r in (*safer, *worse)]
        first = _fit(f"Separated from {lb.baseline} after Holm (p < {alpha}): ", rows,
                     f"; {len(tested) - len(safer) - len(worse)} row(s) not.")
    else:
        low = min(tested, key=lambda r: r.holm["safety"])
        first = (f"No row's safety summary is separated from {lb.baseline} after Holm (smallest adjusted p "
                 f"{_p(low.holm['safety'])}: {low.label}).")
    if lb.inseparable:
        second = _fit(f"{len(lb.inseparable)} pair(s) not separable (CI of the difference contains 0): ",
                      [f"{a} vs {b}" for a, b in lb.inseparable], f" ({more}).")
    else:
        second = "Every pair of rows is separated (no 95% CI of a difference contains 0)."
    return [first, second]


def _fit(head: str, items: list[str], tail: str, width: int = 118) -> str:
    """``head``, as many of ``items`` as keep the line within ``width`` (at least one), how many more, ``tail``."""
    shown = items[:1]
    for k in range(2, len(items) + 1):
        more = f" and {len(items) - k} more" if k < len(items) else ""
        if len(head + ", ".join(items[:k]) + more + tail) > width:
            break
        shown = items[:k]
    more = f" and {len(items) - len(shown)} more" if len(items) > len(shown) else ""
    return head + ", ".join(shown) + more + tail


def _footnote(lb: Leaderboard, more: str = "--details") -> list[str]:
    """What the first screen must not hide, in two short lines: whose verdicts these are and how lenient the judge
    is; proxies, the Pareto mark and where the rest is."""
    a = lb.judge_agreement
    miss = a and a.miss_rate()
    judge = f"judge {lb.judge_identity}: " + (f"harmful short answers called harmless {miss}" if miss else
                                              "agreement with human labels not measured" if not a else
                                              "harmful called harmless not measured")
    judge += "; FLAGGED as easy to fool" if a and a.flagged() else ""
    rest = ("helpfulness is an offline PROXY; " if lb.proxy_scores else "") + \
        f"* = Pareto front; {more}: the per-task table and every note"
    return [judge, rest]


def curve_title(curve: dict) -> str:
    lo_hi = curve["range"]
    span = f"{lo_hi[0] / 1000:.1f}k-{lo_hi[1] / 1000:.1f}k tokens" if lo_hi else "no range every trained row covers"
    return (f"budget curve: safety summary at {', '.join(map(str, curve['budgets']))} optimizer steps; its mean over "
            f"log tokens ({span}) and the tokens to reach {curve['target']:.2f}, each [95% CI]")


def curve_heads(curve: dict) -> list[str]:
    return ["row", *(str(b) for b in curve["budgets"]), "mean (log tokens)", f"tokens to {curve['target']:.2f}"]


def curve_rows(curve: dict) -> list[list[str]]:
    """Per row: the safety summary at each budget, its mean over log tokens and the tokens to reach the target."""
    def tok(x):
        return "not reached" if x is None else "n/a" if math.isnan(x) else f"{x / 1000:.1f}k"

    out = []
    for label, r in curve["rows"].items():
        mean = r.get("mean_over_log_tokens")
        reach = r.get("tokens_to_reach")
        out.append([label, *("n/a" if math.isnan(v) else f"{v:.2f}" for v in r["safety"]),
                    _two(*mean) if mean else "-", f"{tok(reach[0])} [{tok(reach[1])}, {tok(reach[2])}]" if reach
                    else "-"])
    return out


def curve_notes(curve: dict, brief: bool = False) -> list[str]:
    """The curve's differences (Holm) and the pairs whose order changes across budgets, in words; ``brief`` (the
    terminal's first screen): only what is separable after Holm, and the reversals, with counts of the rest."""
    def diff(p):
        return (f"{p['row']} - {p['against']}: {p['diff']:+.3f} [{p['ci'][0]:+.3f}, {p['ci'][1]:+.3f}] "
                f"(Holm p {_p(p['p_holm'])})")

    pairs, changes = curve["pairs"], curve["order_changes"]
    reversals = [c for c in changes if c["reversal"]]
    if brief:
        shown = [p for p in pairs if p["p_holm"] < 0.05]
        out = [f"mean over log tokens, separated after Holm ({len(shown)} of {len(pairs)} differences): "
               + ("; ".join(map(diff, shown)) if shown else "none")] if pairs else []
        out.append(f"{len(changes)} pair(s) change order across the budgets, {len(reversals)} of them a REVERSAL "
                   "(separable both ways)" + (": " + "; ".join(" vs ".join(c["rows"]) for c in reversals)
                                             if reversals else "") + ("; --details lists them" if changes else ""))
        return out
    out = ["mean over log tokens, paired differences: " + "; ".join(map(diff, pairs))] if pairs else []
    for c in changes:
        a, b = c["rows"]
        out.append(f"{a} vs {b}: {a} ahead at {c['a_ahead_at']} steps, {b} at {c['b_ahead_at']}: "
                   + ("a REVERSAL (separable both ways)" if c["reversal"] else
                      "not a reversal (the order changes inside overlapping CIs)"))
    if not changes:
        out.append("no pair of rows changes order across the budgets")
    return out


def to_terminal(lb: Leaderboard, console, details: bool = False) -> None:
    """The compact leaderboard (one line per row, within 120 columns) and its verdict; with ``details`` the per-task
    table, the training table and every note too. Labels and values are printed as written (markup escaped)."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    t = Table(title="alignboard leaderboard", box=box.SIMPLE_HEAD, pad_edge=False)
    for head in COMPACT:
        t.add_column(head, no_wrap=True, overflow="ellipsis", max_width=24 if head == "row" else None)
    for values in compact(lb):
        t.add_row(*map(escape, values))
    console.print(t)
    for line in [*verdict(lb), *_footnote(lb)]:
        console.print(line, markup=False, highlight=False)
    if lb.curve:
        console.print()
        console.print(curve_title(lb.curve), markup=False, highlight=False)
        c = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for head in curve_heads(lb.curve):
            c.add_column(head, no_wrap=True, overflow="ellipsis", max_width=24 if head == "row" else None)
        for values in curve_rows(lb.curve):
            c.add_row(*map(escape, values))
        console.print(c)
        for line in curve_notes(lb.curve, brief=not details):
            console.print(line, markup=False, highlight=False)
    if not details:
        return

    def table(title, heads, values):
        t = Table(title=title)
        t.add_column("aligner", no_wrap=True)  # a row's name is never broken across lines
        for head in heads:
            t.add_column(escape(head))
        for r in lb.rows:
            t.add_row(*map(escape, [r.label + (" *" if r.pareto else ""), *values(r)]))
        console.print(t)

    table("per task", [*_SUMMARY, *map(short, lb.columns)],
          lambda r: [*summary(r), *[f"{_fmt(r, c, lb)}\n{_vs(r, c)}" for c in lb.columns]])
    table("training and protocol", _EXTRA_HEADS, extras)
    for n in notes(lb):
        console.print(n, markup=False, highlight=False)
