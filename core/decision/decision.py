"""A run's decision, said: the sentence a manager can repeat, the text the CLI prints, and the JSON. Pure: it
only words what `service.decide` computed."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.decision.costs import CheckTiming, Costs, TeacherPrice
from core.decision.exchange import ExchangeRate
from core.decision.options import Option


def usd(amount: float | None) -> str:
    if amount is None:
        return "an unknown cost"
    return f"${amount:,.2f}" if amount < 10 else f"${amount:,.0f}"


def option_words(option: Option) -> str:
    """An option as the sentence names it; a SIMULATED teacher is said to be one."""
    if option.teacher is None:
        return f"human labels alone ({option.n_human_labels:,} labels)"
    teacher = f"{option.teacher} (a SIMULATED teacher)" if option.simulated else option.teacher
    if option.n_checks:
        return f"{teacher} labels plus {option.n_checks:,} human checks"
    return f"{teacher} labels ({option.label_mode}, {option.n_teacher_labels:,} labels)"


def accuracy_words(option: Option) -> str:
    a = option.accuracy
    if not (np.isfinite(a.lo) and np.isfinite(a.hi)):
        return f"{a.value:.1%} (no interval: one fold estimate)"
    return f"{a.value:.1%} (95% interval {a.lo:.1%} to {a.hi:.1%})"


@dataclass(frozen=True)
class Decision:
    """What to buy to reach `target` accuracy: every option with its accuracy and cost, the frontier, the cheapest
    option whose interval's lower bound is above the target (None: none is) and the closest one, the cheapest
    human-labels-only option that reaches it, and the exchange rates. `scheme` names how the intervals were
    computed, over `n_folds` fold estimates."""

    run_id: str
    target: float
    target_set: bool
    costs: Costs
    prices: dict[str, TeacherPrice]
    check_timing: CheckTiming
    options: list[Option]
    frontier: list[Option]
    cheapest: Option | None
    closest: Option | None
    human: Option | None
    exchange_rates: list[ExchangeRate]
    scheme: str
    n_folds: int
    notes: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        """The decision in one sentence: the cheapest option that reaches the target and what human labels alone
        would take, or that none reaches it and which comes closest."""
        goal = f"To reach {self.target:.1%} accuracy (the 95% interval's lower bound above it)"
        if self.cheapest is None:
            closest = (f"; the closest is {option_words(self.closest)} at {accuracy_words(self.closest)}, "
                       f"{'about ' if self.closest.cost_usd is not None else ''}{usd(self.closest.cost_usd)}"
                       if self.closest else "")
            estimated = self.cheapest_estimated()
            if estimated is None or estimated is self.closest:
                return f"No option this run measured reaches {self.target:.1%} accuracy with its interval above it{closest}."
            # none is shown to reach the target; the cheapest whose estimate does is what a reader weighs next
            return (f"No option this run measured is shown to reach {self.target:.1%} accuracy (none has its 95% "
                    f"interval above it); the cheapest estimated to reach it is {option_words(estimated)} at "
                    f"{accuracy_words(estimated)}, about {usd(estimated.cost_usd)}{closest.replace('; the closest is', '; the closest to being shown is')}.")
        if self.cheapest.teacher is None:
            return (f"{goal}, the cheapest option is {option_words(self.cheapest)}, about {usd(self.cheapest.cost_usd)}; "
                    f"no teacher option of known cost reaches it for less.")
        if self.human is not None:
            human = (f"human labels alone need {self.human.n_human_labels:,} labels, about "
                     f"{usd(self.human.cost_usd)}")
        else:
            largest = max((o for o in self.options if o.teacher is None), key=lambda o: o.n_human_labels, default=None)
            human = ("human labels alone do not reach it in the sizes measured"
                     + (f" ({largest.n_human_labels:,} labels give {accuracy_words(largest)})" if largest else ""))
        return f"{goal}, the cheapest option is {option_words(self.cheapest)}, about {usd(self.cheapest.cost_usd)}; {human}."

    def cheapest_estimated(self) -> Option | None:
        """The cheapest option of known cost whose point estimate (not its interval) is at or above the target."""
        estimated = [o for o in self.options if o.cost_usd is not None and o.accuracy.value >= self.target]
        return min(estimated, key=lambda o: (o.cost_usd, -o.accuracy.value)) if estimated else None

    def text(self) -> str:
        """What `python -m core decide` prints: the sentence, the prices, the options (frontier marked), the
        exchange rates, and how the intervals were computed."""
        target = "as set" if self.target_set else "the default: the human-label student at the largest size, minus one point"
        lines = [self.sentence(), "", f"target: {self.target:.1%} accuracy ({target})",
                 f"prices: human label {usd(self.costs.human_label_usd)}, human check {usd(self.costs.human_check_usd)}; "
                 f"{self.check_timing.note}"]
        lines += [f"  {name}: {price.note}" for name, price in self.prices.items()]
        on_frontier = {o.name for o in self.frontier}
        lines += ["", "options (* on the frontier: no option is both cheaper and more accurate; "
                  "reaches: interval above the target):"]
        for option in sorted(self.options, key=lambda o: (o.cost_usd is None, o.cost_usd or 0, o.teacher or "",
                                                        o.label_mode or "", o.n_teacher_labels, o.n_checks)):
            mark = "*" if option.name in on_frontier else " "
            reach = "reaches" if option.reaches(self.target) else "       "
            lines.append(f" {mark} {reach} {usd(option.cost_usd):>16}  {accuracy_words(option):<38} {option_words(option)}")
        lines += ["", "exchange rates (human labels one teacher label is worth, at the accuracy of the teacher's largest size):"]
        for rate in self.exchange_rates:
            figure = (f"{rate.value:.3g}" + (f" (95% interval {rate.lo:.3g} to {rate.hi:.3g})" if rate.lo is not None else "")
                      if rate.value is not None else "not measured")
            lines.append(f"  {rate.teacher} ({rate.label_mode}): {figure}; {rate.note}")
        lines += ["", f"scheme: {self.scheme}"] + [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"run": self.run_id, "target": round(self.target, 6), "target_set": self.target_set,
                "sentence": self.sentence(),
                "costs": {"human_label_usd": self.costs.human_label_usd, "human_check_usd": self.costs.human_check_usd,
                          "teachers": {name: price.to_dict() for name, price in self.prices.items()},
                          **self.check_timing.to_dict()},
                "options": [option.to_dict(self.target) for option in self.options],
                "cheapest": self.cheapest.name if self.cheapest else None,
                "closest": self.closest.name if self.cheapest is None and self.closest else None,
                "frontier": [option.name for option in self.frontier],
                "exchange_rates": [rate.to_dict() for rate in self.exchange_rates],
                "n_folds": self.n_folds, "scheme": self.scheme, "notes": self.notes}
