"""Generate the embedded demo datasets (deterministic: same seed, same bytes).

    python scripts/make_demo_data.py            # writes advisor/data/demo/...
    python scripts/make_demo_data.py --check    # exit 1 if the committed files differ

Everything here is written for this project: templates and slot fillers, no copied text.
It also writes the general reference sets (``advisor/data/general``): everyday prose
for the perplexity baseline (domain shift) and a multiple-choice general-ability check
(forgetting). Their text lives in ``general_corpus.py``.

Two tasks:

* ``tickets``: customer-support ticket routing (classification, text/label, 6 labels).
  Templates mix phrasing styles, some tickets mention a second topic (the label is the
  one the customer asks to be handled), and a little noise (typos, casing, missing
  punctuation) is added so that zero-shot prompting on a small model is imperfect.
* ``extraction``: pull the order id and the product out of a short message into a
  compact ``order_id=... item=...`` string (generation, input/output).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from general_corpus import ABILITY, PARAGRAPHS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "advisor" / "data" / "demo"
GENERAL = ROOT / "advisor" / "data" / "general"
SEED = 20240607

# ----------------------------------------------------------------------- tickets

PRODUCTS = [
    "wireless earbuds",
    "standing desk",
    "coffee grinder",
    "yoga mat",
    "phone case",
    "electric kettle",
    "hiking backpack",
    "desk lamp",
    "bluetooth speaker",
    "air fryer",
    "running shoes",
    "winter jacket",
    "smart watch",
    "blender",
    "office chair",
    "water bottle",
    "gaming mouse",
    "throw blanket",
    "bike helmet",
    "laptop stand",
]
PLANS = [
    "Basic plan",
    "Premium plan",
    "family plan",
    "annual subscription",
    "monthly membership",
    "Pro tier",
]
DAYS = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "the weekend",
    "yesterday",
    "last week",
]
AMOUNTS = ["$12.99", "$24.50", "$49", "$89.00", "$7.99", "$129", "$15", "$230.40", "€39", "£18.75"]
DEVICES = ["iPhone", "Android phone", "iPad", "Windows laptop", "MacBook", "Chromebook", "tablet"]
ERRORS = [
    "error 503",
    "a blank white screen",
    "error code E-17",
    "a spinning wheel",
    "'something went wrong'",
    "a timeout",
]
CARRIERS = ["the courier", "the delivery driver", "the post office", "UPS", "the carrier"]
CITIES = [
    "Leeds",
    "Austin",
    "Lyon",
    "Porto",
    "Denver",
    "Gdansk",
    "Osaka",
    "Cork",
    "Tucson",
    "Ghent",
]

TICKET_TEMPLATES: dict[str, list[str]] = {
    "billing": [
        "I was charged {amount} twice for my {plan} this month.",
        "Why does my invoice show {amount} when the {plan} is cheaper?",
        "Can you send me a VAT invoice for my last payment?",
        "My card was declined but the money still left my account, what happened?",
        "How do I change the credit card used for my {plan}?",
        "There is a charge of {amount} on my statement I don't recognise.",
        "The price went up on {day} and nobody told me. Please explain the new charge.",
        "I need to update the billing address on my invoices.",
        "Am I going to be billed again if I switch from the {plan} to the {plan2}?",
        "Please confirm which payment method is on file for my account.",
        "The receipt for my {product} shows the wrong tax amount.",
        "I paid by bank transfer on {day} but the invoice still says unpaid.",
        "Is there a way to pay quarterly instead of monthly?",
        "You billed me {amount} for a {plan} I never signed up for.",
    ],
    "technical": [
        "The app crashes every time I open it on my {device}.",
        "I get {error} when I try to check out.",
        "Your website shows {error} since {day}.",
        "Notifications stopped working on my {device} after the last update.",
        "The {product} won't pair with my {device}, I've tried resetting it.",
        "Search results never load, I just see {error}.",
        "Sync between my {device} and the web version is broken.",
        "The page freezes when I upload a photo for my review.",
        "Video in the setup guide for the {product} won't play on my {device}.",
        "The firmware update for my {product} failed halfway and now it won't turn on.",
        "Dark mode makes the buttons invisible on {device}.",
        "The checkout button does nothing when I click it.",
        "I keep getting logged out of the app every few minutes on my {device}, looks like a bug.",
        "Since {day} the app uses all my battery on my {device}.",
    ],
    "account": [
        "I forgot my password and the reset email never arrives.",
        "How do I change the email address on my account?",
        "Please delete my account and all my personal data.",
        "Someone else logged into my account from {city}, I did not do that.",
        "I can't sign in, it says my account is locked.",
        "How do I turn on two-factor authentication?",
        "I'd like to merge my two accounts into one.",
        "Can I change my username? The old one has a typo.",
        "My account shows someone else's name and address.",
        "How do I add my partner as a second user on the {plan}?",
        "The verification code for my login never arrives by SMS.",
        "I want to update my phone number on my profile.",
        "Please close my account, I'm moving to {city} and won't need it.",
        "I created an account with the wrong email, can you fix it?",
    ],
    "shipping": [
        "My {product} was supposed to arrive on {day} and it's still not here.",
        "The tracking number for my order hasn't updated in five days.",
        "{carrier} says the {product} was delivered but I never got it.",
        "Can you ship to {city}? The checkout won't accept my address.",
        "I need to change the delivery address for my order before it ships.",
        "How long does express delivery to {city} take?",
        "My package was left in the rain and the box of the {product} is soaked.",
        "Only half of my order arrived, the {product} is missing.",
        "Is it possible to pick up my {product} at a store instead of delivery?",
        "The parcel has been stuck in customs since {day}.",
        "{carrier} tried to deliver while I was at work, how do I rebook?",
        "Do you offer free shipping on orders over {amount}?",
        "Where is my order? I ordered the {product} {day}.",
        "The delivery estimate keeps moving, when will my {product} actually come?",
    ],
    "refund": [
        "I returned the {product} two weeks ago and still have no refund.",
        "Please refund my {plan}, I cancelled within the trial period.",
        "The {product} arrived broken, I want my money back.",
        "I'd like a refund for the {product}, it doesn't fit.",
        "You promised a refund of {amount} on {day}, where is it?",
        "Can I get my money back for the unused months of my {plan}?",
        "I want to return the {product} for a full refund.",
        "The {product} stopped working after a week, refund it please.",
        "I was charged {amount} twice, please give me back the extra payment.",
        "How long does a refund take to reach my card?",
        "My order was cancelled but the {amount} was never returned to me.",
        "The {product} is not what the photos showed. I want to send it back and get refunded.",
        "Please reverse the {amount} charge, I never received the {product}.",
        "Refund status for my {product}? It's been {n} days.",
    ],
    "feedback": [
        "Just wanted to say the {product} is fantastic, thank you!",
        "It would be great if the app had a dark mode.",
        "Your support agent on {day} was really helpful, please thank her.",
        "Suggestion: let us save more than one delivery address.",
        "The new website design is much harder to use than the old one.",
        "I love the {product} but the packaging was far too big.",
        "Please add more colour options for the {product}.",
        "Delivery to {city} was faster than I expected, well done.",
        "Honestly the {plan} isn't worth it compared to competitors.",
        "I think you should offer a student discount.",
        "The instructions for the {product} were confusing, maybe add pictures.",
        "Great service as always, keep it up.",
        "Would be nice to have an option to pause the {plan} for a month.",
        "The {product} works fine, though I wish the cable were longer.",
    ],
}

OPENERS = [
    "",
    "",
    "",
    "Hi, ",
    "Hello, ",
    "Hey there. ",
    "Good morning, ",
    "Dear support, ",
    "Urgent: ",
    "Quick question - ",
]
CLOSERS = [
    "",
    "",
    "",
    " Thanks.",
    " Thank you!",
    " Regards, {name}",
    " Please help.",
    " Cheers",
    " Order {order}.",
    " Thanks in advance.",
]
NAMES = [
    "Maria",
    "Tom",
    "Aisha",
    "Ken",
    "Lucia",
    "Ravi",
    "Olga",
    "Sam",
    "Yuki",
    "Ben",
    "Fatima",
    "Leo",
]
# A second topic that does not change the label (the customer's actual ask comes first).
ASIDES = {
    "billing": [" Also, the app was slow today.", " By the way, delivery was quick."],
    "technical": [" I'm on the {plan} if that matters.", " I already paid for the {plan}."],
    "account": [" My last order was the {product}.", " I'm on the {plan}."],
    "shipping": [" I paid {amount} for express.", " Also your app logged me out."],
    "refund": [" The courier was friendly though.", " I have been a customer for years."],
    "feedback": [" No need to reply.", " I'll keep ordering from you."],
}


def _noise(text: str, rng: random.Random) -> str:
    """Light, realistic noise: lowercase, a dropped final stop, a swapped letter pair."""
    r = rng.random()
    if r < 0.12:
        text = text.lower()
    elif r < 0.18:
        text = text.upper() if len(text) < 70 else text
    if rng.random() < 0.15 and text.endswith("."):
        text = text[:-1]
    if rng.random() < 0.12:
        words = text.split(" ")
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4 and w.isalpha():
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        text = " ".join(words)
    return text


def _fill(template: str, rng: random.Random) -> str:
    plan, plan2 = rng.sample(PLANS, 2)
    return template.format(
        product=rng.choice(PRODUCTS),
        plan=plan,
        plan2=plan2,
        day=rng.choice(DAYS),
        amount=rng.choice(AMOUNTS),
        device=rng.choice(DEVICES),
        error=rng.choice(ERRORS),
        carrier=rng.choice(CARRIERS),
        city=rng.choice(CITIES),
        name=rng.choice(NAMES),
        order=f"#{rng.randrange(10000, 99999)}",
        n=rng.randrange(10, 40),
    )


def _key(text: str) -> str:
    """Texts equal after this are duplicates in all but case and punctuation."""
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def make_ticket(label: str, template: str, rng: random.Random) -> str:
    body = _fill(template, rng)
    if rng.random() < 0.2:
        body += _fill(rng.choice(ASIDES[label]), rng)
    text = _fill(rng.choice(OPENERS), rng) + body + _fill(rng.choice(CLOSERS), rng)
    text = _noise(text, rng)
    return text[0].upper() + text[1:] if text[:1].islower() and rng.random() < 0.5 else text


def make_tickets(rng: random.Random, n_train: int = 402, n_test: int = 120) -> tuple[list, list]:
    """Test rows use held-out templates for a quarter of their examples, so memorising fails."""
    labels = sorted(TICKET_TEMPLATES)
    train: list[dict] = []
    test: list[dict] = []
    seen: set[str] = set()
    for i in range(n_train + n_test):
        is_test = i >= n_train
        label = labels[i % len(labels)]
        templates = TICKET_TEMPLATES[label]
        # Last 3 templates of each label are rarer in train (seen a few times only).
        pool = templates if is_test or rng.random() < 0.15 else templates[:-3]
        for _ in range(20):  # avoid exact duplicates between and within splits
            text = make_ticket(label, rng.choice(pool), rng)
            if _key(text) not in seen:
                break
        seen.add(_key(text))
        (test if is_test else train).append({"text": text, "label": label})
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


# -------------------------------------------------------------------- extraction

EXTRACTION_TEMPLATES = [
    "Hi, order {oid} arrived but the {item} is scratched.",
    "Can you check on my {item}? Order number {oid}.",
    "The {item} from order {oid} never showed up.",
    "I'd like to return the {item} (order {oid}).",
    "Re: {oid} - the {item} is the wrong colour.",
    "My order {oid} included a {item} I didn't buy.",
    "Tracking for {oid} says delivered, no {item} here.",
    "Please cancel the {item} on order {oid}.",
    "{oid}: {item} stopped working after two days.",
    "Ordered a {item} last week, reference {oid}, still waiting.",
    "Is the {item} in order {oid} covered by warranty?",
    "Swap the {item} in {oid} for a bigger size please.",
    "Got my {item} today, order {oid}, thanks!",
    "Where is my {item}? My order id is {oid}.",
    "Order {oid} - can I add gift wrap to the {item}?",
]
NO_ID_TEMPLATES = [
    "Do you still sell the {item}?",
    "How much is shipping for a {item}?",
    "Is the {item} available in blue?",
]


def _order_id(rng: random.Random) -> tuple[str, str]:
    """(as written in the message, canonical). Users write ids in several forms."""
    digits = f"{rng.randrange(100000, 999999)}"
    canonical = f"A-{digits}"
    form = rng.choice(
        [canonical, canonical, f"#{digits}", f"A{digits}", f"a-{digits}", f"no. {digits}"]
    )
    return form, canonical


def make_extraction(rng: random.Random, n_train: int = 300, n_test: int = 100) -> tuple[list, list]:
    rows: list[dict] = []
    seen: set[str] = set()
    while len(rows) < n_train + n_test:
        item = rng.choice(PRODUCTS)
        if rng.random() < 0.08:
            text = rng.choice(NO_ID_TEMPLATES).format(item=item)
            out = f"order_id=none item={item.replace(' ', '_')}"
        else:
            form, canonical = _order_id(rng)
            text = rng.choice(EXTRACTION_TEMPLATES).format(oid=form, item=item)
            out = f"order_id={canonical} item={item.replace(' ', '_')}"
        if rng.random() < 0.1:
            text = text.lower()
        if _key(text) in seen:
            continue
        seen.add(_key(text))
        rows.append({"input": text, "output": out})
    return rows[:n_train], rows[n_train:]


# ----------------------------------------------------------------------- general


def make_ability(rng: random.Random) -> list[dict]:
    """Shuffle each item's choices so the right answer is not always first."""
    rows = []
    for i, (question, choices, answer) in enumerate(ABILITY):
        order = list(range(len(choices)))
        rng.shuffle(order)
        rows.append(
            {
                "id": f"ability-{i:03d}",
                "question": question,
                "choices": [choices[j] for j in order],
                "answer": order.index(answer),
            }
        )
    return rows


# ----------------------------------------------------------------------- writing


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def build() -> dict[Path, str]:
    rng = random.Random(SEED)
    tickets_train, tickets_test = make_tickets(rng)
    ex_train, ex_test = make_extraction(rng)
    return {
        DEMO / "tickets" / "train.jsonl": _jsonl(tickets_train),
        DEMO / "tickets" / "test.jsonl": _jsonl(tickets_test),
        DEMO / "extraction" / "train.jsonl": _jsonl(ex_train),
        DEMO / "extraction" / "test.jsonl": _jsonl(ex_test),
        GENERAL / "text.jsonl": _jsonl([{"text": t} for t in PARAGRAPHS]),
        GENERAL / "ability.jsonl": _jsonl(make_ability(random.Random(SEED + 1))),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if committed files differ")
    args = ap.parse_args(argv)
    files = build()
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text("utf-8") != text]
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for p, text in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(p)
        print(f"wrote {p.relative_to(ROOT)} ({text.count(chr(10))} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
