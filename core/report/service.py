"""A run's report, loaded from the store: the answer (`run_report`), the learning curves, where each teacher's
mistakes concentrate, what spot-checks buy, and the run's config and data provenance, as one HTML page."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from core.decision.service import decide
from core.decision.costs import Costs
from core.errors import InputError
from core.files import write_output
from core.evaluation.report import run_report
from core.evaluation.service import run_scheme, run_scheme_words, slice_options, slice_tables
from core.evaluation.slice_errors import MIN_CELL, structure_sentence
from core.report import charts, tables
from core.report.html import Section, Sentence, pretty, render
from core.report.pdf import print_pdf
from core.report.words import budget_scoring_words, decision_basis, structure_found, structure_words, teacher_tags, teacher_titles, visible_slices
from core.review.budget import budget_scheme_words, checks_sentence, with_check_intervals
from core.store import Store
from core.teachers.aggregate import reliability_table

MAX_FINDINGS = 4  # slices per teacher in the report: the most clearly structured ones


def report_output(store: Store, run: str, fmt: str, metric: str, out: Path | None) -> str:
    """What `python -m core report` prints for a run (id or name): its answer as JSON, or where its file went."""
    run_id = store.find_run(run)
    if fmt == "json":
        answer = run_report(store, run_id, metric)
        answer["aggregate_reliability"] = aggregate_reliability(store, run_id).to_dict("records")
        text = json.dumps(answer, indent=1, default=str)
        if out is None:
            return text
        content = text.encode("utf-8")
    elif out is None:
        raise InputError(f"--format {fmt} writes a file: name it with --out FILE")
    elif fmt == "pdf":
        content = print_pdf(html_report(store, run_id, metric))
    else:
        content = html_report(store, run_id, metric).encode("utf-8")
    write_output(out, content, "the report")
    return f"{fmt} report of run {run_id} written to {out}"


def html_report(store: Store, run_id: str, metric: str = "accuracy", costs: Costs = Costs(),
                target: float | None = None) -> str:
    """The run's report as one HTML page: it leads with the decision at `costs` and `target` (None: the default),
    then each teacher's gap in one line, then the details."""
    run = store.run(run_id)
    dataset = store.dataset(run["dataset_id"])
    teachers = store.run_teachers(run_id)
    tags, titles = teacher_tags(teachers), teacher_titles(teachers)
    report = run_report(store, run_id, metric)
    lines = tables.headlines_for(report, metric)
    decision_section, sentences = _decision(store, run_id, costs, target, titles)
    sentences += [Sentence(line, tone, f"What each teacher's labels cost the student ({charts.METRIC_NAMES[metric]})")
                  for line, tone in tables.teacher_lines(lines)]
    simulated = list(teachers.loc[teachers["simulated"], "teacher_name"])
    note = (f"SIMULATED teachers in this run: {', '.join(simulated)}. They are noise models over the human labels, "
            "built for controlled experiments; their numbers say nothing about any LLM." if simulated else None)

    sections = [decision_section, Section("The gap per teacher", figures=[charts.gap_forest(
        tables.forest_rows(lines), metric, "What training on teacher labels costs the student")]
        if any(h.get("gap") for h in lines) else [],
        paragraphs=["Each row: the student trained on the teacher's labels minus the student trained on human labels, "
                    "at the largest training size, with its paired 95% interval, in percentage points. Each teacher "
                    "and label mode in a sentence, with its numbers:",
                    *[h["sentence"] for h in lines]],
        tables=[tables.statistics(lines)])]
    sections.append(Section("Teachers", tables=[tables.teachers_at_a_glance(store.teacher_scores(run_id),
                                                                            store.teacher_costs(run_id), metric)]))
    curve = store.curve(run_id)
    curve = curve[curve["metric"] == metric]
    reliability = aggregate_reliability(store, run_id)
    if len(reliability):
        sections.append(Section("Aggregate teachers: how reliable their members look", paragraphs=[
            "Each member's accuracy as Dawid-Skene estimates it from the members' answers alone (what the aggregate "
            "weighs it by), beside its accuracy measured on the gold rows the run scores. LLMs that err together "
            "look more reliable than they are."], tables=[reliability]))
    sections.append(Section("Learning curves", figures=[charts.learning_curve(
        curve, store.teacher_scores(run_id), titles, run["config"]["student"]["label_modes"], metric,
        f"Student {charts.METRIC_NAMES[metric]} by training size")],
        paragraphs=[f"Bands: {run_scheme_words(store, run_id)}. Dashed lines: each teacher scored on the same gold "
                    "rows (a bootstrap over those rows)."]))
    sections.append(_slice_findings(store, run, titles))
    sections.append(_budget(store, run_id, titles))
    sections.append(Section("Run config and data provenance", code=pretty({
        "run": {"id": run_id, "name": run["name"], "status": run["status"], "code_version": run["code_version"],
                "created_at": run["created_at"], "finished_at": run["finished_at"]},
        "data set": {"name": dataset.name, "id": dataset.dataset_id, "source file": dataset.source_path,
                     "examples": dataset.n_examples, "imported at": dataset.created_at,
                     "columns": dataset.column_mapping, "labels": dataset.label_set.names},
        "evaluation": report["evaluation"], "teachers": tags, "config": run["config"]})))
    return render(f"pseudolens report: {run['name']} on {dataset.name}",
                  f"run {run_id} · {_when(run)} · metric {charts.METRIC_NAMES[metric]}",
                  sentences, list(report["warnings"]), note, sections)


