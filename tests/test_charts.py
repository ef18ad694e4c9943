"""The figures as a reader sees them: what each mark's colour and each legend entry say."""
import numpy as np
import pandas as pd
import pytest

from core.report import charts
from core.review.disagreements import with_patterns


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


@pytest.mark.parametrize("colour_by", ["agreement", "pattern", "cluster"])
def test_every_point_of_the_map_has_its_groups_colour_and_the_legend_says_each_groups_share(colour_by):
    points = map_points(300)
    fig = charts.disagreement_map(points, colour_by, "title", "legend")
    drawn, legend = fig.data[0], fig.data[1:]
    scale, codes = drawn.marker.colorscale, np.asarray(drawn.marker.color)
    group_of_point = drawn.customdata[:, 4]
    legend_colour = {entry.name.rsplit(":", 1)[0]: entry.marker.color for entry in legend}
    for code, group in zip(codes, group_of_point):
        position, colour = scale[int(code)]
        assert position == pytest.approx(code / drawn.marker.cmax) and colour == legend_colour[group]
    for entry in legend:  # "teacher and student agree: 213 (71%)"
        group = entry.name.rsplit(":", 1)[0]
        count = int((group_of_point == group).sum())
        assert entry.name == f"{group}: {count:,} ({count / len(points):.0%})"
    if colour_by != "cluster":
        assert all(legend_colour[g] == charts.MAP_COLOURS[g] for g in legend_colour)
    else:  # largest cluster first, "no cluster" last
        sizes = [int(entry.name.rsplit(": ", 1)[1].split(" ")[0].replace(",", "")) for entry in legend[:-1]]
        assert sizes == sorted(sizes, reverse=True) and legend[-1].name.startswith("no cluster")
