"""One self-contained HTML page for a run: Vega's JavaScript (vega-embed, Vega-Lite and Vega, bundled by
vl-convert) is embedded once in the page, every chart and table is inline, and nothing is fetched from the
network, so the file can be mailed and opened offline or printed to PDF. Pure but for that bundle, built once
per process: takes the parts, returns the page; user-given text is escaped everywhere."""
from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from core.report.vega import spec

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.8rem;margin-bottom:.2rem} h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
.meta{color:#555} .sentence{font-size:1.2rem;border-left:6px solid #7f7f7f;background:#f3f3f3;padding:.6rem .9rem;margin:.4rem 0}
.about{font-size:.8rem;color:#555} .hurts{border-color:#d62728;background:#fdecea} .helps{border-color:#1f77b4;background:#e8f1fa}
.warning{border-left:6px solid #e6a700;background:#fff8e1;padding:.5rem .9rem;margin:.3rem 0}
.simulated{border:2px solid #d62728;color:#d62728;font-weight:600;padding:.5rem .9rem;margin:1rem 0}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem} th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
th{background:#f6f6f6} pre{background:#f6f6f6;padding:.8rem;overflow-x:auto;font-size:.8rem}
.chart{page-break-inside:avoid;margin:1rem 0;width:100%}
@media print{body{max-width:none;margin:0} table{width:100%;table-layout:fixed} td,th{overflow-wrap:anywhere} h2{page-break-after:avoid}}
"""


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)  # plain text
    figures: list[alt.TopLevelMixin] = field(default_factory=list)
    tables: list[pd.DataFrame] = field(default_factory=list)
    code: str | None = None  # shown preformatted (a config, provenance)


@dataclass
class Sentence:
    text: str
    tone: str  # "hurts", "helps" or "same"
    about: str  # the teacher, what it is, and the label mode


def render(title: str, meta: str, sentences: list[Sentence], warnings: list[str], simulated_note: str | None,
           sections: list[Section]) -> str:
    """The whole page. Each figure's div is drawn by the Vega bundled in the page's head."""
    body = [f"<h1>{_e(title)}</h1>", f'<p class="meta">{_e(meta)}</p>']
    if simulated_note:
        body.append(f'<div class="simulated">{_e(simulated_note)}</div>')
    body += [f'<div class="sentence {s.tone}"><div class="about">{_e(s.about)}</div>{_e(s.text)}</div>' for s in sentences]
    body += [f'<div class="warning">{_e(w)}</div>' for w in warnings]
    for section in sections:
        body.append(f"<h2>{_e(section.title)}</h2>")
        body += [f"<p>{_e(p)}</p>" for p in section.paragraphs]
        body += [embedded(f, f"chart-{len(body)}-{i}") for i, f in enumerate(section.figures)]
        body += [t.to_html(index=False, escape=True, border=0, na_rep="") for t in section.tables]
        if section.code is not None:
            body.append(f"<pre>{_e(section.code)}</pre>")
    return _page(title, STYLE, "".join(body))


def chart_page(chart: alt.TopLevelMixin, title: str) -> str:
    """One chart as a page of its own (a chart downloaded for slides), offline as the report is."""
    # the chart's box as wide as the page: vega-embed makes it an inline box, which a chart as wide as its box
    # would draw 0 px wide
    return _page(title, "body{font-family:system-ui,sans-serif;margin:1rem} .chart{width:100%}",
                 embedded(chart, "chart"))


def _page(title: str, style: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{style}</style>"
            f"<script type=\"text/javascript\">{vega_script()}</script></head><body>{body}</body></html>")


def embedded(chart: alt.TopLevelMixin, element_id: str) -> str:
    """A chart's place in a page and the call that draws it there, as SVG (sharp when printed), with no action
    menu (its "open in editor" would send the data to a web site). The spec's every "<" is written as \\u003c,
    so no user text inside it can end the script."""
    inline = json.dumps(spec(chart), ensure_ascii=False, default=str).replace("<", "\\u003c")
    return (f'<div class="chart" id="{element_id}"></div><script type="text/javascript">'
            f'vegaEmbed("#{element_id}", {inline}, {{"actions": false, "renderer": "svg"}});</script>')


@functools.cache
def vega_script() -> str:
    """vega-embed with Vega-Lite and Vega, as one script (0.9 MB), bundled offline by vl-convert (1.3 s, once)."""
    import vl_convert

    # its type stub calls `snippet` required; left out (None), the bundle is vega-embed whole, as Altair asks for it
    return vl_convert.javascript_bundle()  # type: ignore[call-arg]


def pretty(data: dict) -> str:
    return json.dumps(data, indent=2, default=str, ensure_ascii=False)


def _e(text: str) -> str:
    return html.escape(str(text))
