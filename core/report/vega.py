"""The building blocks every chart of `core.report.charts` shares: a title wrapped for a printed page, text a room
can read, colours fixed per name, dashes, reference lines and log-axis ticks, in Vega-Lite through Altair."""
from __future__ import annotations

import textwrap
from typing import Literal, TypeVar

import altair as alt
import numpy as np
import pandas as pd

TITLE_WIDTH = 70  # characters per title line: Vega does not wrap a title, and a printed page is this narrow
# an axis label given as several lines ("billing\nn=120") is drawn as those lines
LINES = "split(datum.label, '\\n')"
DASHES = {"solid": [1, 0], "dotted": [2, 3], "dashed": [7, 4]}
Figure = TypeVar("Figure", alt.Chart, alt.LayerChart)


def title_lines(text: str, width: int = TITLE_WIDTH) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def finish(chart: Figure, title: str, height: int, subtitle: list[str] | None = None) -> Figure:
    """Title (wrapped to lines that fit a printed page), the plot's height, the page's width, and text a room can
    read from the back: nothing under 14 px, titles 18; legends below the plot, their names whole."""
    return (chart.properties(title=alt.Title(title_lines(title), subtitle=subtitle or [], anchor="start", fontSize=18,
                                             subtitleFontSize=14, subtitleColor="#444444"),
                             height=height, width="container",
                             # the width fits the page, the plot keeps its height and the legend adds to it
                             autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
            .configure_axis(labelFontSize=14, titleFontSize=14, titleFontWeight="normal", labelLimit=0)
            .configure_legend(labelFontSize=14, titleFontSize=14, labelLimit=0, orient="bottom", direction="vertical",
                              symbolStrokeWidth=3)
            .configure_view(stroke="#dddddd"))


def spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec, its data inline: Altair's 5,000-row limit lifted, as the map draws up to
    20,000 points."""
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict()


def layered(*charts: alt.Chart | alt.LayerChart) -> alt.LayerChart:
    return alt.LayerChart(layer=list(charts))


def colour_scale(field: str, names: list[str], colours: list[str], title: str | None = None, legend: bool = True,
                 lines: bool = False) -> alt.Color:
    """One colour per name, as given, legend in the given order;
    for `lines`, the legend shows each as a line at full strength (not as its pale band)."""
    shown = alt.Legend(title=title, symbolType="stroke", symbolOpacity=1, symbolStrokeWidth=3, symbolSize=400) \
        if lines else alt.Legend(title=title)
    return alt.Color(f"{field}:N", scale=alt.Scale(domain=names, range=colours), sort=names,
                     legend=shown if legend else None)


def dash(styles: dict[str, str], legend: bool = False, field: str = "style") -> alt.StrokeDash:
    """A line's dash by its `field`: each name of `styles` drawn as its dash ("solid", "dotted" or "dashed"); with
    `legend`, a legend of those names, each beside its dash (drawn from a line mark without points: a line's
    `point` overlay makes the legend's symbols points)."""
    shown = alt.Legend(title=None, symbolType="stroke", symbolStrokeColor="black", symbolStrokeWidth=2,
                       symbolSize=400) if legend else None
    return alt.StrokeDash(f"{field}:N", scale=alt.Scale(domain=list(styles), range=[DASHES[s] for s in styles.values()]),
                          sort=list(styles), legend=shown)


def rule_at(y: float, colour: str, dashes: str, note: str, align: Literal["left", "right"] = "left") -> alt.LayerChart:
    """A horizontal reference line across the plot, its value said in a note at one end."""
    at = alt.Chart(pd.DataFrame({"y": [y], "note": [note]}))
    line = at.mark_rule(color=colour, strokeDash=DASHES[dashes], strokeWidth=1.5).encode(y="y:Q")
    words = at.mark_text(align=align, baseline="bottom", dx=4 if align == "left" else -4, dy=-4, fontSize=14,
                         color=colour).encode(y="y:Q", text="note:N", x=alt.value(0 if align == "left" else "width"))
    return line + words


def log_ticks(values: pd.Series) -> list[float]:
    """1, 2 and 5 times each power of ten over the positive values' range: a log axis labelled, and gridded, only
    there."""
    values = values[values > 0]
    if values.empty:
        return []
    low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    return [m * 10.0 ** k for k in np.arange(low, high + 1) for m in (1, 2, 5)
            if values.min() / 2 <= m * 10.0 ** k <= values.max() * 2]
