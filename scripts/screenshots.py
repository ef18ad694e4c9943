"""Drive the real dashboard in Chromium: open every page, fail on an exception box, save a screenshot each.

    python scripts/screenshots.py [--db data/pseudolens.duckdb] [--out docs/screenshots]

Also used by the browser test. Needs Debian's chromium (/usr/bin/chromium) and the `playwright` package."""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# page -> its title in the sidebar's navigation
PAGES = {"overview": "Overview", "learning_curves": "Learning curves", "slices": "Slice error maps",
         "disagreements": "Disagreement map", "spot_check": "Spot-check queue", "budget": "Budget curves",
         "taxonomy": "Label set", "runs": "Runs"}
VIEWPORT = {"width": 1440, "height": 900}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(db: Path, timeout: float = 240.0, port: int | None = None):
    """The dashboard as ./scripts/start serves it (scripts/serve.py: the pages' imports first, then `streamlit run
    app.py`) on 127.0.0.1 against `db`, a fresh server each time, on `port` where given (a browser keeps its caches
    per address); yields the base URL once its health check answers.

    The server's output goes to a file, not a pipe: nobody reads a pipe while the browser works, and once its
    64 KB buffer is full (warnings, a few dozen page runs in) the server blocks on its next write and stops
    answering."""
    port = port or free_port()
    env = {**os.environ, "PSEUDOLENS_DB": str(db)}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "serve.py"), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"streamlit did not start: {log.read().decode(errors='replace')[-2000:]}")
                time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# The page has drawn and stayed still: a heading, Streamlit's script not running, no spinner or skeleton (but in the
# hidden element that loads Vega, ui.load_charts_for_the_next_page), and no change anywhere in the page for `quiet`
# ms since the wait began. A rerun starts a few ms after the click or key that asks for it, and Vega draws its charts
# after the script has finished; both change the page, so both restart the quiet window.
STILL = """([quiet, restart]) => {
    if (restart || window.lastPageChange === undefined) {
        window.lastPageChange = performance.now();
        if (!window.pageChangeObserver) {
            window.pageChangeObserver = new MutationObserver(() => { window.lastPageChange = performance.now(); });
            window.pageChangeObserver.observe(document, {subtree: true, childList: true, attributes: true,
                                                         characterData: true});
        }
        if (restart) return false;
    }
    const app = document.querySelector('[data-testid=stApp]');
    return !!document.querySelector('h1') && !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && ![...document.querySelectorAll('[data-testid=stSpinner], [data-testid=stSkeleton]')]
            .some(e => !e.closest('.st-key-charts-preload'))
        && performance.now() - window.lastPageChange > quiet;
}"""


def settle(page, timeout: float = 120000, quiet: float = 300) -> None:
    """Waits until the app has drawn and stayed still for `quiet` ms (`STILL`)."""
    page.evaluate(STILL, [quiet, True])
    page.wait_for_function(STILL, arg=[quiet, False], polling=50, timeout=timeout)


# every distinct list of links the sidebar shows while a page lives (Streamlit's own page list included), so a
# test can say that no other entry showed at any moment, not only once the page has settled
WATCH_SIDEBAR = """(() => {
    window.sidebarLinksSeen = [];
    const look = () => {
        const links = [...document.querySelectorAll('[data-testid=stSidebar] a, [data-testid=stSidebarNav] a')]
            .map(a => a.innerText.trim());
        const seen = JSON.stringify(links);
        if (links.length && !window.sidebarLinksSeen.includes(seen)) window.sidebarLinksSeen.push(seen);
    };
    new MutationObserver(look).observe(document, {childList: true, subtree: true, characterData: true});
})()"""


def sidebar_links_seen(page) -> list[list[str]]:
    """The lists of sidebar links seen since the page was loaded (`WATCH_SIDEBAR` must be an init script)."""
    import json

    return [json.loads(seen) for seen in page.evaluate("window.sidebarLinksSeen")]


def nav_link(page, title: str):
    """The sidebar's link to the page titled `title` (drawn by `ui.page` on every page)."""
    return page.get_by_test_id("stSidebar").get_by_role("link", name=title, exact=True)


def shoot(page, url: str, out: Path, pages=PAGES) -> dict[str, list[str]]:
    """Visits each page through the sidebar as a person would (so the session, and the run picked in it, carry
    over), waits for it to draw, saves `<page>.png` (what a 1440x900 window shows); returns the exception texts
    per page."""
    out.mkdir(parents=True, exist_ok=True)
    if not page.url.startswith(url):
        page.goto(url)
        settle(page)
    problems: dict[str, list[str]] = {}
    for name, title in pages.items():
        nav_link(page, title).click()
        settle(page)
        problems[name] = [e.inner_text() for e in page.query_selector_all("[data-testid='stException']")]
        page.screenshot(path=str(out / f"{name}.png"))
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "pseudolens.duckdb")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_app(args.db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        problems = shoot(browser.new_page(viewport=VIEWPORT), url, args.out)
        browser.close()
    for name, errors in problems.items():
        print(f"{name}: {'OK' if not errors else errors}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
