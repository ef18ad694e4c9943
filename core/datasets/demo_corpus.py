"""The demo corpus: customer-support messages to route into five queues, generated from a small grammar.

Every message is built from a *core clause* that decides its label (composed from slots, so there are
thousands of distinct clauses), wrapped by one construction whose effect on a reader is known:

- easy:          the core clause alone, with an optional greeting and sign-off.
- embedded:      the core clause nested 1-4 complement clauses deep ("the courier told me that the
                 technician said that <core>"); every outer clause is about one other queue (the
                 `distractor_label`), so a reader that weighs the outer words routes it wrongly.
- ambiguous:     a clause that genuinely supports two queues ("I paid for a parcel that never came":
                 billing and delivery). Gold is one of the two, drawn at random as annotators would
                 split; `alt_label` records the other.
- false_premise: a request for one queue prefaced by a false presupposition about another ("Since you
                 stopped shipping to my region, ..."). The premises contradict the company facts in
                 `COMPANY_FACTS`; a reader that accommodates the premise routes to its queue.
- negation:      the core clause next to a negated mention of another queue ("this is not about my
                 password"), which bag-of-words readers take at face value.

Ground truth is known by construction: `label`, `kind`, `depth`, `ambiguous`, `alt_label`,
`false_premise`, `negation`, `distractor_label`. What it cannot show: real-world language variety,
errors the grammar does not encode, and how any real LLM behaves; it shows whether the *pipeline*
measures structured versus random teacher error correctly. See docs/demo_corpus.md.
"""
from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from core.datasets.labelset import Label, LabelSet
from core.datasets.reading import ColumnMapping
from core.paths import DATA_DIR

LABEL_SET = LabelSet((
    Label("billing", "Charges, invoices, payments and prices: the customer was billed wrongly or asks about a bill."),
    Label("delivery", "Shipping and delivery: late, lost, damaged or misrouted parcels, and tracking."),
    Label("technical", "The app, website or a device does not work: crashes, errors, bugs, connection problems."),
    Label("account", "Logging in, passwords, profile details, and access to or settings of the customer's account."),
    Label("cancellation", "The customer wants to cancel or end an order, a plan or a subscription."),
))
LABELS = LABEL_SET.names

COMPANY_FACTS = (
    "Delivery runs seven days a week to every region we have ever served.",
    "No fee is ever charged for logging in, resetting a password or contacting support.",
    "Prices have not changed this year, and nothing is billed twice by design.",
    "The app and website have not been discontinued, and the servers have had no shutdown.",
    "Accounts are never deleted for inactivity, and passwords do not expire.",
    "Orders and plans can be cancelled at any time, including during sales.",
)

KINDS = {"easy": 0.30, "embedded": 0.34, "ambiguous": 0.12, "false_premise": 0.10, "negation": 0.14}
DEFAULT_SIZE = 4000
DEFAULT_SEED = 7
DEMO_CSV = DATA_DIR / "demo_corpus.csv"

ITEMS = ["my headphones", "the blender", "a pair of boots", "my new laptop bag", "the garden chairs", "my order of coffee beans",
         "the kids' bike", "my phone case", "the winter jacket", "a box of printer ink", "the standing desk", "my vitamins"]
MONTHS = ["March", "April", "last month's", "this month's", "the January", "the annual", "my latest", "the October"]
PLANS = ["premium plan", "family subscription", "monthly membership", "streaming add-on", "cloud storage plan", "meal-kit subscription"]
PROFILE_PROBLEMS = ["was changed without my permission", "shows someone else's name", "is linked to an old email address"]
DEVICES = ["the app", "the website", "the mobile app", "your desktop app", "the smart speaker", "the checkout page", "the tablet app"]


