"""What each subcommand does: parse nothing, call the library, print what a person needs."""
from __future__ import annotations

import json
import sys
from typing import TextIO

from tqdm import tqdm

from core.errors import InputError, UsageError
from core.files import write_output


class TqdmProgress:
    """One progress bar per stage, as `Progress` callbacks report them. When stderr is not a terminal (a log
    file, CI) a bar's carriage-return redraws would fill the log, so each stage writes a plain line at its start
    and at every quarter instead."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bars: dict[str, tqdm] = {}
        self.quarters: dict[str, int] = {}
        self.terminal = self.stream.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.terminal:
            quarter = 4 * done // max(total, 1)
            if self.quarters.get(stage, -1) < quarter:
                self.quarters[stage] = quarter
                print(f"{stage}: {done}/{total}", file=self.stream, flush=True)
            return
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit="item", leave=True, file=self.stream)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()


def _print_headlines(store, run_id: str) -> None:
    from core.evaluation.service import headlines

    for headline in headlines(store, run_id):
        print(f"  {headline.sentence()}")


def _demo(args) -> int:
    from core.demo import build_demo_database
    from core.store import Store

    if args.if_missing and args.db.exists():
        print(f"{args.db} exists; keeping it")
        return 0
    run_ids = build_demo_database(args.db, progress=TqdmProgress())
    store = Store(args.db)
    for run_id in run_ids:
        print(f"run {run_id}:")
        _print_headlines(store, run_id)
    print(f"demo database written to {args.db}")
    return 0


def _import(args) -> int:
    from core.datasets.importing import import_dataset, import_notes
    from core.datasets.labelset import LabelSet
    from core.datasets.reading import ColumnMapping, read_dataset
    from core.store import Store

    mapping = ColumnMapping(text=args.text, id=args.id, gold=args.gold, split=args.split, slices=tuple(args.slice),
                            llm_labels=dict(args.llm_label), llm_confidences=dict(args.llm_confidence))
    label_set = LabelSet.from_file(args.labels) if args.labels else None
    loaded = read_dataset(args.file, mapping, label_set)
    info = import_dataset(Store(args.db), loaded, args.name)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"imported {info.n_examples} examples as {info.name!r} ({info.dataset_id}) with labels {info.label_set.names}")
    for note in import_notes(loaded):
        print(f"  {note}")
    for teacher in mapping.llm_labels:
        print(f"  recorded teacher {teacher!r} from column {mapping.llm_labels[teacher]!r}")
    return 0


def _taxonomy(args) -> int:
    import yaml

    from core.datasets.reading import read_texts
    from core.store import Store
    from core.taxonomy.propose import propose

    taxonomy_id, taxonomy = propose(Store(args.db), read_texts(args.file, args.text), str(args.file), args.method,
                                    args.max_labels, args.use_case, args.sample, args.model, args.base_url, args.price)
    write_output(args.out, yaml.safe_dump({"labels": taxonomy.records()}, sort_keys=False, allow_unicode=True),
                 "the label file")
    print(f"proposed {len(taxonomy.labels)} labels ({taxonomy.method}, taxonomy {taxonomy_id}):")
    for record in taxonomy.records():
        print(f"  {record['name']}: {record['description']}")
    if "cost_usd" in taxonomy.provenance:
        print(f"{taxonomy.provenance['calls']} calls, ${taxonomy.provenance['cost_usd']:.4f}")
    print(f"written to {args.out}: edit names and descriptions, then "
          f"`python -m core import {args.file} --text {args.text} --labels {args.out} --name NAME`")
    return 0


def _slices(args) -> int:
    from core.datasets.reading import read_flags, read_texts
    from core.pipeline import compute_dataset_slices
    from core.slices.detector import DetectorSlicer, FlagDetector
    from core.slices.service import default_slicers
    from core.store import Store
    from core.teachers import llm_teacher
    from core.teachers.call_cache import StoreCallCache

    store = Store(args.db, create=False)
    dataset = store.dataset(args.dataset)
    judge = llm_teacher(args.judge, args.model, args.base_url, args.price, StoreCallCache(store)) if args.judge else None
    slicers = default_slicers(store, dataset.dataset_id, judge)
    for name, path, text, flag in args.train_detector:
        slicers.append(DetectorSlicer(name, FlagDetector().fit(read_texts(path, text), read_flags(path, flag))))
    computed = compute_dataset_slices(store, dataset.dataset_id, slicers, progress=TqdmProgress(), force=args.force)
    for slicer, fresh in computed.items():
        print(f"{slicer}: {'computed' if fresh else 'unchanged inputs, kept'}")
    counts = store.slices(dataset.dataset_id).groupby(["slice", "bucket"]).size()
    for (name, bucket), n in counts.items():
        print(f"  {name} = {bucket}: {n}")
    _print_slice_verdicts(store, dataset)
    return 0


def _print_slice_verdicts(store, dataset) -> None:
    """Whether each teacher's error is structured by each computed slice, on the data set's latest finished run."""
    from core.evaluation.service import slice_options, slice_tables
    from core.evaluation.slice_errors import structure_sentence

    runs = store.runs()
    runs = runs[(runs["dataset"] == dataset.name) & (runs["status"] == "finished")]
    if runs.empty:
        print("no finished run on this data set yet: the structured-error verdicts need one (python -m core run)")
        return
    run = store.run(runs["run_id"].iloc[-1])
    mode = run["config"]["student"]["label_modes"][0]
    print(f"where each teacher errs, on run {run['run_id']}:")
    options = [option for option in slice_options(store, dataset.dataset_id) if option.slice_by == "stored"]
    for teacher in store.run_teachers(run["run_id"])["teacher_name"]:
        for option, table in zip(options, slice_tables(store, run["run_id"], teacher, mode, options)):
            print(f"  {teacher} by {option.title}: {structure_sentence(table, option.title)}")


def _noise_experiment(args) -> int:
    from core.evaluation.noise_experiment import noise_verdict
    from core.pipeline import run_noise_experiment
    from core.store import Store

    store = Store(args.db, create=False)
    slice_name, bucket = args.slice
    run_id = run_noise_experiment(store, args.dataset, slice_name, bucket, args.rate, progress=TqdmProgress(),
                                  sizes=args.sizes)
    print(f"run {run_id}:")
    print(f"  {noise_verdict(store, run_id).sentence}")
    return 0


def _run(args) -> int:
    from core.evaluation.config import load_config
    from core.pipeline import dry_run, run_experiment
    from core.store import Store
    from core.teachers.outbound import foreign_key_warnings

    config = load_config(args.config)
    for warning in foreign_key_warnings(config.teachers):
        print(warning, file=sys.stderr)
    store = Store(args.db, create=False)
    if args.dry_run:
        estimate = dry_run(store, config)
        print(estimate.to_string(index=False) if len(estimate) else "no LLM teacher in this config: labeling costs nothing")
        return 0
    # holds the run's lock file while it runs
    run_id = run_experiment(store, config, progress=TqdmProgress(), scheduler=args.scheduler)
    run = store.run(run_id)
    print(f"run {run_id}: {run['status']} (timings: {json.dumps(run['timings'])})")
    if run["compute"]:
        print(f"  {_compute_words(run['compute'])}")
    _print_headlines(store, run_id)
    return 0


def _map(args) -> int:
    from core.review.map import build_map
    from core.store import Store

    store = Store(args.db, create=False)
    runs = store.runs()
    run_ids = [store.find_run(run) for run in args.run] or [
        r.run_id for r in runs[runs["status"] == "finished"].itertuples() if not store.has_clusters(r.run_id)]
    for run_id in run_ids:
        build_map(store, run_id, progress=TqdmProgress())
        print(f"map of run {run_id} stored")
    if not run_ids:
        print("every finished run already has its map")
    return 0


def _budget(args) -> int:
    from core.report import tables
    from core.review.budget import budget_curves, budget_scheme_words, checks_sentence, with_check_intervals
    from core.store import Store

    store = Store(args.db, create=False)
    run_id = store.find_run(args.run)
    if args.if_missing and not store.budget_curve(run_id, args.teacher).empty:
        print(f"run {run_id} already has budget curves for {args.teacher}")
        return 0
    summary = budget_curves(store, run_id, args.teacher, budgets=args.budgets, progress=TqdmProgress())
    print(checks_sentence(summary))
    print(f"Measured by {budget_scheme_words(summary)}.")
    for strategy, why in store.budget_left_out(run_id, args.teacher).items():
        print(f"not measured: {strategy}: {why}")
    shown = tables.budget_table(with_check_intervals(summary))
    print(shown.drop(columns=["precision [95% CI]", "labels still wrong"]).to_string(index=False))
    return 0


def _export(args) -> int:
    from core.report.words import teacher_titles
    from core.review import exchange
    from core.review.queue import queue_strategies, spot_check_queue
    from core.review.strategies import DEFAULT_STRATEGY
    from core.store import Store

    if not args.out.parent.is_dir() or args.out.is_dir():
        raise InputError(f"--out {args.out}: " + ("is a folder; name a file in it" if args.out.is_dir() else
                                                  f"the folder {args.out.parent} does not exist"))
    store = Store(args.db, read_only=True)
    run_id = store.find_run(args.run)
    strategy = args.strategy or DEFAULT_STRATEGY
    store.run_teacher_id(run_id, args.teacher)  # an unknown teacher is named before any strategy is judged
    ranked = queue_strategies(store, run_id, args.teacher)
    if strategy not in ranked:
        raise UsageError(f"--strategy {strategy}: {_why_not_ranked(store, run_id, args.teacher, strategy, ranked)}")
    queue = spot_check_queue(store, run_id, args.teacher, strategy, limit=args.limit)
    if args.format == "csv":
        write_output(args.out, exchange.to_csv(queue), "the queue")
    else:
        # the suggestion's author says what the teacher is, so a reviewer in the other tool sees SIMULATED too
        title = teacher_titles(store.run_teachers(run_id))[args.teacher]
        make = exchange.to_label_studio if args.format == "label_studio" else exchange.to_argilla
        write_output(args.out, json.dumps(make(queue, title), indent=1), "the queue")
    print(f"wrote {len(queue)} examples to {args.out}")
    if args.format == "label_studio":
        label_set = store.dataset(store.run(run_id)["dataset_id"]).label_set
        print(f"labeling config for the project:\n{exchange.label_studio_config(label_set)}")
    return 0


def _why_not_ranked(store, run_id: str, teacher: str, strategy: str, ranked: list[str]) -> str:
    """Why a teacher's pool has no ranking by `strategy`, and the strategies it has."""
    from core.review.ranking import ranking_input
    from core.review.strategies import runnable

    if not ranked:
        return f"run {run_id} has no stored rankings for {teacher} (a run stores them when it finishes)"
    why = runnable(ranking_input(store, run_id, teacher), [strategy])[1].get(strategy, "not ranked in this run")
    return f"cannot rank {teacher}'s pool here ({why}); strategies ranked for it: {', '.join(ranked)}"


