"""Drive the real dashboard in Chromium: open every page, fail on an exception box, save a screenshot each.

    python scripts/screenshots.py [--db data/pseudolens.duckdb] [--out docs/screenshots]

Also used by the browser test. Needs Debian's chromium (/usr/bin/chromium) and the `playwright` package."""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PAGES = {"overview": "", "learning_curves": "learning_curves", "slices": "slices", "disagreements": "disagreements",
         "spot_check": "spot_check", "budget": "budget", "taxonomy": "taxonomy", "runs": "runs"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(db: Path, timeout: float = 60.0):
    """`streamlit run app.py` on 127.0.0.1 against `db`; yields the base URL."""
    port = free_port()
    env = {**os.environ, "PSEUDOLENS_DB": str(db)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
                raise RuntimeError(f"streamlit did not start: {process.stdout.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def shoot(url: str, out: Path, pages=PAGES) -> dict[str, list[str]]:
    """Visits each page, waits for its content, saves `<page>.png`; returns exception texts per page."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for name, path in pages.items():
            page.goto(f"{url}/{path}", wait_until="networkidle")
            page.wait_for_selector("h1", timeout=60000)
            try:  # charts draw after the heading; a page without charts simply has none
                page.wait_for_selector(".js-plotly-plot, [data-testid='stDataFrame'], [data-testid='stAlert']", timeout=30000)
            except Exception:
                pass
            page.wait_for_timeout(1500)
            problems[name] = [e.inner_text() for e in page.query_selector_all("[data-testid='stException']")]
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        browser.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "pseudolens.duckdb")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    with running_app(args.db) as url:
        problems = shoot(url, args.out)
    for name, errors in problems.items():
        print(f"{name}: {'OK' if not errors else errors}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
