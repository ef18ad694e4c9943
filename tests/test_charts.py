"""The figures as a reader sees them: what each mark's colour and each legend entry say."""
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.report import charts
from core.review.disagreements import cluster_names, with_patterns


def map_points(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.array(["billing", "delivery", "refund"])
    gold = rng.choice(labels, n)
    return with_patterns(pd.DataFrame({
        "example_id": [f"ex-{i}" for i in range(n)], "x": rng.normal(size=n), "y": rng.normal(size=n),
        "text": [f"text {i} <b>not bold</b>" for i in range(n)],
        "teacher_label": np.where(rng.random(n) < 0.8, gold, rng.choice(labels, n)),
        "student_label": np.where(rng.random(n) < 0.1, None,
                                  np.where(rng.random(n) < 0.85, gold, rng.choice(labels, n))),
        "gold": np.where(rng.random(n) < 0.5, gold, None), "role": rng.choice(["pool", "test"], n),
        # clusters of unequal size, and points in none
        "cluster": rng.choice([-1, 0, 1, 2], n, p=[0.2, 0.5, 0.2, 0.1])}))


def drawn(chart) -> tuple[dict, pd.DataFrame]:
    """A single-layer chart's spec as the browser gets it, and the rows it draws."""
    spec = chart.to_dict()
    return spec, pd.DataFrame(spec["datasets"][spec["data"]["name"]])


@pytest.mark.parametrize("colour_by", ["agreement", "pattern", "cluster"])
def test_every_point_of_the_map_has_its_groups_colour_and_the_legend_says_each_groups_share(colour_by):
    points = map_points(300)
    spec, rows = drawn(charts.disagreement_map(points, colour_by, "title", "legend"))
    colour = spec["encoding"]["color"]
    assert colour["field"] == "group" and colour["sort"] == colour["scale"]["domain"]  # the legend in that order
    colour_of = dict(zip(colour["scale"]["domain"], colour["scale"]["range"]))
    truth = points.assign(cluster=cluster_names(points["cluster"]))[colour_by]
    for entry in colour["scale"]["domain"]:  # "teacher and student agree: 213 (71%)"
        group = entry.rsplit(":", 1)[0]
        count = int((truth == group).sum())
        assert entry == f"{group}: {count:,} ({count / len(points):.0%})"
        assert (rows["group"] == entry).sum() == count  # every point of the group is drawn in the group's colour
        if colour_by != "cluster":
            assert colour_of[entry] == charts.MAP_COLOURS[group]
    assert len(rows) == len(points) and set(rows["group"]) == set(colour_of)
    if colour_by == "cluster":  # largest cluster first, "no cluster" last
        legend = colour["scale"]["domain"]
        sizes = [int(entry.rsplit(": ", 1)[1].split(" ")[0].replace(",", "")) for entry in legend[:-1]]
        assert sizes == sorted(sizes, reverse=True) and legend[-1].startswith("no cluster")


def test_the_map_draws_user_text_as_data_and_selects_by_a_box():
    """A text's markup is a value Vega draws as text (its tooltips escape HTML), never a field name or an
    expression; the page reads the box's x and y ranges by the selection's name."""
    points = map_points(50)
    spec, rows = drawn(charts.disagreement_map(points, "agreement", "title", "legend"))
    assert set(rows["text"]) == set(points["text"])
    fields = {e["field"] for e in spec["encoding"].values() if isinstance(e, dict) and "field" in e}
    fields |= {t["field"] for t in spec["encoding"]["tooltip"]}
    assert fields <= {"x", "y", "group", "text", "teacher", "student", "role"}
    assert spec["params"][0]["name"] == charts.MAP_SELECTION and spec["params"][0]["select"]["type"] == "interval"


def test_the_gap_forest_is_drawn_in_points_coloured_by_what_its_interval_says():
    rows = pd.DataFrame({"who": ["a · hard", "b · hard", "c · soft"], "value": [-0.10, 0.004, 0.05],
                         "lo": [-0.13, -0.02, 0.01], "hi": [-0.07, 0.03, 0.09], "size": [3000, 3000, 3000]})
    spec = charts.gap_forest(rows, "accuracy", "title").to_dict()
    data = pd.DataFrame(next(iter(v for k, v in spec["datasets"].items() if len(v) == 3)))
    assert data["gap"].round(1).tolist() == [-10.0, 0.4, 5.0] and data["lo"].round(1).tolist() == [-13.0, -2.0, 1.0]
    assert data["reading"].tolist() == ["costs the student", "no clear difference", "helps the student"]
    point = spec["layer"][-1]["encoding"]
    assert dict(zip(point["color"]["scale"]["domain"], point["color"]["scale"]["range"])) == {
        "costs the student": "#d62728", "no clear difference": "#555555", "helps the student": "#1f77b4"}


def test_a_chart_downloads_as_a_png_twice_the_width_asked_and_as_a_page_that_fetches_nothing():
    import struct

    from core.report.html import chart_page
    from core.report.images import png

    chart = charts.disagreement_map(map_points(50), "agreement", "a title", "legend")
    image = png(chart, width=800)
    width, height = struct.unpack(">II", image[16:24])  # the PNG header's size
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and width >= 1600 and height > 1000
    page = chart_page(chart, "a <title>")
    assert "<script src=" not in page and "<link" not in page and "<title>a &lt;title&gt;</title>" in page
    assert "text 0 \\u003cb>not bold\\u003c/b>" in page  # user text in the spec cannot end its script


def font_sizes(spec) -> list[float]:
    """Every font size a spec sets, at any depth."""
    if isinstance(spec, dict):
        return [v for k, v in spec.items() if k.lower().endswith("fontsize")] + [
            size for v in spec.values() for size in font_sizes(v)]
    return [size for v in spec for size in font_sizes(v)] if isinstance(spec, list) else []


def test_chart_text_is_at_least_14_px_for_a_room_and_titles_larger():
    forest = pd.DataFrame({"who": ["a · hard"], "value": [-0.1], "lo": [-0.13], "hi": [-0.07], "size": [300]})
    for chart in (charts.gap_forest(forest, "accuracy", "a title"),
                  charts.disagreement_map(map_points(50), "cluster", "a title", "legend")):
        spec = chart.to_dict()
        config = spec["config"]
        assert min(config["axis"]["labelFontSize"], config["axis"]["titleFontSize"], config["legend"]["labelFontSize"],
                   config["legend"]["titleFontSize"]) >= 14
        assert spec["title"]["fontSize"] >= 18 and min(font_sizes(spec)) >= 14


@pytest.mark.slow
def test_a_downloaded_chart_page_draws_its_chart_across_the_page_offline(tmp_path):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    from core.report.html import chart_page

    page_file = tmp_path / "chart.html"
    page_file.write_text(chart_page(charts.disagreement_map(map_points(300), "agreement", "a title", "legend"), "map"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        fetched = []
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                   else (fetched.append(route.request.url), route.abort()))
        page.goto(page_file.as_uri())
        page.wait_for_function("document.querySelectorAll('svg.marks .mark-symbol path').length >= 300", timeout=30000)
        width = page.evaluate("document.querySelector('svg.marks').getBoundingClientRect().width")
        browser.close()
    assert width > 1000 and fetched == []


def option(name, teacher, cost, accuracy, mode="hard", checks=0):
    from core.evaluation.metrics import Estimate

    return SimpleNamespace(name=name, teacher=teacher, cost_usd=cost, label_mode=mode, n_checks=checks,
                           accuracy=Estimate(accuracy, accuracy - 0.02, accuracy + 0.02))


def test_options_that_cost_nothing_are_counted_beside_a_log_axis_they_cannot_sit_on():
    """A human-label price of $0 (or a free local model) makes options at $0: a log axis has no place for them."""
    free_humans, paid = option("human labels (200)", None, 0.0, 0.9), option("sim labels (200)", "sim", 0.5, 0.8)
    decision = SimpleNamespace(options=[free_humans, paid], frontier=[free_humans, paid], target=0.85,
                               cheapest=free_humans)
    spec = charts.decision_frontier(decision, {"sim": "sim (SIMULATED)"}, "costs").to_dict()
    assert "1 option at $0, not on this log axis (in the table)" in spec["title"]["subtitle"]
    drawn = [row for rows in spec["datasets"].values() for row in rows if "cost" in row]
    assert drawn and all(row["cost"] > 0 for row in drawn)  # neither the free option, its frontier step nor its ring
    everyone_free = SimpleNamespace(options=[free_humans], frontier=[free_humans], target=0.85, cheapest=free_humans)
    assert charts.decision_frontier(everyone_free, {}, "costs").to_dict()["layer"]  # drawn, with an axis to draw


def test_the_budget_legend_lists_only_the_lines_drawn_and_the_baseline_is_dashed_under_any_name():
    curve = pd.DataFrame({"same_curve": ["disagreement = random"] * 2 + ["cleanlab"] * 2, "budget": [0, 100] * 2,
                          "accuracy": [0.8, 0.82, 0.8, 0.85], "accuracy_lo": np.nan, "accuracy_hi": np.nan,
                          "label_error": [0.2, 0.18, 0.2, 0.15], "gold_accuracy": 0.9, "n_folds": 5, "n_rows": 1000})
    spec = charts.budget_curves(curve, "budget").to_dict()
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    colour = line["encoding"]["color"]["scale"]
    assert sorted(colour["domain"]) == ["cleanlab", "disagreement = random"]
    assert dict(zip(colour["domain"], colour["range"]))["disagreement = random"] == "#7f7f7f"
    rows = pd.DataFrame(spec["datasets"][line["data"]["name"]])
    assert dict(zip(rows["same_curve"], rows["style"])) == {"disagreement = random": "baseline", "cleanlab": "ranked"}


def test_a_teacher_keeps_its_colour_on_every_chart_whichever_others_are_drawn():
    titles = {"a": "a (LLM)", "b": "b (SIMULATED)", "c": "c (offline model)"}
    curve = pd.DataFrame([{"trained_on": t, "label_mode": "hard", "size": n, "mean": 0.8, "lo": 0.78, "hi": 0.82,
                           "n_train": n, "n_seeds": 3, "n_test": 100} for t in ["gold", *titles] for n in (100, 200)])
    scores = pd.DataFrame({"teacher_name": list(titles), "accuracy": 0.7, "accuracy_lo": 0.65, "accuracy_hi": 0.75})

    def colours(spec, field="series"):
        scale = next(layer["encoding"]["color"]["scale"] for layer in spec["layer"]
                     if layer.get("encoding", {}).get("color", {}).get("field") == field)
        return dict(zip(scale["domain"], scale["range"]))

    everyone = colours(charts.learning_curve(curve, scores, titles, ["hard"], "accuracy", "t").to_dict())
    only_c = colours(charts.learning_curve(curve, scores, titles, ["hard"], "accuracy", "t", chosen=["c"]).to_dict())
    c_line = "student on c (offline model) labels (hard)"
    assert only_c[c_line] == everyone[c_line] == charts.teacher_colours(titles)["c"]
    assert "student on a (LLM) labels (hard)" not in only_c and only_c["student on human labels"] == "#111111"
    labels = pd.DataFrame({"teacher_name": ["c", "a"], "label": ["x", "x"], "n": [5, 6]})
    bars = colours(charts.label_distribution(labels, pd.DataFrame({"label": ["x"], "n": [7]}), titles, "t").to_dict())
    assert bars == {"a (LLM)": charts.teacher_colours(titles)["a"], "c (offline model)": charts.teacher_colours(titles)["c"],
                    "gold (human)": "#111111"}
    decision = SimpleNamespace(options=[option("c labels", "c", 1.0, 0.8), option("humans", None, 9.0, 0.9)],
                               frontier=[], target=0.85, cheapest=None)
    points = colours(charts.decision_frontier(decision, titles, "t").to_dict())
    assert points["c (offline model) labels (hard)"] == charts.teacher_colours(titles)["c"]
