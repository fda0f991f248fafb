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
def page_of(path: Path):
    """A headless Chromium page on ``path`` (file://), recording console errors, page errors and requests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
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
               entry("dpo", 0.5, response=PAYLOADS[1], label=f"dpo {PAYLOADS[1]}")]
    publish(build(entries, resamples=100), tmp_path / "pub")
    return tmp_path / "pub" / "index.html"


def test_the_report_renders_filters_and_runs_no_payload(tmp_path):
    index = _report(tmp_path)
    with page_of(index) as page:
        assert page.locator("svg circle").count() == 3  # one point per row
        assert page.locator("svg text", has_text="dpo").count() == 1
        # payloads in responses and in a row label stay text
        assert page.evaluate("window.__pwned") is None
        assert page.locator("pre", has_text="<script>window.__pwned").count() >= 1
        assert page.locator("td", has_text='dpo <img src="x" onerror=').count() == 1
        # the sample browser opens and filters
        details = page.locator("details")
        assert details.count() == 6 and page.locator("tr.sample:visible").count() == 0  # all collapsed
        details.first.locator("summary").click()
        assert page.locator("tr.sample:visible").count() == 40
        page.fill("#filter", "harmful 17")
        visible = page.locator("tr.sample:visible")
        assert visible.count() == 3  # prompt "harmful 17" in each row's harmful-prompt task, opened by the filter
        assert all("harmful 17" in t for t in visible.all_text_contents())
        assert page.locator("#shown").text_content() == "3 matching samples"
        page.fill("#filter", "onerror")
        assert page.locator("tr.sample:visible").count() == 40  # the dpo responses, matched as text
        assert page.evaluate("window.__pwned") is None
        assert page.errors == []
        assert [u for u in page.requests if not u.startswith("file://")] == []  # no network
        assert page.requests == [index.resolve().as_uri()]  # nothing else loaded, not even the <img src="x">


def test_the_check_catches_a_payload_that_does_run(tmp_path):
    # the same detector on a deliberately unescaped page: proof that the test above can fail
    page_file = tmp_path / "unescaped.html"
    page_file.write_text(f"<!DOCTYPE html><html><body><div>{PAYLOADS[1]}</div></body></html>")
    with page_of(page_file) as page:
        page.wait_for_function("window.__pwned !== undefined")
        assert page.evaluate("window.__pwned") == "onerror"
        assert any(u.endswith("/x") for u in page.requests)


if __name__ == "__main__":  # the README's screenshot of a published report
    with page_of(Path(sys.argv[1]) / "index.html") as p:
        p.screenshot(path=sys.argv[2], full_page=False)
