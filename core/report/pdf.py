"""A report as PDF: the self-contained HTML page printed by a headless Chromium (the browser the dashboard's
tests drive). Nothing is fetched: the page holds every chart's code and data, and Chromium starts with its
background traffic switched off and a throw-away profile."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from core.errors import InputError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Vega draws after the page has loaded; Chromium's virtual clock lets those scripts finish before printing
DRAW_BUDGET_MS = 20000


def find_chromium() -> str | None:
    """`PSEUDOLENS_CHROMIUM` if set, else the first Chromium-family browser on PATH."""
    wanted = os.environ.get("PSEUDOLENS_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).exists() else None
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def print_pdf(page: str, timeout: float = 180.0) -> bytes:
    """The PDF of an HTML page (a report from `html_report`), as Chromium prints it."""
    browser = find_chromium()
    if browser is None:
        raise InputError("a PDF is printed by Chromium, and none was found (looked for "
                         f"{', '.join(BROWSERS)} on PATH and PSEUDOLENS_CHROMIUM); install it (Debian: "
                         "`apt-get install chromium`), or write --format html and print that from a browser")
    with tempfile.TemporaryDirectory(prefix="pseudolens-pdf-") as folder:
        source, target = Path(folder) / "report.html", Path(folder) / "report.pdf"
        source.write_text(page, encoding="utf-8")
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={Path(folder) / 'profile'}", "--no-pdf-header-footer",
                   f"--virtual-time-budget={DRAW_BUDGET_MS}", f"--print-to-pdf={target}", source.as_uri()]
        try:
            finished = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise InputError(f"{browser} did not print the report within {timeout:.0f} s") from None
        if not target.exists() or not target.read_bytes().startswith(b"%PDF"):
            said = (finished.stderr or finished.stdout).strip().splitlines()[-3:]
            raise InputError(f"{browser} printed no PDF (exit {finished.returncode}): {' | '.join(said)}")
        return target.read_bytes()