def _decision(store: Store, run_id: str, costs: Costs, target: float | None,
              titles: dict[str, str]) -> tuple[Section, list[Sentence]]:
    """The report's first section and sentence: the decision, its frontier chart, what it rests on, and the
    options on the frontier; or, where it cannot be made, why."""
    try:
        decision = decide(store, run_id, target, costs)
    except InputError as exc:
        return Section("The decision", paragraphs=[f"No decision: {exc}"]), []
    frontier = pd.DataFrame([{"option": o.name, "cost (USD)": round(o.cost_usd or 0, 2),
                              "accuracy [95% CI]": f"{o.accuracy.value:.1%} [{o.accuracy.lo:.1%}, {o.accuracy.hi:.1%}]",
                              "reaches the target": "yes" if o.reaches(decision.target) else ""}
                             for o in decision.frontier])
    section = Section("The decision", paragraphs=[decision_basis(decision),
                                                  "The options on the frontier (no other option is both cheaper and "
                                                  "more accurate), cheapest first:"],
                      figures=[charts.decision_frontier(decision, titles, "What each option costs and the accuracy it buys")],
                      tables=[frontier])
    return section, [Sentence(decision.sentence(), "same", "The decision, priced")]


def aggregate_reliability(store: Store, run_id: str) -> pd.DataFrame:
    """Each aggregated member's estimated accuracy (Dawid-Skene) beside its measured accuracy; empty without
    aggregate teachers."""
    scores = store.teacher_scores(run_id)
    return reliability_table(store.run_teachers(run_id), scores.set_index("teacher_name")["accuracy"])


def _when(run: dict) -> str:
    """When the run finished, or what state it is in: a killed or running run has no finish time."""
    finished = run["finished_at"]
    return f"finished {finished:%Y-%m-%d %H:%M}" if run["status"] == "finished" and not pd.isna(finished) \
        else f"{run['status']}, not finished"


def _slice_findings(store: Store, run: dict, titles: dict[str, str]) -> Section:
    """Per teacher, the slices where its mistakes concentrate most clearly (structured-error test), in words, with
    the error map of the clearest one."""
    section = Section("Where the teachers are wrong", paragraphs=[
        f"Scored gold rows only ({run_scheme_words(store, run['run_id'])}); students at their largest training size. "
        "A slice is listed when the teacher's error rate differs between its groups beyond chance: the homogeneity "
        "test's p, Benjamini-Hochberg adjusted over every slice tested for that teacher, below 0.05; clearest first."])
    mode = run["config"]["student"]["label_modes"][0]
    options = [o for o in visible_slices(slice_options(store, run["dataset_id"]))
               if o.slice_by != "teacher_label" and not o.reads_gold]  # gold-defined slices are diagnostics
    for teacher, title in titles.items():
        found = []
        for option, table in zip(options, slice_tables(store, run["run_id"], teacher, mode, options)):
            if len(table) > 1 and structure_found(table):
                found.append((table["homogeneity_p"].iloc[0], option, table))
        found.sort(key=lambda f: f[0])
        if not found:
            section.paragraphs.append(f"{title}: no evidence that its mistakes concentrate in any slice tested.")
            continue
        for _, option, table in found[:MAX_FINDINGS]:
            section.paragraphs.append(structure_words(table, option.title, title)
                                      + f" (Statistics: {structure_sentence(table, option.title)})")
        _, option, table = found[0]
        section.figures.append(charts.slice_heatmap(table, title, option.title, MIN_CELL,
                                                    f"Error rate by {option.title}: {title}"))
    return section


def _budget(store: Store, run_id: str, titles: dict[str, str]) -> Section:
    section = Section("What spot-checks buy", paragraphs=[
        "With the human labels as the oracle: correct the first B teacher labels of each fold's training rows in each "
        f"strategy's order, retrain, and {budget_scoring_words(run_scheme(store, run_id))}."])
    for teacher, title in titles.items():
        curve = store.budget_curve(run_id, teacher)
        if curve.empty:
            section.paragraphs.append(f"{title}: no budget curves computed "
                                      f"(python -m core budget --run {run_id} --teacher {teacher}).")
            continue
        section.paragraphs.append(f"{title}: {checks_sentence(curve)} (Measured by {budget_scheme_words(curve)}.)")
        left_out = store.budget_left_out(run_id, teacher)
        if left_out:
            section.paragraphs.append(f"{title}: not measured: "
                                      + "; ".join(f"{name}: {why}" for name, why in left_out.items()) + ".")
        section.figures.append(charts.budget_curves(curve, f"Student accuracy by number of human checks: {title}"))
        table = tables.budget_table(with_check_intervals(curve))
        nearest = min(table["checks"].unique(), key=lambda b: (b == 0, abs(b - 100)))
        section.tables.append(table[table["checks"] == nearest].assign(teacher=title))
    return section