"""Proposing a label set: the TnT-LLM steps through both LLM teachers (local server), and offline clusters."""
import pytest
import yaml

from core import cli
from core.datasets import demo_corpus
from core.teachers.call_cache import StoreCallCache
from core.datasets.labelset import LabelSet
from core.taxonomy.propose import TaxonomyError, propose_from_clusters, propose_with_llm
from core.teachers import ClaudeTeacher, OpenAICompatibleTeacher

from fake_llm_api import FakeLLMAPI


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    with FakeLLMAPI() as fake:
        yield fake


@pytest.fixture(scope="module")
def texts():
    return demo_corpus.generate(n=400, seed=11)["text"].tolist()


@pytest.mark.parametrize("kind", [ClaudeTeacher, OpenAICompatibleTeacher])
def test_the_llm_summarizes_proposes_over_minibatches_then_revises_and_a_rerun_is_free(server, db, texts, kind):
    params = {"model": "claude-haiku-4-5", "base_url": server.url} if kind is ClaudeTeacher else \
        {"model": "local", "base_url": server.url + "/v1", "prices": [1, 2]}
    teacher = kind("taxonomist", **params, cache=StoreCallCache(db))
    taxonomy = propose_with_llm(teacher, texts, "route support messages", sample_size=60, minibatch_size=20, max_labels=5)
    assert teacher.api_calls == 60 + 3 + 1  # summaries, three minibatch proposals, one review
    provenance = taxonomy.provenance
    assert len(provenance["versions"]) == 3 and provenance["revised"] and provenance["cost_usd"] > 0
    assert len(provenance["sample_rows"]) == 60 and taxonomy.method == "llm:taxonomist"
    assert 1 <= len(taxonomy.labels) <= 5 and all(label.description for label in taxonomy.labels.labels)
    prompts = [str(r) for r in server.requests]
    assert sum("Update this taxonomy" in p for p in prompts) == 2  # each later minibatch revises the previous version
    again = kind("taxonomist", **params, cache=StoreCallCache(db))
    assert propose_with_llm(again, texts, "route support messages", sample_size=60, minibatch_size=20,
                            max_labels=5).records() == taxonomy.records()
    assert again.api_calls == 0


def test_refusals_everywhere_give_a_clear_error_not_an_empty_taxonomy(server, texts):
    server.faults = ["refusal"] * 100
    teacher = ClaudeTeacher("taxonomist", model="claude-haiku-4-5", base_url=server.url)
    with pytest.raises(TaxonomyError, match="no usable labels: refusal"):
        propose_with_llm(teacher, texts, "route support messages", sample_size=20, minibatch_size=10)


@pytest.mark.slow
def test_offline_clusters_recover_the_demo_queues_as_named_labels(texts):
    taxonomy = propose_from_clusters(texts, n_labels=5, seed=0)
    names = taxonomy.labels.names
    assert len(names) == 5 and len(set(names)) == 5 and taxonomy.method == "clusters"
    assert sum(c["size"] for c in taxonomy.provenance["clusters"]) == 400
    # clusters are named by their terms: the demo's queues are about bills, parcels, logins, refunds and cancelling
    vocabulary = " ".join(names + [l.description for l in taxonomy.labels.labels]).lower()
    assert sum(word in vocabulary for word in ["charg", "deliver", "password", "refund", "cancel"]) >= 3


def test_cli_writes_an_editable_label_file_that_import_accepts(tmp_path, server, db):
    corpus = tmp_path / "unlabeled.csv"
    demo_corpus.generate(n=200, seed=2)[["text"]].to_csv(corpus, index=False)
    out = tmp_path / "labels.yaml"
    assert cli.main(["taxonomy", str(corpus), "--text", "text", "--method", "claude", "--model", "claude-haiku-4-5",
                     "--base-url", server.url, "--sample", "30", "--out", str(out), "--db", str(db.path)]) == 0
    proposed = yaml.safe_load(out.read_text())["labels"]
    proposed[0]["description"] = "edited by a human"
    out.write_text(yaml.safe_dump({"labels": proposed}))
    assert LabelSet.from_file(out).description(proposed[0]["name"]) == "edited by a human"
    stored = db.taxonomies()
    assert len(stored) == 1 and stored.iloc[0]["provenance"]["calls"] > 0
    assert cli.main(["import", str(corpus), "--text", "text", "--labels", str(out), "--name", "fresh",
                     "--db", str(db.path)]) == 0


def test_cli_names_the_row_of_an_empty_text(tmp_path, db, capsys):
    corpus = tmp_path / "bad.csv"
    corpus.write_text("id,text\n1,fine text\n2,\n3,more\n")
    assert cli.main(["taxonomy", str(corpus), "--text", "text", "--out", str(tmp_path / "l.yaml"),
                     "--db", str(db.path)]) == 3
    assert "row 2" in capsys.readouterr().err and not (tmp_path / "l.yaml").exists()
