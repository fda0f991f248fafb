"""The HTML report: one self-contained page (no network, no CDN) with the Pareto chart (inline SVG), a
table sortable by any column and shaded by significance, and a head-to-head sample viewer.

Every string goes into the HTML escaped; the sample data goes into a JSON block whose ``<``, ``>`` and
``&`` are escaped; the page's script inserts every model-written string with ``textContent``, never as HTML.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from leaderboards.board import Leaderboard, Row
from leaderboards.chart import ALPHA, curve_svg, pareto_svg, verdict
from leaderboards.render import (_EXTRA_HEADS, _SUMMARY, COMPACT, _fmt, _footnote, _vs, compact, curve_heads,
                                  curve_notes, curve_rows, curve_title, extras, notes, short, summary)
from leaderboards.render import verdict as in_words

# What each primary metric means, for the column tooltips.
METRICS = {"harmless": "share of answers to harmful prompts that the judge rates harmless (higher is safer)",
           "helpful_score": "mean helpfulness rating of answers to benign prompts, 1-10",
           "refusal": "share of benign but sensitive-sounding prompts refused (over-refusal; lower is better)",
           "attack_success": "share of jailbreak-wrapped harmful requests answered harmfully (lower is safer)"}
_JS = (Path(__file__).with_name("report.js")).read_text(encoding="utf-8")


def _shade(lb: Leaderboard, r: Row, col: str) -> str:
    """The CSS class of a task cell: n/a, baseline, or its Holm-corrected difference to the baseline."""
    if lb.unmeasured(r, col) or math.isnan(r.cells[col].mean):
        return "na"
    if r.baseline:
        return "base"
    d, p = r.versus.get(col), r.holm.get(col, math.nan)
    if d is None or math.isnan(p) or p >= ALPHA or d.diff == 0:
        return "ns"
    higher = lb.tasks[col.split("/")[0]].higher_is_better
    return "better" if (d.diff > 0) == higher else "worse"


def _num(v: float) -> str:
    return "" if v is None or math.isnan(v) else f"{v:.6g}"


def _table(lb: Leaderboard) -> str:
    e = html.escape
    tips = {"safety summary": "mean harmless rate over the harmful-prompt tasks; two-level bootstrap 95% CI; rank: "
                              "95% interval of the rank",
            "safety vs baseline": f"paired difference to {lb.baseline}, p and Holm-adjusted p",
            "helpfulness summary": "mean helpful score over the benign tasks, 95% CI"}
    heads = [("aligner", "row label")] + [(k, tips[k]) for k in _SUMMARY]
    heads += [(short(c), f"{c}: {METRICS.get(c.split('/')[1], c.split('/')[1])}; judge {lb.judge_identity}")
              for c in lb.columns] + [(k, k) for k in _EXTRA_HEADS]
    head = "".join(f'<th title="{e(t)}">{e(n)}</th>' for n, t in heads)
    body = []
    for r in lb.rows:
        sums = [(r.safety, f"sum {verdict(r)}"), (r.safety_vs.diff if r.safety_vs else math.nan, ""),
                (r.helpfulness, "")]
        cells = [f'<td data-sort="{_num(v)}" class="{cls}">{e(text)}</td>' for (v, cls), text in zip(sums, summary(r))]
        cells += [f'<td data-sort="{_num(r.cells[c].mean)}" class="{_shade(lb, r, c)}">{e(_fmt(r, c, lb))}'
                  f"<br><small>{e(_vs(r, c))}</small></td>" for c in lb.columns]
        cells += [f"<td>{e(v)}</td>" for v in extras(r)]
        body.append(f'<tr><td class="label">{e(r.label)}{" &#9733;" if r.pareto else ""}</td>{"".join(cells)}</tr>')
    return f'<table id="board"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _compact(lb: Leaderboard) -> str:
    """The first screen's table: one short line per row, as the terminal shows it."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in COMPACT)
    body = "".join("<tr>" + "".join(f'<td{" class=label" if i == 1 else ""}>{e(v)}</td>' for i, v in enumerate(row))
                   + "</tr>" for row in compact(lb))
    return f'<table id="summary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _curve(lb: Leaderboard) -> str:
    """The budget curve's section: the chart, the sample-efficiency table and its notes (empty without a curve)."""
    if not lb.curve:
        return ""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in curve_heads(lb.curve))
    body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>" for row in curve_rows(lb.curve))
    return (f"<h2>Budget curve</h2><div class='wide'>{curve_svg(lb.curve, lb.baseline)}</div>"
            f"<p>{e(curve_title(lb.curve))}</p>"
            f"<div class='wide'><table id='curve-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            "</div>" + "".join(f"<p class='note'>{e(n)}</p>" for n in curve_notes(lb.curve)))


def _samples(lb: Leaderboard) -> dict:
    """Per row and task: id -> [response, primary metric value, verdict text] (the row's first seed)."""
    data = {"rows": [r.label for r in lb.rows], "tasks": {}, "prompts": {}, "samples": {}, "seeds": {}}
    for t, info in lb.tasks.items():
        data["tasks"][t] = info.primary_metric
        data["prompts"][t] = {s.id: s.prompt for r in lb.rows for s in r.entries[0].samples.get(t, [])}
    for r in lb.rows:
        data["seeds"][r.label] = r.entries[0].seed
        data["samples"][r.label] = {t: {s.id: [s.response, _value(s.metrics.get(info.primary_metric)),
                                               _verdict_text(s, info.primary_metric)]
                                        for s in r.entries[0].samples.get(t, [])} for t, info in lb.tasks.items()}
    return data


def _value(v):
    return None if v is None or math.isnan(v) else v


def _verdict_text(s, metric: str) -> str:
    if not s.judged:
        return "unjudged"
    v, j = s.metrics.get(metric), s.judgment
    tags = [f"{metric} {'n/a' if v is None else f'{v:g}'}"] + (["refusal"] if j.refusal else [])
    tags += [f"{name} {x:.2f}" for name, x in (("p(harmful)", j.p_harmful), ("harmless score", j.harmless_score),
                                              ("helpful score", j.helpful_score)) if x is not None]
    return ", ".join(tags) + (" (proxy scores)" if j.proxy and (j.harmless_score or j.helpful_score) else "")


def _json_block(data) -> str:
    """JSON that cannot end its <script> element or open another."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


STYLE = ("body{font-family:sans-serif;margin:1em 2em;max-width:1400px}h1{margin:0 0 .3em}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}"
         "pre{white-space:pre-wrap;margin:0}#verdict p{margin:.2em 0}#verdict .foot{font-size:12px;color:#57606a}"
         "#first{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start;margin-top:.6em}"
         "#first svg{width:500px;height:auto}#summary{font-size:13px}#summary td,#summary th{padding:3px 6px;"
         "white-space:nowrap}#summary td.label{max-width:190px;overflow:hidden;text-overflow:ellipsis}"
         ".wide{overflow-x:auto;max-width:100%}"
         "#board th{cursor:pointer;background:#f6f8fa}#board th:hover{background:#eaeef2}"
         "td.better,td.sum.better{background:#dafbe1}td.worse,td.sum.worse{background:#ffebe9}"
         "td.na{background:repeating-linear-gradient(45deg,#f6f8fa,#f6f8fa 6px,#fff 6px,#fff 12px);color:#57606a}"
         "td.base{background:#eaeef2}#h2h td{max-width:420px}.verdict{font-size:12px;color:#57606a;margin-top:4px}"
         "#h2h-controls>*{margin-right:1em}")


def to_html(lb: Leaderboard, title: str = "alignboard leaderboard") -> str:
    """The report page; see the module docstring for how it stays safe. Its first screen is the verdict, the chart
    and the compact table; then the budget curve (when the run has one), the per-task table, the legend and notes,
    and the head-to-head viewer."""
    e = html.escape
    key = ("<p><small>Cells: green/red = differs from the baseline at Holm-adjusted p &lt; 0.05 (better/worse "
           "in the metric's direction); grey = the baseline; striped = n/a (not measured). Click a column to sort; "
           "hover a column for its definition.</small></p>")
    viewer = ("<h2>Head to head</h2><p id='h2h-controls'><label>A <select id='h2h-a'></select></label>"
              "<label>B <select id='h2h-b'></select></label><label>task <select id='h2h-task'></select></label>"
              "<label><input type='checkbox' id='h2h-differ'> verdicts differ</label>"
              "<input id='h2h-q' type='search' placeholder='search prompts and answers' size='30'></p>"
              "<p><button id='h2h-prev'>&larr; previous</button> <span id='h2h-count'></span> "
              "<button id='h2h-next'>next &rarr;</button></p><div class='wide'><table id='h2h'><thead><tr><th>id</th>"
              "<th>prompt</th><th id='h2h-ha'>A</th><th id='h2h-hb'>B</th></tr></thead><tbody id='h2h-body'></tbody>"
              "</table></div>")
    said = "".join(f"<p>{e(line)}</p>" for line in in_words(lb, more="below")) + \
        "".join(f"<p class='foot'>{e(line)}</p>" for line in _footnote(lb, more="below"))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{STYLE}</style>"
            f"</head><body><h1>{e(title)}</h1><div id='verdict'>{said}</div>"
            f"<div id='first'>{pareto_svg(lb)}{_compact(lb)}</div>{_curve(lb)}"
            f"<details open><summary><h2 style='display:inline'>Per task</h2></summary>"
            f"<div class='wide'>{_table(lb)}</div>{key}</details>"
            "<h2>Definitions and notes</h2>" + "".join(f"<p>{e(n)}</p>" for n in notes(lb))
            + f"{viewer}"
            f"<script type='application/json' id='h2h-data'>{_json_block(_samples(lb))}</script>"
            f"<script>{_JS}</script></body></html>")
