"""The layout promises of docs/architecture.md, checked: imports point from later pipeline stages to earlier
ones, only services touch the store, the library never imports Streamlit, modules stay readable, the types
check, and the command line starts without the heavy libraries."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"

# The flow a newcomer should see, earliest first. A module may import its own stage and earlier ones.
STAGES = ["core.datasets", "core.teachers", "core.taxonomy", "core.slices", "core.students", "core.evaluation",
          "core.review", "core.decision", "core.report", "core.pipeline", "core.demo", "core.cli", "core.__main__"]
FOUNDATION = {"core", "core.errors", "core.registry", "core.progress", "core.fingerprints", "core.paths", "core.files",
              "core.compute"}
# Thin services: they load, call the pure functions of their stage and write. Nothing else opens the store.
SERVICES = {"core.datasets.importing", "core.datasets.stored_embeddings", "core.teachers.service",
            "core.teachers.labeling", "core.teachers.call_cache", "core.taxonomy.propose", "core.slices.service",
            "core.evaluation.runs", "core.evaluation.service", "core.evaluation.report", "core.evaluation.noise_experiment",
            "core.review.ranking", "core.review.queue", "core.review.verdicts", "core.review.budget",
            "core.review.map", "core.review.exchange", "core.decision.service", "core.report.service", "core.pipeline", "core.demo", "core.cli", "core.cli.commands"}


def modules():
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {n for n in names if n == "core" or n.startswith("core.")}


def stage(name: str) -> int | None:
    for rank, prefix in enumerate(STAGES):
        if name == prefix or name.startswith(prefix + "."):
            return rank
    return None


def module_exists(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def test_imports_point_from_later_stages_to_earlier_ones():
    backwards = []
    for name, path in modules():
        if name in FOUNDATION or name.startswith("core.store"):
            continue  # the store's own rule is the next test's
        mine = stage(name)
        for target in imported(path):
            if not module_exists(target) or target in FOUNDATION or target.startswith("core.store"):
                continue
            theirs = stage(target)
            if mine is None or (theirs is not None and theirs > mine):
                backwards.append(f"{name} -> {target}")
    assert not backwards, backwards


def test_only_services_touch_the_store_and_the_store_only_reads_label_sets():
    touching = {name for name, path in modules() if any(t.startswith("core.store") for t in imported(path))
                and not name.startswith("core.store")}
    assert touching <= SERVICES, sorted(touching - SERVICES)
    store_imports = {t for name, path in modules() if name.startswith("core.store") for t in imported(path)
                     if module_exists(t) and not t.startswith("core.store")}
    assert store_imports <= FOUNDATION | {"core.datasets.labelset"}, store_imports


def test_the_library_never_imports_streamlit_and_no_module_is_over_400_lines():
    for name, path in modules():
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, name
        assert len(text.splitlines()) <= 400, f"{name}: {len(text.splitlines())} lines"


def test_the_command_line_starts_without_the_heavy_libraries():
    probe = ("import sys, runpy; sys.argv = ['core', '--help']\n"
             "try:\n    runpy.run_module('core', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('pandas', 'sklearn', 'duckdb', 'numpy', 'anthropic', 'spacy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.skipif(subprocess.run([sys.executable, "-m", "mypy", "--version"], capture_output=True).returncode != 0,
                    reason="mypy is not installed (it is in requirements-test.txt)")
@pytest.mark.slow
def test_the_library_type_checks():
    result = subprocess.run([sys.executable, "-m", "mypy", "core"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]
