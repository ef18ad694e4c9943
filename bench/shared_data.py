"""Readers of the real public data in ../shared/data that the benchmarks use in place (never copied)."""
import argparse
import json
import re
import string
from pathlib import Path

import pandas as pd

DEFAULT_SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
TASKS = ("emotion", "ibc", "raop", "semeval_stance", "talklife", "tempowic", "conv_go_awry", "reddit_humor", "wiki_corpus")
GWSD = ("gwsd_gpt4o", "datasets", "global_warming", "global_warming.csv")


def report_arguments(default_report: Path):
    """--shared (where the data is) and --report (the Markdown file to write), for the report benchmarks."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--report", type=Path, default=default_report)
    return parser.parse_args()


def llms_for_css(shared: Path, task: str, model: str = "chatgpt") -> pd.DataFrame:
    """One task of Ziems et al. 2024: test.json's texts in order with gold names and the model's answers. The
    option letters are mapped to names from the prompt's "A: Name" lines; raw answers are option letters (or,
    without options, True/False), sometimes behind a run of '&'; an answer that is not an option stays as it is
    and counts as wrong. Only tasks in TASKS have gold labels in the answers' vocabulary."""
    folder = shared / "llms_for_css" / "css_data" / task
    test = json.loads((folder / "test.json").read_text())
    keys = list(test["context"])
    prompt = test["prompts"][keys[0]]
    options = {line[0]: line[3:].strip() for line in prompt.splitlines() if len(line) > 3 and line[1:3] == ": "
               and line[0] in string.ascii_uppercase}
    answers = pd.read_csv(folder / f"answer-{model}", sep="\t", header=None, names=["row", "gold", "raw"], dtype=str)
    raw = answers.set_index(answers["row"].astype(int))["raw"].fillna("")

    def parse(text: str) -> str:
        answer = text.strip().lstrip("&").strip()
        if options:
            return options.get(answer[:1], text)
        word = re.match(r"[A-Za-z]+", answer)  # tasks without options answer True or False, sometimes with more
        return word.group(0) if word else text

    return pd.DataFrame({"id": keys, "text": [str(test["context"][k]) for k in keys],
                         "gold": [str(options.get(test["labels"][k], test["labels"][k])) for k in keys],
                         "answer": [parse(raw.get(i, "")) for i in range(len(keys))]})


def gwsd(shared: Path) -> pd.DataFrame:
    """GWSD global-warming stance (Gligoric et al. 2024): sentence, crowd gold, GPT-4o label and confidence."""
    frame = pd.read_csv(shared.joinpath(*GWSD))
    return pd.DataFrame({"text": frame["data_entry"], "gold": frame["gold_label"].astype(str),
                         "answer": frame["gpt_label"].astype(str), "confidence": frame["gpt_confidence"]})


PLEDGES = ("fornaciari_pledges", "data", "labeled", "fornaciari_we_2021")


def pledges(shared: Path) -> pd.DataFrame:
    """Fornaciari et al. 2021 manifesto sentences (the 50 of annotation set 1): gold pledge or not, party and year,
    and the labels of four LLMs (one column each, 'Pledge' / 'No Pledge' mapped to the gold names)."""
    folder = shared.joinpath(*PLEDGES)
    gold = pd.read_csv(folder / "annotation_set_01.csv")
    frame = pd.DataFrame({"id": gold["text_id"].astype(str), "text": gold["text"],
                          "gold": gold["label"].map({1: "pledge", 0: "no pledge"}),
                          "party": gold["metadata__party"].astype(str), "year": gold["metadata__year"].astype(str)})
    for path in sorted((folder / "annotations" / "classification" / "llms").glob("*.csv")):
        answers = pd.read_csv(path).set_index("text_id")["label"].map({"Pledge": "pledge", "No Pledge": "no pledge"})
        frame[path.stem] = answers.reindex(gold["text_id"]).to_numpy()
    return frame
