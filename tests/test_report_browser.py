"""The published HTML report in a real browser: headless Chromium (Debian's package) driven by Playwright.

CI installs Chromium (`.ci/run`); elsewhere these tests are skipped when it is missing.
``python tests/test_report_browser.py PUBLISHED_DIR OUT.png`` takes the README's screenshot.
"""

import contextlib
import os
import shutil
import sys
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM and not os.environ.get("ALIGNBOARD_REQUIRE_BROWSER"),
                                reason="Chromium is not installed here (CI installs it: apt-get install -y chromium)")

PAYLOADS = ['<script>window.__pwned = "script"</script>',
            '<img src="x" onerror="window.__pwned = \'onerror\'">']


@contextlib.contextmanager
def page_of(path: Path, width: int = 1300, height: int = 900):
    """A headless Chromium page on ``path`` (file://), recording console errors, page errors and requests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        page.errors, page.requests = [], []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        try:
            yield page
        finally:
            browser.close()


def _report(tmp_path: Path) -> Path:
    from leaderboards.board import build
    from leaderboards.publish import publish
    from test_leaderboards import entry

    entries = [entry("base", 0.2), entry("sft", 0.7, response=PAYLOADS[0]),
               entry("dpo", 0.5, response=PAYLOADS[1], label=f"dpo {PAYLOADS[1]}"), entry("coh", 0.25, helpful=6.0)]
    publish(build(entries, resamples=200), tmp_path / "pub")
    return tmp_path / "pub" / "index.html"


def _boxes_overlap(page, selector) -> list:
    return page.evaluate("""(sel) => {
        const b = [...document.querySelectorAll(sel)].map(t => t.getBBox());
        const out = [];
        for (let i = 0; i < b.length; i++) for (let j = i + 1; j < b.length; j++)
            if (b[i].x < b[j].x + b[j].width && b[j].x < b[i].x + b[i].width &&
                b[i].y < b[j].y + b[j].height && b[j].y < b[i].y + b[i].height) out.push([i, j]);
        return out; }""", selector)


def test_the_report_chart_table_and_head_to_head_viewer(tmp_path):
    index = _report(tmp_path)
    with page_of(index) as page:
        # the chart: ticks on both axes, one point with two whiskers per row, the baseline marked, labels apart
        assert page.locator("#pareto text.tick.x").count() >= 3 and page.locator("#pareto text.tick.y").count() >= 3
        points = page.locator("#pareto g.point")
        assert points.count() == 4 and page.locator("#pareto g.point line.whisker").count() == 8
        assert page.locator('#pareto g.point[data-verdict="baseline"] rect').count() == 1
        assert page.locator('#pareto g.point[data-verdict="better"]').count() >= 1  # sft, far safer than base
        assert page.locator("#pareto text.label").count() == 4 and _boxes_overlap(page, "#pareto text.label") == []
        # the table sorts by any column
        labels = lambda: [t.split(" ")[0] for t in page.locator("#board tbody td.label").all_text_contents()]  # noqa: E731
        assert labels()[0] == "sft"  # sorted by the safety summary
        page.locator("#board thead th", has_text="aligner").click()
        assert labels() == sorted(labels(), reverse=True)
        page.locator("#board thead th", has_text="aligner").click()
        assert labels() == sorted(labels())
        page.locator("#board thead th", has_text="helpfulness summary").click()
        values = [float(v) for v in page.locator("#board tbody tr td:nth-child(4)").evaluate_all(
            "tds => tds.map(td => td.dataset.sort)")]
        assert values == sorted(values, reverse=True) and labels()[0] == "coh"
        assert page.locator("#board td.better").count() >= 1 and page.locator("#board td.base").count() >= 1
        # head to head: the same prompt id on both sides; "verdicts differ" keeps only differing pairs
        page.select_option("#h2h-a", "sft")
        page.select_option("#h2h-b", "base")
        page.select_option("#h2h-task", "alignboard_harmbench_mini")
        pairs = page.locator("#h2h-body tr.pair")
        assert pairs.count() == 10 and "40 prompts, page 1 of 4" in page.locator("#h2h-count").text_content()
        first = pairs.first
        assert first.locator("pre").count() == 2 and first.locator("td").first.text_content() == "h0"
        page.check("#h2h-differ")
        n = int(page.locator("#h2h-count").text_content().split()[0])
        assert 0 < n < 40
        for tr in pairs.all():
            a, b = tr.locator(".verdict.a").get_attribute("data-value"), tr.locator(".verdict.b").get_attribute("data-value")
            assert a != b
        page.click("#h2h-next")
        assert "page 2 of" in page.locator("#h2h-count").text_content() or n <= 10
        page.uncheck("#h2h-differ")
        page.fill("#h2h-q", "harmful 17")
        assert pairs.count() == 1 and pairs.first.get_attribute("data-id") == "h17"
        # payloads in responses and in a row label stay text
        page.fill("#h2h-q", "")
        page.select_option("#h2h-a", f"dpo {PAYLOADS[1]}")
        assert page.locator("#h2h-body pre", has_text='<img src="x" onerror=').count() == 10
        page.select_option("#h2h-a", "sft")
        assert page.locator("#h2h-body pre", has_text="<script>window.__pwned").count() == 10
        assert page.locator("#board td.label", has_text='dpo <img src="x" onerror=').count() == 1
        assert page.evaluate("window.__pwned") is None
        assert page.errors == []
        assert page.requests == [index.resolve().as_uri()]  # nothing else loaded, not even the <img src="x">


def test_the_chart_exports_as_svg_and_png(tmp_path):
    import subprocess

    from leaderboards.store import Store
    from test_leaderboards import entry

    st = Store(tmp_path / "st")
    for e in (entry("base", 0.2), entry("sft", 0.7)):
        st.add(e)
    run = lambda fmt, out: subprocess.run([sys.executable, "-m", "harness.cli", "leaderboard", "export", "--store",  # noqa: E731
                                           str(tmp_path / "st"), "--format", fmt, "--output", str(out)],
                                          capture_output=True, text=True)
    assert run("svg", tmp_path / "p.svg").returncode == 0
    svg = (tmp_path / "p.svg").read_text()
    assert svg.startswith("<svg") and svg.count('class="point"') == 2 and 'class="tick x"' in svg
    p = run("png", tmp_path / "p.png")
    assert p.returncode == 0, p.stderr
    png = (tmp_path / "p.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1800, 1040)  # the 900 x 520 chart at twice its size, for print


def test_the_check_catches_a_payload_that_does_run(tmp_path):
    # the same detector on a deliberately unescaped page: proof that the test above can fail
    page_file = tmp_path / "unescaped.html"
    page_file.write_text(f"<!DOCTYPE html><html><body><div>{PAYLOADS[1]}</div></body></html>")
    with page_of(page_file) as page:
        page.wait_for_function("window.__pwned !== undefined")
        assert page.evaluate("window.__pwned") == "onerror"
        assert any(u.endswith("/x") for u in page.requests)


def test_the_first_screen_is_the_verdict_the_chart_and_the_compact_table(tmp_path):
    """At 1280x800, ten rows with the demo's longest labels: the verdict, the chart and the one-line-per-row table are
    all on the first screen, and nothing makes the page scroll sideways (the per-task table scrolls in its box)."""
    from leaderboards.board import build
    from leaderboards.publish import publish
    from test_leaderboards import entry

    labels = ["base", "base+hint", "sft", "sft+hint", "dpo", "rlhf", "coh", "critique_revise", "mistake_analysis",
              "mistake_analysis+hint"]
    publish(build([entry("base" if x.startswith("base") else x.split("+")[0], 0.3 + 0.06 * i, label=x)
                   for i, x in enumerate(labels)], resamples=200), tmp_path / "pub")
    with page_of(tmp_path / "pub" / "index.html", 1280, 800) as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        for selector in ("#verdict", "#pareto", "#summary"):
            box = page.locator(selector).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= 800, (selector, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, (selector, box)
        assert page.locator("#summary tbody tr").count() == 10
        assert "after Holm" in page.locator("#verdict").text_content()
        assert page.locator("#board").bounding_box()["y"] > page.locator("#summary").bounding_box()["y"]  # after it
        assert page.errors == []


def test_the_budget_curve_chart(tmp_path):
    """A run with a budget curve (2, 4 and 8 steps), published from its store: the report's curve chart has two
    panels, each with ticks on both axes and axis titles with units, a line and a CI band per trained row and a
    dashed level for the untrained one, labels that do not overlap (in each panel), the sample-efficiency table,
    nothing wider than a 1280-pixel window and no console error; it exports as PNG."""
    import subprocess

    from test_curves import RATES, curve_run

    store = curve_run(tmp_path / "run")
    cli = [sys.executable, "-m", "harness.cli", "leaderboard"]
    assert subprocess.run([*cli, "publish", "--store", str(store), str(tmp_path / "pub")]).returncode == 0
    assert (tmp_path / "pub" / "curve.csv").is_file() and (tmp_path / "pub" / "curve.svg").is_file()
    with page_of(tmp_path / "pub" / "index.html", 1280, 800) as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        panels = page.locator("#curve g.panel")
        assert panels.count() == 2
        for k in range(2):
            panel = panels.nth(k)
            assert panel.locator("text.tick.x").count() >= 2 and panel.locator("text.tick.y").count() >= 3
            assert "tokens trained (log scale)" in panel.locator("text.axis.x").text_content()
            assert any(u in panel.locator("text.axis.y").text_content() for u in ("0-1", "1-10"))
            assert panel.locator("g.series").count() == len(RATES)
            assert panel.locator("g.series polyline.line").count() == len(RATES) - 1  # base is untrained
            assert panel.locator("g.series .band").count() == len(RATES)
            assert panel.locator("g.series line.level").count() == 1
            labels = f"#curve g.panel:nth-of-type({k + 1}) text.label"
            assert page.locator(labels).count() == len(RATES) and _boxes_overlap(page, labels) == []
        box = page.locator("#curve").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
        assert page.locator("#curve-table tbody tr").count() == len(RATES)
        assert page.errors == []
    png = subprocess.run([*cli, "export", "--store", str(store), "--format", "curve-png", "--output",
                          str(tmp_path / "c.png")], capture_output=True, text=True)
    assert png.returncode == 0, png.stderr
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


if __name__ == "__main__":  # screenshots: python tests/test_report_browser.py PAGE.html OUT.png [WIDTH HEIGHT]
    size = [int(x) for x in sys.argv[3:5]] or [1300, 900]
    page_path = Path(sys.argv[1])
    with page_of(page_path / "index.html" if page_path.is_dir() else page_path, *size) as p:
        p.screenshot(path=sys.argv[2], full_page=False)
