"""A chart as a PNG image for slides, drawn by vl-convert's own Vega (no browser, nothing fetched)."""
from __future__ import annotations

import altair as alt

from core.report.vega import spec


def png(chart: alt.TopLevelMixin, width: int = 1000, scale: float = 2.0) -> bytes:
    """The chart `width` px wide (a chart on a page takes its box's width, which an image has not), at `scale`
    times that resolution."""
    import vl_convert

    return vl_convert.vegalite_to_png(spec(chart.properties(width=width)), scale=scale)
