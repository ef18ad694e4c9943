"""The command line's arguments: one subcommand per pipeline step, each with `--db`."""
from __future__ import annotations

import argparse
from pathlib import Path

from core.datasets.pairs import name_value_pair
from core.errors import InputError
from core.paths import DEFAULT_DB

DESCRIPTION = """Command line: `python -m core demo | taxonomy | import | slices | run | noise-experiment | map | runs | report |
budget | decide | export | import-verdicts | apply-verdicts | frames` (also installed as `pseudolens`).

Exit codes: 0 success; 2 usage error; 3 invalid data, label file, config or a name not in the database
or an output file that cannot be written (nothing was written); 4 database problem (busy, damaged, not a
pseudolens file, newer schema, missing, or a file or folder that may not be written); 5 a teacher
cannot label (missing API key, rejected request, retries used up); 6 the Dask scheduler given to `run
--scheduler` cannot be reached or has no worker (nothing was written); 130 interrupted (finished work is kept)."""


# core.review.strategies.STRATEGIES' names, here so `--help` imports nothing heavy (a test keeps them equal)
STRATEGY_NAMES = ("random", "low_confidence", "self_disagreement", "disagreement", "cleanlab", "slice_risk",
                  "cluster_coverage", "teacher_disagreement", "aggregate_uncertainty", "combined")


