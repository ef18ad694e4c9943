"""Every dashboard page timed in a real browser: Chromium at 1440x900 clicks each page in the sidebar of a
fresh `streamlit run app.py` and waits until the page is drawn (its title shows, Streamlit's script has
finished, no spinner or skeleton is left: a chart page's charts are drawn). Prints JSON.

    python bench/browser_pages.py [--db data/pseudolens.duckdb] [--rounds 2]

First, for /slices, /spot_check and the bare address, a fresh server (as ./scripts/start serves it) whose first
request is that page: seconds from its health check answering to the page drawn
(`fresh_server_first_request_seconds`), in a browser that never opened the dashboard and in one that did before
the server restarted. Then, on one more fresh server,
the browser opens on the Runs page (`first_load_seconds`, settling waits included); round 1 is then each
page's first visit on a fresh server (module imports and empty caches included; the Runs page's is its
second), later rounds are visits again. Then, on the spot-check queue, `--verdicts` times pressing T ("the
teacher is right") and L after a label chosen with the mouse, until the next example is drawn (target 0.5 s). The server runs on a copy of the database,
so the verdicts land there. Needs Debian's chromium and `playwright` (requirements-test.txt)."""
import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import (CHROMIUM, CHROMIUM_ARGS, PAGES, VIEWPORT, free_port, nav_link, running_app,  # noqa: E402
                         settle)

# the page asked for is drawn: its address, a heading other than the last page's, Streamlit's script finished,
# and no spinner or skeleton left but in the hidden element that loads Vega for the next page
# (ui.load_charts_for_the_next_page; the Overview, the default page, may keep the bare address)
DRAWN = """([path, before]) => {
    const here = location.pathname.replace(/\\/$/, '');
    const heading = document.querySelector('h1');
    const app = document.querySelector('[data-testid=stApp]');
    return (here.endsWith('/' + path) || (path === 'overview' && here === ''))
        && heading && heading.innerText.trim() !== before
        && app && app.getAttribute('data-test-script-state') === 'notRunning'
        && ![...document.querySelectorAll('[data-testid=stSpinner], [data-testid=stSkeleton]')]
            .some(e => !e.closest('.st-key-charts-preload'));
}"""
HEADING = "() => document.querySelector('h1') ? document.querySelector('h1').innerText.trim() : ''"
# the review's first line ("#3 of 500 listed · ex-42 · 497 after this one") names the example on screen
SHOWN_EXAMPLE = """() => [...document.querySelectorAll('[data-testid=stText]')]
    .map(e => e.innerText).find(t => t.includes(' listed · ')) || ''"""
NEXT_DRAWN = """before => {
    const shown = [...document.querySelectorAll('[data-testid=stText]')].map(e => e.innerText)
        .find(t => t.includes(' listed · ')) || '';
    const app = document.querySelector('[data-testid=stApp]');
    return shown && shown !== before && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


def time_verdicts(page, count: int) -> dict[str, list[float]]:
    """Seconds from a key pressed on the spot-check queue to the next example drawn, `count` times each: T (the
    teacher is right) right after the reviewer's name was typed and Enter pressed in its box, and L after a label
    was chosen with the mouse (the pointer's click is not timed; the key is)."""
    before = page.evaluate(HEADING)
    nav_link(page, PAGES["spot_check"]).click()
    page.wait_for_function(DRAWN, arg=["spot_check", before], polling=50, timeout=120000)
    page.get_by_label("Reviewer").fill("bench")
    page.get_by_label("Reviewer").press("Enter")  # leaves the box, as a reviewer would

    def timed(key: str) -> float:
        before = page.evaluate(SHOWN_EXAMPLE)
        started = time.perf_counter()
        page.keyboard.press(key)
        page.wait_for_function(NEXT_DRAWN, arg=before, polling=20, timeout=60000)
        return round(time.perf_counter() - started, 3)

    seconds: dict[str, list[float]] = {"T": [], "L after a label chosen with the mouse": []}
    for _ in range(count):
        seconds["T"].append(timed("t"))
    for i in range(count):
        labels = page.get_by_test_id("stButtonGroup").first.get_by_role("radio")
        labels.nth(i % labels.count()).click()
        settle(page)
        seconds["L after a label chosen with the mouse"].append(timed("l"))
    return seconds


def fresh_server_first_request(db: Path, path: str) -> dict[str, float]:
    """Seconds from a fresh server's health check answering to the page at `path` drawn, that page being the
    server's first request (as a deep link, a bookmark or a reload after a restart), for two browsers: one that
    has never opened the dashboard (`first_visit`: empty profile, so Streamlit's scripts, Vega's among them, are
    downloaded and compiled) and one that opened it before the server restarted on the same address
    (`returning`: its HTTP and compiled-code caches kept, as a bookmark in a user's own browser has them)."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    seconds = {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        # a profile on disk, so the browser keeps its caches across the restarts as a user's browser does
        browser = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                       viewport=VIEWPORT)  # ready before the server
        page = browser.new_page()
        for visit in ("first_visit", "returning"):
            with running_app(db, port=port) as url:
                answered = time.perf_counter()
                page.goto(f"{url}/{path}")
                page.wait_for_function(DRAWN, arg=[path or "overview", ""], polling=50, timeout=120000)
                seconds[visit] = round(time.perf_counter() - answered, 3)
                page.goto("about:blank")
        browser.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "pseudolens.duckdb")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--verdicts", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    seconds: dict[str, list[float]] = {name: [] for name in PAGES}
    scratch = Path(tempfile.mkdtemp())
    db = scratch / args.db.name
    shutil.copy(args.db, db)
    first_requests = {f"/{path}": fresh_server_first_request(db, path) for path in ("slices", "spot_check", "")}
    with running_app(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        started = time.perf_counter()
        page.goto(f"{url}/runs")  # the round then starts on another page: the Overview
        settle(page)
        opened = time.perf_counter() - started
        for _ in range(args.rounds):
            for name, title in PAGES.items():
                # from a page whose heading differs, so "drawn" cannot be the page we came from
                before = page.evaluate(HEADING)
                started = time.perf_counter()
                nav_link(page, title).click()
                page.wait_for_function(DRAWN, arg=[name, before], polling=50, timeout=120000)
                seconds[name].append(round(time.perf_counter() - started, 3))
        verdicts = time_verdicts(page, args.verdicts)
        browser.close()
    shutil.rmtree(scratch)
    print(json.dumps({"benchmark": "browser_pages", "db": str(args.db), "viewport": VIEWPORT,
                      "fresh_server_first_request_seconds": first_requests,
                      "first_load_seconds": round(opened, 3),
                      "seconds": {name: {"first": s[0], "again_median": statistics.median(s[1:]) if len(s) > 1 else None}
                                  for name, s in seconds.items() if s},
                      "verdict_to_next_example_seconds": {
                          key: {"each": each, "median": statistics.median(each), "target": 0.5}
                          for key, each in verdicts.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