def _import_verdicts(args) -> int:
    from core.review.exchange import import_verdicts
    from core.store import Store

    store = Store(args.db, create=False)
    added = import_verdicts(store, store.dataset(args.dataset).dataset_id, args.file, args.format)
    print(f"{added} new verdicts from {args.file}")
    return 0


def _apply_verdicts(args) -> int:
    from core.pipeline import apply_verdicts
    from core.store import Store

    store = Store(args.db, create=False)
    run_id = apply_verdicts(store, store.find_run(args.run), args.teacher, progress=TqdmProgress())
    print(f"run {run_id}:")
    _print_headlines(store, run_id)
    return 0


def _report(args) -> int:
    from core.report.service import report_output
    from core.store import Store

    print(report_output(Store(args.db, read_only=True), args.run, args.format, args.metric, args.out))
    return 0


def _decide(args) -> int:
    from core.decision.costs import Costs
    from core.decision.service import decide
    from core.store import Store

    prices = {}
    for name, value in args.teacher_price:
        try:
            prices[name] = float(value)
        except ValueError:
            raise UsageError(f"--teacher-price {name}={value}: {value!r} is not a number of USD per 1,000 labels") from None
    for option, price in [("--human-label-cost", args.human_label_cost), ("--check-cost", args.check_cost),
                          *((f"--teacher-price {name}", price) for name, price in prices.items())]:
        if not price >= 0:
            raise UsageError(f"{option} {price}: a price is 0 USD or more")
    costs = Costs(human_label_usd=args.human_label_cost, human_check_usd=args.check_cost, teacher_per_1000_labels=prices)
    decision = decide(Store(args.db, read_only=True), args.run, args.target, costs)
    print(json.dumps(decision.to_dict(), indent=2) if args.format == "json" else decision.text())
    return 0


