"""What labels and checks cost: a human's label and check (settings with stated defaults), each teacher's label
(from its measured calls, else a price in the run config, else unknown, and said so), and, where verdicts carry
timestamps that allow it, the measured seconds a check took."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_HUMAN_LABEL_USD = 0.40
DEFAULT_HUMAN_CHECK_USD = 0.15
LONGEST_CHECK_SECONDS = 600  # a longer gap between one reviewer's verdicts is a pause, not a check
FEWEST_TIMED_CHECKS = 3


class Costs(BaseModel):
    """The prices a decision is computed with, in USD. `teacher_per_1000_labels` sets a teacher's price by name,
    over what its calls measured and its config says (for a what-if)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    human_label_usd: float = Field(DEFAULT_HUMAN_LABEL_USD, ge=0, description="one gold label written by a person")
    human_check_usd: float = Field(DEFAULT_HUMAN_CHECK_USD, ge=0, description="one teacher label checked by a person")
    teacher_per_1000_labels: dict[str, float] = Field(default_factory=dict, description="teacher name -> USD per 1,000 labels")


@dataclass(frozen=True)
class TeacherPrice:
    """One teacher's cost per label; `usd_per_label` is None when unknown. `source`: "setting", "measured calls",
    "run config", "members" (an aggregate: its teachers' prices summed) or "unknown"; `note` says it in words."""

    teacher: str
    usd_per_label: float | None
    source: str
    note: str

    def to_dict(self) -> dict:
        return {"usd_per_label": self.usd_per_label, "source": self.source, "note": self.note}


def teacher_prices(measured: pd.DataFrame, configured: Mapping[str, float | None],
                   members: Mapping[str, list[str]], costs: Costs) -> dict[str, TeacherPrice]:
    """Each teacher's price. `measured`: one row per teacher (teacher_name, n_labels, input_tokens, output_tokens,
    cost_usd: what its labels' calls cost, as `Store.teacher_costs` gives); `configured`: the run config's
    `price_per_1000_labels` per teacher; `members`: an aggregate teacher's teachers."""
    prices: dict[str, TeacherPrice] = {}
    rows = {row.teacher_name: row for row in measured.itertuples()}
    for name in sorted(rows, key=lambda n: n in members):  # aggregates last: they read their members' prices
        row = rows[name]
        if name in costs.teacher_per_1000_labels:
            price = costs.teacher_per_1000_labels[name]
            prices[name] = TeacherPrice(name, price / 1000, "setting", f"${price:,.2f} per 1,000 labels, as set")
        elif row.cost_usd > 0 and row.n_labels > 0:
            prices[name] = TeacherPrice(name, row.cost_usd / row.n_labels, "measured calls",
                                        f"${row.cost_usd:,.2f} measured over {row.n_labels:,} labels "
                                        f"({row.input_tokens:,} input and {row.output_tokens:,} output tokens x price)")
        elif configured.get(name) is not None:
            price = float(configured[name])  # type: ignore[arg-type]
            prices[name] = TeacherPrice(name, price / 1000, "run config",
                                        f"${price:,.2f} per 1,000 labels (price_per_1000_labels in the run config)")
        elif name in members and all(prices.get(m) and prices[m].usd_per_label is not None for m in members[name]):
            total = sum(prices[m].usd_per_label or 0.0 for m in members[name])
            prices[name] = TeacherPrice(name, total, "members", f"the sum of its teachers' prices "
                                        f"({', '.join(members[name])}): ${total * 1000:,.2f} per 1,000 labels")
        else:
            why = (f"its {row.n_labels:,} labels' calls have no token price"
                   if row.input_tokens > 0 else "its labels were not bought through measured calls")
            prices[name] = TeacherPrice(name, None, "unknown", f"cost unknown: {why}; set price_per_1000_labels on "
                                        f"teacher {name!r} in the run config, or --teacher-price {name}=USD")
    return prices


@dataclass(frozen=True)
class CheckTiming:
    """The measured seconds per human check: the median gap between one reviewer's consecutive verdicts, over
    `n` gaps (gaps of 0 s, verdicts stored in one upload, and gaps over `LONGEST_CHECK_SECONDS`, pauses, are
    not checks). `median_seconds` is None when too few gaps were measured; `note` says why."""

    median_seconds: float | None
    n: int
    note: str

    def to_dict(self) -> dict:
        return {"median_seconds_per_check": self.median_seconds, "n_timed_checks": self.n, "note": self.note}


def seconds_per_check(verdicts: pd.DataFrame) -> CheckTiming:
    """`verdicts`: reviewer and created_at per verdict (as `Store.verdicts` gives them)."""
    if verdicts.empty:
        return CheckTiming(None, 0, "no verdicts yet, so no time per check was measured")
    ordered = verdicts.sort_values(["reviewer", "created_at"])
    gaps = ordered.groupby("reviewer")["created_at"].diff().dt.total_seconds().dropna().to_numpy()
    timed = gaps[(gaps > 0) & (gaps <= LONGEST_CHECK_SECONDS)]
    if len(timed) < FEWEST_TIMED_CHECKS:
        return CheckTiming(None, len(timed), f"{len(verdicts):,} verdicts, but only {len(timed)} gaps between one "
                           "reviewer's verdicts look like a check (verdicts uploaded together share one time), "
                           "so no time per check was measured")
    median = float(np.median(timed))
    return CheckTiming(median, len(timed), f"median {median:.0f} s per check over {len(timed):,} timed checks "
                       f"(gaps up to {LONGEST_CHECK_SECONDS} s between one reviewer's verdicts)")
