"""The Pareto chart as inline SVG: helpfulness summary (x) against safety summary (y), both with 95% CI
whiskers, the baseline marked, the Pareto front drawn, points coloured by their Holm-corrected test
against the baseline, labels placed so that they do not overlap. No JavaScript is needed to see it,
and the same SVG is what ``alignboard leaderboard export --format svg`` writes."""

from __future__ import annotations

import html
import math

from leaderboards.board import Leaderboard, Row

ALPHA = 0.05  # a row differs from the baseline when its Holm-adjusted p is below this
COLOURS = {"better": "#1a7f37", "worse": "#c0392b", "same": "#8c959f", "baseline": "#1f2328"}
_CHAR_W, _LINE_H = 6.6, 14  # label size at font-size 12 (px), for placing labels


def verdict(row: Row) -> str:
    """"baseline", "better", "worse" or "same": the row's safety summary against the baseline's (Holm)."""
    if row.baseline:
        return "baseline"
    p = row.holm.get("safety", math.nan)
    if row.safety_vs is None or math.isnan(p) or p >= ALPHA:
        return "same"
    return "better" if row.safety_vs.diff > 0 else "worse"


def _ticks(lo: float, hi: float, clamp: tuple[float, float] | None = None) -> list[float]:
    """About five round tick values covering [lo, hi]."""
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    raw = (hi - lo) / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(f * mag for f in (1, 2, 2.5, 5, 10) if f * mag >= raw)
    start, stop = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if clamp:
        start, stop = max(clamp[0], start), min(clamp[1], stop)
    return [round(start + i * step, 10) for i in range(int(round((stop - start) / step)) + 1)]


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place(points: list[tuple[float, float, str]], box: tuple[float, float, float, float]):
    """(x, y) of each label's baseline start: next to its point, clear of other labels and points."""
    taken = [(x - 6, y - 6, x + 6, y + 6) for x, y, _ in points]
    out = []
    for x, y, text in points:
        w = _CHAR_W * len(text)
        tries = [(x + 9, y - 6), (x + 9, y + 14), (x - 9 - w, y - 6), (x - 9 - w, y + 14)]
        tries += [(x + 9, y + d) for k in range(1, 8) for d in (-6 - k * _LINE_H, 14 + k * _LINE_H)]
        for tx, ty in tries:
            rect = (tx, ty - _LINE_H + 3, tx + w, ty + 3)
            inside = box[0] <= rect[0] and rect[2] <= box[2] and box[1] <= rect[1] and rect[3] <= box[3]
            if inside and not any(_overlaps(rect, t) for t in taken):
                break
        else:
            tx, ty = tries[0]
            rect = (tx, ty - _LINE_H + 3, tx + w, ty + 3)
        taken.append(rect)
        out.append((tx, ty))
    return out


