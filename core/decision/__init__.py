"""The decision: which labels to buy, at what cost, with an interval you can defend. Pure functions over a
run's frames (`costs.py`: what a label and a check cost; `options.py`: the options at each size the run
measured, the frontier and the cheapest option that reaches a target; `exchange.py`: how many human labels a
teacher label is worth; `decision.py`: the decision as a sentence, text and JSON) and one thin service
(`service.py`: `decide(store, run_id, ...)`)."""