def _runs(args) -> int:
    from core.store import Store

    store = Store(args.db, read_only=True)
    runs = store.runs()
    if args.json:
        print(runs.drop(columns=["config"]).to_json(orient="records", date_format="iso"))
        return 0
    if runs.empty:
        print(f"no runs in {args.db}; start one with `python -m core run --config FILE` or `python -m core demo`")
        return 0
    for run in runs.itertuples():
        print(f"{run.run_id}  [{run.status}]  data set {run.dataset!r}  teachers: {run.teachers}  "
              f"code {run.code_version}  started {run.created_at:%Y-%m-%d %H:%M}")
        if isinstance(run.compute, str):
            print(f"  {_compute_words(json.loads(run.compute))}")
        if run.status == "finished":
            _print_headlines(store, run.run_id)
        elif run.error:
            print(f"  stopped by {run.error}; rerun the same config to resume")
    return 0


def _compute_words(compute: dict) -> str:
    """Where a run's fits ran, from its record."""
    where = {"serial": "in this process"}.get(compute["backend"], f"on {compute['backend']}")
    return f"fits ran {where}: {compute['tasks']} tasks"


def _frames(args) -> int:
    from core.pipeline import runs_without_page_frames, store_page_frames
    from core.store import Store

    store = Store(args.db, create=False)
    run_ids = [store.find_run(run) for run in args.run] or runs_without_page_frames(store)
    for run_id in run_ids:
        store_page_frames(store, run_id)
        print(f"page frames of run {run_id} stored")
    if not run_ids:
        print("every finished run has its page frames")
    return 0


COMMANDS = {"demo": _demo, "taxonomy": _taxonomy, "import": _import, "slices": _slices,
            "noise-experiment": _noise_experiment, "run": _run, "map": _map, "runs": _runs, "budget": _budget, "decide": _decide,
            "export": _export, "import-verdicts": _import_verdicts, "apply-verdicts": _apply_verdicts,
            "report": _report, "frames": _frames}