# The core clause of each queue: templates drawn at random, each drawing its own slots.
TEMPLATES: dict[str, list] = {
    "billing": [
        lambda r: f"I was {r.choice(['charged twice', 'overcharged', 'billed two times', 'charged the wrong amount'])} for {r.choice(MONTHS)} invoice",
        lambda r: f"{r.choice(MONTHS)} invoice shows {r.choice(['a fee I do not recognise', 'a price higher than advertised', 'a duplicate payment', 'tax I should not pay'])}",
        lambda r: f"my {r.choice(['credit card', 'bank account', 'debit card', 'PayPal balance'])} was {r.choice(['debited', 'charged'])} {r.choice(['twice', 'three times', 'an extra 40 dollars', 'the full price'])} for {r.choice(ITEMS)}",
        lambda r: f"the discount code {r.choice(['SPRING20', 'WELCOME10', 'FREESHIP', 'VIP15'])} was not applied to {r.choice(MONTHS)} bill",
        lambda r: f"I need a corrected receipt because the payment for {r.choice(ITEMS)} {r.choice(['was taken twice', 'shows the wrong total', 'was never refunded'])}",
    ],
    "delivery": [
        lambda r: f"{r.choice(ITEMS)} {r.choice(['has not arrived', 'was delivered to the wrong address', 'arrived damaged', 'is stuck at the depot'])} {r.choice(['after two weeks', 'even though tracking says delivered', 'since Monday', 'for ten days now'])}",
        lambda r: f"the courier {r.choice(['left the parcel in the rain', 'never rang the bell', 'marked my parcel as delivered but it is not here', 'lost the package with ' + r.choice(ITEMS)])}",
        lambda r: f"the tracking number for {r.choice(ITEMS)} {r.choice(['has not updated in a week', 'shows a different city', 'says returned to sender'])}",
        lambda r: f"the shipment with {r.choice(ITEMS)} was {r.choice(['sent to my old address', 'split into parcels and one is missing', 'delayed again without notice'])}",
    ],
    "technical": [
        lambda r: f"{r.choice(DEVICES)} {r.choice(['crashes', 'freezes', 'shows a blank screen', 'throws error 502', 'gets stuck loading'])} {r.choice(['every time I open it', 'after the latest update', 'when I tap the menu', 'on my phone', 'whenever I scroll'])}",
        lambda r: f"{r.choice(DEVICES)} {r.choice(['will not connect to wifi', 'keeps losing my basket', 'does not load images', 'drains my battery'])} {r.choice(['since yesterday', 'after the update', 'on every device I try'])}",
        lambda r: f"the {r.choice(['search bar', 'upload button', 'video player', 'notification settings', 'dark mode'])} in {r.choice(DEVICES)} {r.choice(['does nothing', 'is broken', 'shows an error message'])}",
    ],
    "account": [
        lambda r: f"I {r.choice(['cannot log in', 'am locked out of my profile', 'forgot my password', 'never got the password reset email'])} {r.choice(['since this morning', 'after changing my phone', 'even with the right password', 'for three days'])}",
        lambda r: f"I need to {r.choice(['change the email address on my profile', 'update my username', 'turn on two-factor login', 'add my partner as a second user'])}",
        lambda r: f"my {r.choice(['login', 'profile', 'username', 'sign-in'])} {r.choice(PROFILE_PROBLEMS)}",
    ],
    "cancellation": [
        lambda r: f"I want to {r.choice(['cancel', 'end', 'stop', 'terminate'])} my {r.choice(PLANS)} {r.choice(['right away', 'before it renews', 'at the end of this month', 'today'])}",
        lambda r: f"please {r.choice(['cancel', 'call off', 'stop'])} the order for {r.choice(ITEMS)} {r.choice(['before it ships', 'as I ordered it by mistake', 'because I changed my mind'])}",
        lambda r: f"how do I {r.choice(['unsubscribe from', 'cancel', 'opt out of'])} the {r.choice(PLANS)} {r.choice(['without calling', 'online', 'from the app'])}",
    ],
}


def _core(r: random.Random, label: str) -> str:
    return r.choice(TEMPLATES[label])(r)


# Speakers of outer clauses, each about one queue: their words pull a careless reader toward it.
OUTER_AGENTS = {
    "billing": ["the billing department", "the person who handles my invoices", "the payments team", "my bank"],
    "delivery": ["the courier", "the delivery driver", "the man at the parcel depot", "the shipping company"],
    "technical": ["the technician", "the app's help screen", "the engineer who looked at my router", "the IT helpdesk"],
    "account": ["the agent who reset my password", "the login help page", "the profile security team", "the sign-in assistant"],
    "cancellation": ["the agent handling my cancellation", "the subscription team", "the retention specialist", "the person who processed my termination request"],
}
REPORTING = ["told me that", "said that", "insisted that", "explained that", "wrote that", "confirmed that", "claimed that"]

AMBIGUOUS = {
    ("billing", "delivery"): lambda r: f"I paid {r.choice(['full price', 'for express shipping', '60 dollars'])} for {r.choice(ITEMS)} that {r.choice(['never arrived', 'still has not shown up', 'went missing in transit'])}",
    ("billing", "cancellation"): lambda r: f"I {r.choice(['cancelled', 'ended', 'stopped'])} my {r.choice(PLANS)} {r.choice(['last week', 'in March', 'a month ago'])} but {r.choice(['was still charged', 'got another invoice', 'the payments keep coming'])}",
    ("account", "technical"): lambda r: f"{r.choice(DEVICES)} {r.choice(['keeps rejecting my password', 'logs me out every few minutes', 'shows an error when I sign in'])} {r.choice(['since the update', 'on every device', 'since Tuesday'])}",
    ("account", "cancellation"): lambda r: f"{r.choice(['please', 'I need you to', 'can you'])} {r.choice(['close', 'delete', 'shut down'])} my account {r.choice(['and everything attached to it', 'for good', 'as soon as possible'])}",
    ("delivery", "technical"): lambda r: f"the tracking page {r.choice(['crashes', 'will not load', 'shows an error'])} whenever I check where {r.choice(ITEMS)} is",
    ("cancellation", "delivery"): lambda r: f"I want to call off the order for {r.choice(ITEMS)} because it is {r.choice(['two weeks late', 'still not shipped', 'stuck in customs'])}",
}

