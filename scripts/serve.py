"""Start the dashboard with its heavy imports done first (what ./scripts/start runs):

    python scripts/serve.py [streamlit run options, e.g. --server.port 8502]

Streamlit imports a page's modules when a request first needs them; on a fresh server that made the first page
wait 7-16 s (plotly, scikit-learn, duckdb; the LLM SDKs are imported only when a teacher calls one). Here every
module the pages import at their top, and the Overview's report, are imported before the server starts, so once
the server answers its health check no page waits for an import. `streamlit run app.py` works as well, with that
wait on its first pages."""
from __future__ import annotations

import ast
import importlib
import importlib.util
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


def main() -> int:
    started = time.perf_counter()
    for name in page_imports():
        importlib.import_module(name)
    print(f"pseudolens: the pages' modules imported in {time.perf_counter() - started:.1f} s", flush=True)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
