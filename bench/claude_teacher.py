"""Labeling throughput of the Claude teacher with the real `anthropic` client (or the OpenAI-compatible one with
the real `openai` client) against the local server of the tests, at 200 ms latency and 32 concurrent requests:
the bound is 32 / 0.2 s = 160 labels/s. Then a rerun of the same texts, which must come from the call cache.
Prints JSON, with the machine's load averages (1, 5, 15 min) before and after and the CPU seconds per label of this
process and of the server's: on a shared machine the share of the bound says as much about the neighbours as about
the teacher, and cores_needed_at_bound says what the bound takes on a quiet one.
`--message-batches N` sends the same texts through Message Batches of N requests instead (the local server ends a
batch after two polls, so that is the cost of cutting, submitting, polling and reading batches, with no bound).

    python bench/claude_teacher.py [--texts 10000] [--provider claude|openai_compatible] [--message-batches N]"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from core.datasets import demo_corpus  # noqa: E402
from core.teachers.call_cache import StoreCallCache  # noqa: E402
from core.datasets.reading import read_dataset  # noqa: E402
from core.datasets.demo_corpus import DEMO_MAPPING  # noqa: E402
from core.datasets.importing import import_dataset  # noqa: E402
from core.teachers.labeling import label_missing  # noqa: E402
from core.store import Store  # noqa: E402
from core.teachers import ClaudeTeacher, OpenAICompatibleTeacher  # noqa: E402


parser = argparse.ArgumentParser()
parser.add_argument("--texts", type=int, default=10000)
parser.add_argument("--provider", choices=["claude", "openai_compatible"], default="claude")
parser.add_argument("--message-batches", type=int, metavar="N", help="Message Batches of N requests (claude only)")
args = parser.parse_args()
load_before = os.getloadavg()
os.environ.setdefault("ANTHROPIC_API_KEY", "sk-bench-local-server")
# the server runs in its own process, as a real API would, so it does not share this process's GIL
server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fake_llm_api.py"), os.environ.get("BENCH_LATENCY", "0.2")], stdout=subprocess.PIPE, text=True)
url = server.stdout.readline().strip()
with tempfile.TemporaryDirectory() as folder:
    demo_corpus.generate(args.texts, seed=5).to_csv(Path(folder) / "texts.csv", index=False)
    store = Store(Path(folder) / "bench.duckdb")
    dataset = import_dataset(store, read_dataset(Path(folder) / "texts.csv", DEMO_MAPPING, demo_corpus.LABEL_SET), "bench")
    examples = store.examples(dataset.dataset_id)
    timings = {}
    for attempt in ("first", "cached_rerun"):
        if attempt == "cached_rerun":
            with store.transaction() as con:  # keep the call cache, forget the labels: every call is asked again
                con.execute("DELETE FROM teacher_labels")
        cache = StoreCallCache(store, flush_every=256)
        batches = ({"batch_threshold": 1, "batch_max_requests": args.message_batches, "batch_poll_seconds": 0.1}
                   if args.message_batches else {})
        teacher = (ClaudeTeacher("claude", model="claude-haiku-4-5", base_url=url, concurrency=32, cache=cache, **batches)
                   if args.provider == "claude" else
                   OpenAICompatibleTeacher("local", model="local", base_url=url + "/v1", concurrency=32, cache=cache))
        started, cpu_started = time.perf_counter(), time.process_time()
        label_missing(store, dataset.dataset_id, teacher, dataset.label_set, examples, batch_size=2000)
        timings[attempt] = {"seconds": round(time.perf_counter() - started, 2), "api_calls": teacher.api_calls,
                            "cpu_seconds": round(time.process_time() - cpu_started, 2),
                            **({"message_batches": teacher.batches_submitted} if args.message_batches else {})}
    rate = args.texts / timings["first"]["seconds"]
    server.kill()
    server.wait()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the server's, which answered only the first pass
    client_cpu = timings["first"]["cpu_seconds"] / args.texts
    server_cpu = (children.ru_utime + children.ru_stime) / args.texts
    machine = {"load_average_before": [round(x, 2) for x in load_before],
               "load_average_after": [round(x, 2) for x in os.getloadavg()], "cores": os.cpu_count(),
               "client_cpu_ms_per_label": round(client_cpu * 1000, 3), "server_cpu_ms_per_label": round(server_cpu * 1000, 3)}
    bound = ({} if args.message_batches else
             {"bound_labels_per_s": 160, "share_of_bound": round(rate / 160, 3), "target_share": 0.9,
              "cores_needed_at_bound": round(160 * (client_cpu + server_cpu), 2)})
    print(json.dumps({"benchmark": "claude_teacher", "provider": args.provider, "texts": args.texts, "latency_s": 0.2,
                      "concurrency": 32, "message_batch_requests": args.message_batches,
                      "labels_per_s": round(rate, 1), **bound, "cached_rerun_target_s": 5, **timings, **machine},
                     indent=2))