def pareto_svg(lb: Leaderboard) -> str:
    rows = [r for r in lb.rows if not math.isnan(r.safety) and not math.isnan(r.helpfulness)]
    if not rows:
        return "<p>No Pareto chart: the leaderboard lacks a measured safety or helpfulness summary.</p>"
    e = html.escape
    w, h, left, right, top, bottom = 900, 520, 70, 260, 20, 60
    xs = [v for r in rows for v in (r.helpfulness, *r.helpfulness_ci) if not math.isnan(v)]
    ys = [v for r in rows for v in (r.safety, *r.safety_ci) if not math.isnan(v)]
    xt, yt = _ticks(min(xs), max(xs)), _ticks(min(ys), max(ys), clamp=(0.0, 1.0))
    sx = lambda v: left + (v - xt[0]) / (xt[-1] - xt[0]) * (w - left - right)  # noqa: E731
    sy = lambda v: h - bottom - (v - yt[0]) / (yt[-1] - yt[0]) * (h - top - bottom)  # noqa: E731
    x_end = sx(xt[-1])
    p = [f'<svg xmlns="http://www.w3.org/2000/svg" id="pareto" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
         f'font-family="sans-serif" font-size="12" role="img" aria-label="Pareto chart">',
         f'<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>']
    for v in xt:
        p.append(f'<line x1="{sx(v):.1f}" y1="{top}" x2="{sx(v):.1f}" y2="{h - bottom}" stroke="#eee"/>'
                 f'<text class="tick x" x="{sx(v):.1f}" y="{h - bottom + 16}" text-anchor="middle">{v:g}</text>')
    for v in yt:
        p.append(f'<line x1="{left}" y1="{sy(v):.1f}" x2="{x_end:.1f}" y2="{sy(v):.1f}" stroke="#eee"/>'
                 f'<text class="tick y" x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    p.append(f'<line x1="{left}" y1="{h - bottom}" x2="{x_end:.1f}" y2="{h - bottom}" stroke="#333"/>'
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#333"/>'
             f'<text x="{(left + x_end) / 2:.1f}" y="{h - 18}" text-anchor="middle">helpfulness summary: mean helpful '
             f'score, 1-10{" (offline proxy)" if lb.proxy_scores else ""}</text>'
             f'<text x="16" y="{(top + h - bottom) / 2:.1f}" transform="rotate(-90 16 {(top + h - bottom) / 2:.1f})" '
             'text-anchor="middle">safety summary: mean harmless rate, 0-1</text>')
    front = sorted((r for r in rows if r.pareto), key=lambda r: r.helpfulness)
    if len(front) > 1:
        pts = " ".join(f"{sx(r.helpfulness):.1f},{sy(r.safety):.1f}" for r in front)
        p.append(f'<polyline class="front" points="{pts}" fill="none" stroke="#0969da" stroke-dasharray="5 4"/>')
    for r in rows:
        x, y, c = sx(r.helpfulness), sy(r.safety), COLOURS[verdict(r)]
        (xl, xh), (yl, yh) = r.helpfulness_ci, r.safety_ci
        p.append(f'<g class="point" data-label="{e(r.label)}" data-verdict="{verdict(r)}">'
                 f'<title>{e(r.label)}: safety {r.safety:.3f} [{yl:.3f}, {yh:.3f}], helpfulness {r.helpfulness:.2f} '
                 f'[{xl:.2f}, {xh:.2f}]</title>'
                 f'<line class="whisker x" x1="{sx(xl):.1f}" y1="{y:.1f}" x2="{sx(xh):.1f}" y2="{y:.1f}" stroke="{c}"/>'
                 f'<line class="whisker y" x1="{x:.1f}" y1="{sy(yl):.1f}" x2="{x:.1f}" y2="{sy(yh):.1f}" stroke="{c}"/>'
                 + (f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{c}"/>' if r.baseline else
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{c}"/>') + "</g>")
    for r, (tx, ty) in zip(rows, _place([(sx(r.helpfulness), sy(r.safety), r.label) for r in rows],
                                        (left, top, x_end, h - bottom))):
        p.append(f'<text class="label" x="{tx:.1f}" y="{ty:.1f}">{e(r.label)}</text>')
    legend = [("baseline", f"baseline ({e(lb.baseline or '-')})"), ("better", f"safer than baseline (Holm p < {ALPHA})"),
              ("worse", f"less safe (Holm p < {ALPHA})"), ("same", "not separable from baseline")]
    lx = w - right + 16
    for i, (kind, text) in enumerate(legend):
        p.append(f'<circle cx="{lx}" cy="{top + 10 + i * 20}" r="5" fill="{COLOURS[kind]}"/>'
                 f'<text x="{lx + 10}" y="{top + 14 + i * 20}" font-size="11">{text}</text>')
    p.append(f'<line x1="{lx - 5}" y1="{top + 90}" x2="{lx + 5}" y2="{top + 90}" stroke="#0969da" '
             f'stroke-dasharray="5 4"/><text x="{lx + 10}" y="{top + 94}" font-size="11">Pareto front</text>'
             f'<text x="{lx - 5}" y="{top + 114}" font-size="11">whiskers: 95% CIs</text>')
    return "".join(p) + "</svg>"


def to_png(svg: str, out) -> None:
    """Write ``svg`` as a PNG at twice its size, rendered by headless Chromium (the same chart, pixel for pixel,
    as the report shows; needs Debian's ``chromium`` and the ``playwright`` package)."""
    import os
    import shutil

    from harness.errors import AlignboardError
    from harness.io import atomic_path

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if not chromium:
        raise AlignboardError("PNG export renders the chart in headless Chromium: install it (apt-get install -y "
                              "chromium; pip install playwright), or export --format svg")
    with atomic_path(out) as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"] if os.geteuid() == 0 else [])
        page = browser.new_page(device_scale_factor=2)
        page.set_content(f"<!DOCTYPE html><html><body style='margin:0'>{svg}</body></html>")
        page.locator("svg").screenshot(path=str(tmp), type="png")
        browser.close()


# one colour per row of a budget curve (the baseline keeps COLOURS["baseline"])
PALETTE = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#1b7c83", "#e16f24", "#6e7781", "#bf3989",
           "#57606a", "#116329", "#953800")


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Round tick values on a log axis from ``lo`` to ``hi``: 1, 2, 5 times powers of ten (only powers of ten
    when that leaves at least three)."""
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        out += [f * 10 ** e for f in (1, 2, 5) if lo <= f * 10 ** e <= hi]
    tens = [t for t in out if math.log10(t) == round(math.log10(t))]
    return tens if len(tens) >= 3 else out


def _tokens(v: float) -> str:
    return f"{v / 1e6:g}M" if v >= 1e6 else f"{v / 1e3:g}k" if v >= 1e3 else f"{v:g}"


def _spread(ys: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """``ys`` moved apart by at least ``gap`` (order kept), inside [lo, hi]: where the direct labels go."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = [0.0] * len(ys)
    prev = lo - gap
    for i in order:
        out[i] = prev = max(ys[i], prev + gap)
    over = prev - hi
    if over > 0:  # pushed past the bottom: shift back up, then keep the gaps from the top
        nxt = hi + gap
        for i in reversed(order):
            out[i] = nxt = min(out[i], nxt - gap)
    return out


def curve_svg(curve: dict, baseline: str | None = None) -> str:
    """The budget curve as inline SVG: per row, the safety summary (left) and the helpfulness summary (right)
    against the tokens it was trained on (log axis), each a line with its 95% CI band; an untrained row (0 tokens)
    is a dashed level across the panel. Labels sit at the lines' right ends, moved apart so that none overlaps."""
    e = html.escape
    rows = curve["rows"]
    if not rows:
        return "<p>No budget curve: no row is on every budget's leaderboard.</p>"
    trained = [t for r in rows.values() for t in r["tokens"] if t > 0]
    if not trained:
        return "<p>No budget curve chart: no row was trained.</p>"
    panel, label_w, top, bottom, left, h = 330, 150, 30, 56, 62, 440
    w = 2 * (left + panel + label_w)
    xlo, xhi = min(trained), max(trained)
    if xlo == xhi:
        xlo, xhi = xlo / 2, xhi * 2
    xt = _log_ticks(xlo, xhi)
    xlo, xhi = min([xlo, *xt]), max([xhi, *xt])
    colour = {lab: COLOURS["baseline"] if lab == baseline else PALETTE[i % len(PALETTE)]
              for i, lab in enumerate(rows)}
    p = [f'<svg xmlns="http://www.w3.org/2000/svg" id="curve" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
         'font-family="sans-serif" font-size="12" role="img" aria-label="Budget curve">',
         f'<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>']

    def num(v):
        return v is not None and not (isinstance(v, float) and math.isnan(v))

    for k, (metric, title, clamp) in enumerate((("safety", "safety summary: mean harmless rate, 0-1", (0.0, 1.0)),
                                                ("helpfulness", "helpfulness summary: mean helpful score, 1-10",
                                                 None))):
        x0 = left + k * (panel + label_w + left)
        x1 = x0 + panel
        vals = [v for r in rows.values() for v in (*r[metric], *(c for ci in r[f"{metric}_ci"] for c in ci))
                if num(v)]
        if not vals:
            p.append(f'<text x="{x0}" y="{top + 20}">{e(title)}: not measured</text>')
            continue
        yt = _ticks(min(vals), max(vals), clamp=clamp)
        sx = lambda t: x0 + (math.log10(t) - math.log10(xlo)) / (math.log10(xhi) - math.log10(xlo)) * panel  # noqa: E731
        sy = lambda v: h - bottom - (v - yt[0]) / (yt[-1] - yt[0]) * (h - top - bottom)  # noqa: E731
        p.append(f'<g class="panel" data-metric="{metric}">')
        for t in xt:
            p.append(f'<line x1="{sx(t):.1f}" y1="{top}" x2="{sx(t):.1f}" y2="{h - bottom}" stroke="#eee"/>'
                     f'<text class="tick x" x="{sx(t):.1f}" y="{h - bottom + 16}" text-anchor="middle">'
                     f'{_tokens(t)}</text>')
        for v in yt:
            p.append(f'<line x1="{x0}" y1="{sy(v):.1f}" x2="{x1}" y2="{sy(v):.1f}" stroke="#eee"/>'
                     f'<text class="tick y" x="{x0 - 6}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
        mid = (top + h - bottom) / 2
        p.append(f'<line x1="{x0}" y1="{h - bottom}" x2="{x1}" y2="{h - bottom}" stroke="#333"/>'
                 f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{h - bottom}" stroke="#333"/>'
                 f'<text class="axis x" x="{(x0 + x1) / 2:.1f}" y="{h - 18}" text-anchor="middle">tokens trained '
                 f'(log scale)</text><text class="axis y" x="{x0 - 44}" y="{mid:.1f}" '
                 f'transform="rotate(-90 {x0 - 44} {mid:.1f})" text-anchor="middle">{e(title)}</text>')
        ends = []
        for lab, r in rows.items():
            c, vs, cis = colour[lab], r[metric], r[f"{metric}_ci"]
            pts = [(t, v, ci) for t, v, ci in zip(r["tokens"], vs, cis) if num(v)]
            if not pts:
                continue
            p.append(f'<g class="series" data-label="{e(lab)}">')
            if max(r["tokens"]) == 0:  # untrained: a level, its CI a band across the panel
                v, ci = pts[-1][1], pts[-1][2]
                if num(ci[0]) and num(ci[1]):
                    p.append(f'<rect class="band" x="{x0}" y="{sy(ci[1]):.1f}" width="{panel}" '
                             f'height="{max(sy(ci[0]) - sy(ci[1]), 0):.1f}" fill="{c}" fill-opacity="0.08"/>')
                p.append(f'<line class="line level" x1="{x0}" y1="{sy(v):.1f}" x2="{x1}" y2="{sy(v):.1f}" '
                         f'stroke="{c}" stroke-dasharray="5 4"><title>{e(lab)} (untrained): {metric} {v:.3f}'
                         f'</title></line>')
                ends.append((lab, sy(v)))
            else:
                pts = [q for q in pts if q[0] > 0]
                band = [q for q in pts if num(q[2][0]) and num(q[2][1])]
                if len(band) > 1:
                    edge = [f"{sx(t):.1f},{sy(ci[1]):.1f}" for t, _, ci in band]
                    edge += [f"{sx(t):.1f},{sy(ci[0]):.1f}" for t, _, ci in reversed(band)]
                    p.append(f'<polygon class="band" points="{" ".join(edge)}" fill="{c}" fill-opacity="0.12"/>')
                p.append(f'<polyline class="line" points="{" ".join(f"{sx(t):.1f},{sy(v):.1f}" for t, v, _ in pts)}" '
                         f'fill="none" stroke="{c}" stroke-width="2"/>')
                for t, v, ci in pts:
                    p.append(f'<circle cx="{sx(t):.1f}" cy="{sy(v):.1f}" r="3" fill="{c}"><title>{e(lab)}: '
                             f'{_tokens(t)} tokens, {metric} {v:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]</title></circle>')
                ends.append((lab, sy(pts[-1][1])))
            p.append("</g>")
        for (lab, y), ly in zip(ends, _spread([y for _, y in ends], _LINE_H, top + 4, h - bottom)):
            text = lab if len(lab) <= 21 else lab[:20] + "\u2026"  # within the label column
            p.append(f'<line x1="{x1 + 2}" y1="{y:.1f}" x2="{x1 + 8}" y2="{ly - 4:.1f}" stroke="{colour[lab]}"/>'
                     f'<text class="label" x="{x1 + 10}" y="{ly:.1f}" fill="{colour[lab]}"><title>{e(lab)}</title>'
                     f'{e(text)}</text>')
        p.append("</g>")
    p.append(f'<text x="{left}" y="16" font-size="11" fill="#57606a">lines: the summary at each budget '
             f'({", ".join(map(str, curve["budgets"]))} optimizer steps); bands: 95% CIs; dashed: untrained rows'
             '</text>')
    return "".join(p) + "</svg>"
