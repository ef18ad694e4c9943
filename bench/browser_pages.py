"""Every dashboard page timed in a real browser: Chromium at 1440x900 clicks each page in the sidebar of a
fresh `streamlit run app.py` and waits until the page is drawn (its title shows, Streamlit's script has
finished, no spinner or skeleton is left). Prints JSON.

    python bench/browser_pages.py [--db data/pseudolens.duckdb] [--rounds 2]

The browser opens on the Runs page (`first_load_seconds`, settling waits included); round 1 is then each
page's first visit on a fresh server (module imports and empty caches included; the Runs page's is its
second), later rounds are visits again. Needs Debian's chromium and `playwright` (requirements-test.txt)."""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import CHROMIUM, CHROMIUM_ARGS, PAGES, VIEWPORT, running_app, settle  # noqa: E402

DRAWN = """title => {
    const heading = document.querySelector('h1');
    const app = document.querySelector('[data-testid=stApp]');
    return heading && heading.innerText.trim() === title
        && app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid=stSpinner], [data-testid=stSkeleton]');
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "pseudolens.duckdb")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    seconds: dict[str, list[float]] = {name: [] for name in PAGES}
    with running_app(args.db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        started = time.perf_counter()
        page.goto(f"{url}/runs")  # the round then starts on another page: the Overview
        settle(page)
        opened = time.perf_counter() - started
        for _ in range(args.rounds):
            for name, title in PAGES.items():
                # from a page whose title differs, so "drawn" cannot be the page we came from
                started = time.perf_counter()
                page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
                page.wait_for_function(DRAWN, arg=title, polling=50, timeout=120000)
                seconds[name].append(round(time.perf_counter() - started, 3))
        browser.close()
    print(json.dumps({"benchmark": "browser_pages", "db": str(args.db), "viewport": VIEWPORT,
                      "first_load_seconds": round(opened, 3),
                      "seconds": {name: {"first": s[0], "again_median": statistics.median(s[1:]) if len(s) > 1 else None}
                                  for name, s in seconds.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