def _key_value(text: str) -> tuple[str, str]:
    try:
        return name_value_pair(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _counts(text: str, allow_all: bool = False) -> list[int | str]:
    """A comma-separated list of whole numbers (0 or more), "all" among them where `allow_all`."""
    values: list[int | str] = []
    for part in (p.strip() for p in text.split(",")):
        if allow_all and part == "all":
            values.append(part)
        elif part.isdigit():
            values.append(int(part))
        else:
            raise argparse.ArgumentTypeError(f"{part!r} in {text!r} is not a whole number"
                                             + (" or 'all'" if allow_all else ""))
    return values


def _sizes(text: str) -> list[int | str]:
    return _counts(text, allow_all=True)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pseudolens", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"DuckDB file (default: {DEFAULT_DB})")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", parents=[common], help="build the demo database from scratch (corpus, offline teachers, runs)")
    demo.add_argument("--if-missing", action="store_true", help="do nothing when the database already exists")

    imp = commands.add_parser("import", parents=[common], help="import a labeled or unlabeled data set (CSV, TSV, Parquet, JSONL)",
                              description="Import a data set. Only --text is required; every other column is optional.")
    imp.add_argument("file", type=Path)
    imp.add_argument("--name", required=True, help="name of the data set in the database")
    imp.add_argument("--text", required=True, help="column with the text to classify")
    imp.add_argument("--id", help="column with a unique id per row (default: the row number)")
    imp.add_argument("--gold", help="column with human (gold) labels; empty cells mean unlabeled")
    imp.add_argument("--split", help="column with the split; rows marked 'test' become the gold test set")
    imp.add_argument("--slice", action="append", default=[], metavar="COLUMN", help="extra column to keep as a slice (repeatable)")
    imp.add_argument("--llm-label", action="append", default=[], type=_key_value, metavar="TEACHER=COLUMN",
                     help="column with existing LLM labels, recorded as a teacher (repeatable)")
    imp.add_argument("--llm-confidence", action="append", default=[], type=_key_value, metavar="TEACHER=COLUMN",
                     help="column with that teacher's confidence in [0, 1]")
    imp.add_argument("--labels", type=Path, help="label file: YAML/JSON list of names or {name, description}, or one name per line; "
                                                  "default: the labels found in --gold")

    taxonomy = commands.add_parser("taxonomy", parents=[common], help="propose a label set for unlabeled texts, to edit "
                                   "and then import with --labels (TnT-LLM with an LLM, or embedding clusters offline)")
    taxonomy.add_argument("file", type=Path)
    taxonomy.add_argument("--text", required=True, help="column with the texts")
    taxonomy.add_argument("--out", type=Path, required=True, help="label file to write (YAML: name and description per label)")
    taxonomy.add_argument("--method", choices=["clusters", "claude", "openai_compatible"], default="clusters",
                          help="clusters: offline (default); claude or openai_compatible: the TnT-LLM steps with that teacher")
    taxonomy.add_argument("--max-labels", type=int, default=8)
    taxonomy.add_argument("--use-case", default="sort these texts into categories a team can act on")
    taxonomy.add_argument("--sample", type=int, default=200, help="texts the LLM summarizes (default 200)")
    taxonomy.add_argument("--model", help="model of the LLM teacher")
    taxonomy.add_argument("--base-url", help="endpoint of the LLM teacher (required for openai_compatible)")
    taxonomy.add_argument("--price", type=float, nargs=2, metavar=("INPUT", "OUTPUT"),
                          help="USD per million input and output tokens, for a model without a known price")

    slices = commands.add_parser("slices", parents=[common], help="compute the failure-zone slices of a data set (depth, "
                                 "ambiguity, false premise, low-probability targets); only what changed is recomputed")
    slices.add_argument("--dataset", required=True)
    slices.add_argument("--judge", choices=["claude", "openai_compatible"],
                        help="also ask this LLM whether each text is ambiguous and whether it has a false premise (costs calls, once)")
    slices.add_argument("--model", help="model of the judge")
    slices.add_argument("--base-url", help="endpoint of the judge (required for openai_compatible)")
    slices.add_argument("--price", type=float, nargs=2, metavar=("INPUT", "OUTPUT"),
                        help="USD per million input and output tokens, for a model without a known price")
    slices.add_argument("--train-detector", nargs=4, action="append", default=[],
                        metavar=("SLICE", "FILE", "TEXT_COLUMN", "FLAG_COLUMN"),
                        help="train the offline flag detector on labeled texts (for example FalseQA's train.csv question "
                             "label for false premises) and add its scores as SLICE (repeatable)")
    slices.add_argument("--force", action="store_true", help="recompute even where the inputs did not change")

    noise = commands.add_parser("noise-experiment", parents=[common], help="the controlled noise experiment: the same "
                                "error rate uniform or concentrated in one slice, as a run")
    noise.add_argument("--dataset", required=True)
    noise.add_argument("--slice", required=True, metavar="SLICE=BUCKET", type=_key_value,
                       help="where to concentrate the noise, for example clause_depth=3+ or a user column=value")
    noise.add_argument("--rate", type=float, default=0.2, help="overall teacher error rate (default 0.2)")
    noise.add_argument("--sizes", type=_sizes, default="100,200,500,1000,2000,all")

    run = commands.add_parser("run", parents=[common], help="run an experiment from a TOML or YAML config (resumes an interrupted one)")
    run.add_argument("--config", type=Path, required=True)
    run.add_argument("--dry-run", action="store_true", help="only estimate the LLM calls, tokens and cost; call nothing")
    run.add_argument("--scheduler", metavar="ADDRESS", help="send the student fits to the Dask cluster whose scheduler "
                     "is at ADDRESS, e.g. tcp://HOST:8786 (default: $PSEUDOLENS_SCHEDULER, else the config's "
                     "[compute] scheduler, else this machine)")

    map_ = commands.add_parser("map", parents=[common], help="compute the disagreement map (UMAP, clusters) of runs; about a minute, once")
    map_.add_argument("--run", action="append", default=[], metavar="RUN", help="a run id or a run config's name "
                      "(repeatable; default: every finished run without a map)")

    budget = commands.add_parser("budget", parents=[common], help="budget curves: what N human checks buy, per ranking strategy")
    budget.add_argument("--run", required=True, help="a run id, or a run config's name (its latest finished run)")
    budget.add_argument("--teacher", required=True)
    budget.add_argument("--budgets", type=_counts, default="0,25,50,100,200,400,800", help="comma-separated numbers of checks")
    budget.add_argument("--if-missing", action="store_true", help="do nothing when the run has this teacher's curves")

    export = commands.add_parser("export", parents=[common], help="export a spot-check queue for Label Studio, Argilla or as CSV")
    export.add_argument("--run", required=True, help="a run id, or a run config's name (its latest finished run)")
    export.add_argument("--teacher", required=True)
    export.add_argument("--strategy", choices=STRATEGY_NAMES, metavar="STRATEGY",
                        help=f"a ranking strategy: {', '.join(STRATEGY_NAMES)} (default: combined, chosen across "
                             "data sets; one the teacher's data cannot feed is refused with the reason; see the README)")
    export.add_argument("--format", choices=["label_studio", "argilla", "csv"], required=True)
    export.add_argument("--limit", type=int, default=500)
    export.add_argument("--out", type=Path, required=True)

    verdicts = commands.add_parser("import-verdicts", parents=[common], help="import completed annotations as verdicts")
    verdicts.add_argument("file", type=Path)
    verdicts.add_argument("--dataset", required=True)
    verdicts.add_argument("--format", choices=["label_studio", "argilla", "csv"], required=True)

    apply = commands.add_parser("apply-verdicts", parents=[common], help="rerun with the teacher's labels corrected by the verdicts")
    apply.add_argument("--run", required=True, help="a run id, or a run config's name (its latest finished run)")
    apply.add_argument("--teacher", required=True)

    report = commands.add_parser("report", parents=[common], help="a run's answer (JSON), or its report to hand out (HTML or PDF)")
    report.add_argument("--run", required=True, help="a run id, or a run config's name (its latest finished run)")
    report.add_argument("--format", choices=["json", "html", "pdf"], default="json",
                        help="html: one self-contained page; pdf: that page printed by a local Chromium")
    report.add_argument("--out", type=Path, help="write to this file (html, pdf: required) instead of printing")
    report.add_argument("--metric", choices=["accuracy", "macro_f1"], default="accuracy")

    decide = commands.add_parser("decide", parents=[common], help="the decision: which labels to buy to reach a target "
                                 "accuracy, and what each option costs")
    decide.add_argument("--run", required=True, help="a run id, or a run config's name (its latest finished run)")
    decide.add_argument("--target", type=float, help="accuracy to reach, e.g. 0.74 (default: the human-label student "
                        "at the largest size, minus one point)")
    decide.add_argument("--human-label-cost", type=float, default=0.40, help="USD per human label (default: 0.40)")
    decide.add_argument("--check-cost", type=float, default=0.15, help="USD per human check of a teacher label (default: 0.15)")
    decide.add_argument("--teacher-price", action="append", default=[], type=_key_value, metavar="TEACHER=USD",
                        help="a teacher's price per 1,000 labels, over its measured calls and its config (repeatable)")
    decide.add_argument("--format", choices=["text", "json"], default="text")

    frames = commands.add_parser("frames", parents=[common], help="store what the dashboard's pages show first for "
                                 "finished runs without it (runs stored by an older pseudolens)")
    frames.add_argument("--run", action="append", default=[], metavar="RUN",
                        help="a run id or a run config's name (repeatable; default: every finished run without them)")

    runs = commands.add_parser("runs", parents=[common], help="list runs with their status and headline")
    runs.add_argument("--json", action="store_true", help="machine-readable output")
    return parser
