"""Start the dashboard with its heavy imports done first (what ./scripts/start runs):

    python scripts/serve.py [streamlit run options, e.g. --server.port 8502]

Streamlit imports a page's modules when a request first needs them; on a fresh server that made the first page
wait 7-16 s (the chart library, scikit-learn, duckdb; the LLM SDKs are imported only when a teacher calls one). Here every
module the pages import at their top, and the Overview's report, are imported, and then every page is run once
headless (`warm_pages`), before the server starts, so once the server answers its health check no page waits
for an import or a first query. `streamlit run app.py` works as well, with that wait on its first pages."""
from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# imported inside a page's cached loader, so not at its top, but read by the Overview on every first visit
ALSO = ("core.evaluation.report",)
sys.path.insert(0, str(ROOT))


def page_imports() -> list[str]:
    """The modules every page and ui.py import at their top, in the order first seen (`from core.report import
    charts` names the module core.report.charts)."""
    names: dict[str, None] = {}
    for source in [ROOT / "ui.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.parse(source.read_text()).body:
            if isinstance(node, ast.Import):
                names.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names[node.module] = None
                names.update(dict.fromkeys(f"{node.module}.{alias.name}" for alias in node.names
                                           if importlib.util.find_spec(node.module) is not None
                                           and _is_module(f"{node.module}.{alias.name}")))
    # not ui itself: its cached functions belong to the server's runtime, which does not exist yet (ui is small; what
    # it imports is in the list)
    return [name for name in dict.fromkeys([*names, *ALSO]) if name != "ui"]


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # `name` is an attribute of its parent, not a module
        return False


def _errors_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR


def warm_pages() -> None:
    """Every page run once, headless, through Streamlit's own test runner (`AppTest`), before the server starts:
    Streamlit's first-run work (its component registry, page config, Altair's schema) and the pages' cached
    queries of the database as it is now are then done when the first browser asks, so that request draws as fast
    as a later one. It only reads: a page writes nothing until someone clicks. A page that cannot run now (say,
    while ./scripts/start's background steps hold the database) is named and runs on its first visit instead."""
    from streamlit.testing.v1 import AppTest

    # outside a server Streamlit warns that its caches live in memory and that there is no script context: both
    # are what warming wants, not news for the person who started the dashboard (the server's own are kept)
    quiet = [logging.getLogger(name) for name in ("streamlit.runtime.caching.cache_data_api",
                                                   "streamlit.runtime.scriptrunner_utils.script_run_context")]
    for logger in quiet:  # a filter, not a level: Streamlit resets its loggers' levels when it reads its config
        logger.addFilter(_errors_only)
    try:
        from ui import PAGES  # its cached queries too, made here outside a server, are kept in memory

        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for file in PAGES:
            try:
                app.switch_page(f"pages/{file}.py").run()
                failed = app.exception[0].value if app.exception else None  # AppTest keeps a page's own errors
            except Exception as error:  # noqa: BLE001 - the page runs again on its first visit, showing its error
                failed = str(error)
            if failed:
                print(f"pseudolens: the {file} page was not run ahead ({failed}); it runs on its first visit",
                      flush=True)
    finally:
        for logger in quiet:
            logger.removeFilter(_errors_only)


def main() -> int:
    started = time.perf_counter()
    for name in page_imports():
        importlib.import_module(name)
    print(f"pseudolens: the pages' modules imported in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    warm_pages()
    print(f"pseudolens: every page run once in {time.perf_counter() - started:.1f} s", flush=True)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
