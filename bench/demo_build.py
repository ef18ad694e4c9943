"""Time `python -m core demo` (the default database from scratch). Prints JSON.

    python bench/demo_build.py"""
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.demo import build_demo_database  # noqa: E402
from core.store import Store  # noqa: E402

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "demo.duckdb"
    started = time.perf_counter()
    run_ids = build_demo_database(path)
    seconds = time.perf_counter() - started
    store = Store(path)
    print(json.dumps({"benchmark": "demo_build", "seconds": round(seconds, 1), "target_seconds": 120,
                      "runs": {r: store.run(r)["timings"] for r in run_ids},
                      "database_mb": round(path.stat().st_size / 1e6, 1)}, indent=2))