FALSE_PREMISES = {
    "delivery": ["you no longer deliver on weekends", "you stopped shipping to my region", "all parcels now take a month to arrive"],
    "billing": ["you now charge a fee for every login", "you doubled all prices this month", "every order is billed twice now"],
    "technical": ["your servers were shut down yesterday", "the app was discontinued last week", "the website no longer works on phones"],
    "account": ["you deleted all accounts older than a year", "passwords now expire every day", "you wiped everyone's profile data"],
    "cancellation": ["cancellations are banned during the sale", "plans can no longer be ended online", "you stopped accepting cancellations"],
}
PREMISE_OPENERS = ["Since", "Now that", "Given that", "Seeing as"]

NEGATIONS = {
    "billing": ["I was not overcharged", "this is not a billing question", "there is nothing wrong with my invoice"],
    "delivery": ["this is not about the delivery", "my parcel did not go missing", "I have no complaint about the courier"],
    "technical": ["the app is not crashing", "this is not a technical fault", "nothing is broken on the website"],
    "account": ["I have no problem with my password", "this is not about my login", "my account is not locked"],
    "cancellation": ["I do not want to cancel anything", "this is not a cancellation request", "I am not ending my plan"],
}

OPENERS = ["", "", "Hi,", "Hello team,", "Hi there!", "Quick question:", "Good morning,", "Hey,", "Dear support,"]
CLOSERS = ["", "", "Please help.", "Thanks.", "This is urgent.", "Can you sort this out?", "Thank you in advance.", "Any update would be great."]


def _sentence(r: random.Random, body: str) -> str:
    opener = r.choice(OPENERS)
    if not opener.endswith(","):
        body = body[0].upper() + body[1:]
    return " ".join(part for part in (opener, body.rstrip(".?!") + ".", r.choice(CLOSERS)) if part)


def _other(r: random.Random, label: str) -> str:
    return r.choice([l for l in LABELS if l != label])


def _example(r: random.Random, kind: str) -> dict:
    label = r.choice(LABELS)
    row = {"label": label, "kind": kind, "depth": 0, "ambiguous": 0, "alt_label": "", "false_premise": 0,
           "negation": 0, "distractor_label": ""}
    if kind == "easy":
        body = _core(r, label)
    elif kind == "embedded":
        depth = r.randint(1, 4)
        distractor = _other(r, label)
        body = _core(r, label)
        for agent in r.sample(OUTER_AGENTS[distractor], depth):
            body = f"{agent} {r.choice(REPORTING)} {body}"
        row.update(depth=depth, distractor_label=distractor)
    elif kind == "ambiguous":
        pair = r.choice(list(AMBIGUOUS))
        body = AMBIGUOUS[pair](r)
        gold, alt = pair if r.random() < 0.5 else pair[::-1]
        row.update(label=gold, ambiguous=1, alt_label=alt, distractor_label=alt)
    elif kind == "false_premise":
        premise_label = _other(r, label)
        body = f"{r.choice(PREMISE_OPENERS)} {r.choice(FALSE_PREMISES[premise_label])}, {_core(r, label)}"
        row.update(false_premise=1, distractor_label=premise_label)
    else:
        negated = _other(r, label)
        first, second = r.choice(NEGATIONS[negated]), _core(r, label)
        body = f"{first}; {second}" if r.random() < 0.5 else f"{second}, but {first}"
        row.update(negation=1, distractor_label=negated)
    row["text"] = _sentence(r, body)
    return row


def generate(n: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED, test_fraction: float = 0.25,
             max_retries: int = 20) -> pd.DataFrame:
    """A deterministic demo data set of `n` messages. Texts are distinct as long as the grammar has room
    (`max_retries` redraws per duplicate); far beyond a few tens of thousands, some repeat."""
    r = random.Random(seed)
    kinds, weights = zip(*KINDS.items())
    seen: set[str] = set()
    rows = []
    for i in range(n):
        kind = r.choices(kinds, weights)[0]
        for _ in range(max_retries):
            row = _example(r, kind)
            if row["text"] not in seen:
                break
        seen.add(row["text"])
        row["id"] = f"demo-{i:06d}"
        row["split"] = "test" if r.random() < test_fraction else "train"
        rows.append(row)
    columns = ["id", "text", "label", "split", "kind", "depth", "ambiguous", "alt_label", "false_premise", "negation",
               "distractor_label"]
    return pd.DataFrame(rows)[columns]


def write(path: Path = DEMO_CSV, n: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generate(n, seed).to_csv(path, index=False)
    return path


def write_label_file(path: Path) -> Path:
    import yaml

    Path(path).write_text(yaml.safe_dump([{"name": l.name, "description": l.description} for l in LABEL_SET.labels],
                                         sort_keys=False))
    return Path(path)


SLICE_COLUMNS = ("kind", "depth", "ambiguous", "alt_label", "false_premise", "negation", "distractor_label")
# the generator's answer key (which wrong label the simulated teacher picks): imported for that teacher, never
# offered as a slice to look at or rank by
ANSWER_KEY_COLUMNS = ("alt_label", "distractor_label")
DEMO_MAPPING = ColumnMapping(text="text", id="id", gold="label", split="split", slices=SLICE_COLUMNS)
