"""Does the cross-fitted headline hang on the fold seed? GWSD (GPT-4o labels beside crowd gold) run with five fold
seeds; the headline gap should move by less than its own interval's half-width.

    python bench/seed_stability.py [--shared ../shared/data]

Prints JSON: per seed the gap and its interval, the spread of the gaps, and the mean half-width."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core.datasets.importing import import_dataset  # noqa: E402
from core.datasets.reading import ColumnMapping, read_dataset  # noqa: E402
from core.evaluation.config import parse_config  # noqa: E402
from core.evaluation.service import headlines  # noqa: E402
from core.pipeline import run_experiment  # noqa: E402
from core.store import Store  # noqa: E402
from shared_data import DEFAULT_SHARED, GWSD  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "gwsd.duckdb")
        mapping = ColumnMapping(text="data_entry", gold="gold_label", llm_labels={"gpt4o": "gpt_label"},
                                llm_confidences={"gpt4o": "gpt_confidence"})
        import_dataset(store, read_dataset(args.shared.joinpath(*GWSD), mapping), "gwsd")
        for seed in range(args.seeds):
            run_id = run_experiment(store, parse_config({
                "name": f"gwsd-seed{seed}", "dataset": "gwsd", "sizes": ["all"], "seeds": [0, 1, 2],
                "evaluation": {"scheme": "crossfit", "folds": 5, "repeats": 2, "seed": seed},
                "student": {"label_modes": ["hard"]}, "teachers": [{"name": "gpt4o", "kind": "recorded"}]}))
            [line] = headlines(store, run_id)
            rows.append({"fold_seed": seed, "gap": round(line.gap.value, 4), "lo": round(line.gap.lo, 4),
                         "hi": round(line.gap.hi, 4), "half_width": round((line.gap.hi - line.gap.lo) / 2, 4)})
    gaps = np.array([r["gap"] for r in rows])
    print(json.dumps({"data": "GWSD, GPT-4o teacher", "runs": rows, "gap_range": round(float(gaps.max() - gaps.min()), 4),
                      "largest_move_from_mean": round(float(np.abs(gaps - gaps.mean()).max()), 4),
                      "mean_half_width": round(float(np.mean([r["half_width"] for r in rows])), 4)}, indent=1))


if __name__ == "__main__":
    main()
