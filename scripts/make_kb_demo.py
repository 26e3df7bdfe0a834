"""Generate the knowledge-base QA demo (deterministic: same seed, same bytes).

    python scripts/make_kb_demo.py            # writes advisor/data/demo/kb/...
    python scripts/make_kb_demo.py --check    # exit 1 if the committed files differ

Every fact is invented here, from syllables and templates, about fictional towns, products
and people, so no model knows any of them beforehand: a model answers from the documents
(the ``rag`` strategy), from facts trained into its weights (a fine-tune on the QA pairs),
or not at all (``zero-shot``).

* ``documents.jsonl``: one short article per entity (``id``, ``text``), three facts each
  plus a sentence no question asks about.
* ``train.jsonl``: one question per fact (``input``, ``output``), in a first phrasing.
* ``test.jsonl``: one fact per entity asked in a second phrasing, so a fine-tune has seen
  the fact but not the question.

Entities share towns and makers, so a retriever has to find the right article by name.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "advisor" / "data" / "demo" / "kb"
SEED = 20261202
PER_KIND = 24  # towns, products, people: 72 documents, 216 facts

ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr",
          "kl", "pr", "st", "tr", "sk", "th", "qu", "gr"]  # fmt: skip
VOWELS = ["a", "e", "i", "o", "u", "ae", "io", "ou"]
CODAS = ["", "", "n", "r", "l", "s", "th", "nd", "m", "x"]

GEOGRAPHY = ["northern coast", "southern plain", "eastern hills", "western shore", "river delta"]
EXPORTS = ["blue salt", "copper wire", "dried figs", "slate tiles", "wool blankets", "glass beads",
           "smoked eel", "cedar oil", "river pearls", "clay pipes", "linen sails", "amber resin"]  # fmt: skip
MONTHS = ["March", "May", "July", "September", "October", "December"]
CATEGORIES = ["handheld soil scanner", "pocket weather station", "solar lantern",
              "water purifier", "trail camera", "bike light", "sleep tracker", "label printer"]  # fmt: skip
MAKER_SUFFIXES = ["Labs", "Works", "Instruments", "Devices"]
JOBS = ["glassblower", "cartographer", "violin maker", "beekeeper", "novelist", "architect"]
PRIZES = ["Amber Kiln Prize", "Silver Compass Award", "Harrow Medal", "Lantern Prize"]
WORKS = ["Tide", "Lantern", "Orchard", "Bridge", "Winter", "Harbour", "Mirror", "Garden"]
ORDINALS = ["First", "Second", "Third", "Ninth", "Last", "Quiet", "Hollow", "Golden"]
SCHOOLS = ["Academy of Fine Crafts", "Polytechnic", "School of Design", "Conservatory"]

Fact = tuple[str, str, str]  # (first phrasing, second phrasing, answer)


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(
        rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables)
    ).capitalize()


def _unique(rng: random.Random, seen: set[str], make: Callable[[], str]) -> str:
    while (name := make()) in seen:
        pass
    seen.add(name)
    return name


def _town(rng: random.Random, name: str, founder: str) -> tuple[str, list[Fact]]:
    year, export = str(rng.randint(1200, 1899)), rng.choice(EXPORTS)
    text = (
        f"{name} is a small town on the {rng.choice(GEOGRAPHY)} of {_word(rng, 2)}. "
        f"It was founded in {year} by {founder}. Its main export is {export}. "
        f"Its festival is held every {rng.choice(MONTHS)}."
    )
    return text, [
        (f"In what year was {name} founded?", f"When was the town of {name} established?", year),
        (f"Who founded {name}?", f"Which person established the town of {name}?", founder),
        (f"What is the main export of {name}?", f"What does {name} mainly export?", export),
    ]


def _product(rng: random.Random, name: str, maker: str, town: str) -> tuple[str, list[Fact]]:
    grams, hours = str(rng.randint(12, 95) * 10), str(rng.randint(3, 48))
    text = (
        f"The {name} is a {rng.choice(CATEGORIES)} made by {maker}, a company based in {town}. "
        f"It weighs {grams} grams and its battery lasts {hours} hours. "
        f"It went on sale in {rng.randint(2003, 2024)}."
    )
    return text, [
        (f"Which company makes the {name}?", f"Who is the manufacturer of the {name}?", maker),
        (
            f"How many grams does the {name} weigh?",
            f"What is the weight of the {name} in grams?",
            grams,
        ),
        (
            f"How many hours does the battery of the {name} last?",
            f"For how many hours does the {name} run on one charge?",
            hours,
        ),
    ]


def _person(rng: random.Random, name: str, town: str) -> tuple[str, list[Fact]]:
    prize, year = rng.choice(PRIZES), str(rng.randint(1950, 2024))
    work = f"The {rng.choice(ORDINALS)} {rng.choice(WORKS)}"
    text = (
        f"{name} is a {rng.choice(JOBS)} from {town}. {name.split()[0]} won the {prize} in "
        f"{year}, and the best-known work of {name} is {work}. "
        f"{name.split()[0]} studied at the {_word(rng, 2)} {rng.choice(SCHOOLS)}."
    )
    return text, [
        (
            f"In what year did {name} win the {prize}?",
            f"When was {name} awarded the {prize}?",
            year,
        ),
        (f"What is the best-known work of {name}?", f"Which work is {name} best known for?", work),
        (f"Which town is {name} from?", f"Where does {name} come from?", town),
    ]


def _entities(rng: random.Random) -> list[tuple[str, str, list[Fact]]]:
    """(id, text, facts) for every entity, towns first (the others refer to them)."""
    seen: set[str] = set()

    def person_name() -> str:
        return _unique(rng, seen, lambda: f"{_word(rng, 2)} {_word(rng, 2)}")

    towns = [_unique(rng, seen, lambda: _word(rng, 3)) for _ in range(PER_KIND)]
    makers = [
        _unique(rng, seen, lambda: f"{_word(rng, 2)} {rng.choice(MAKER_SUFFIXES)}")
        for _ in range(PER_KIND // 3)
    ]
    out = []
    for i, town in enumerate(towns, 1):
        out.append((f"town-{i:02d}", *_town(rng, town, person_name())))
    for i in range(1, PER_KIND + 1):
        name = _unique(
            rng, seen, lambda: f"{_word(rng, 2)} {rng.choice('KRTVXZ')}{rng.randint(2, 9)}"
        )
        out.append(
            (f"product-{i:02d}", *_product(rng, name, rng.choice(makers), rng.choice(towns)))
        )
    for i in range(1, PER_KIND + 1):
        out.append((f"person-{i:02d}", *_person(rng, person_name(), rng.choice(towns))))
    return out


def _jsonl(rows: list[dict[str, str]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def build() -> dict[Path, str]:
    """Every file's path and text."""
    rng = random.Random(SEED)
    entities = _entities(rng)
    documents = [{"id": ident, "text": text} for ident, text, _ in entities]
    train = [{"input": a, "output": answer} for _, _, facts in entities for a, _, answer in facts]
    # One fact per entity in the test set, each of the three in turn.
    test = [
        {"input": facts[i % 3][1], "output": facts[i % 3][2]}
        for i, (_, _, facts) in enumerate(entities)
    ]
    rng.shuffle(train)
    rng.shuffle(test)
    return {
        KB / "documents.jsonl": _jsonl(documents),
        KB / "train.jsonl": _jsonl(train),
        KB / "test.jsonl": _jsonl(test),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the files differ")
    args = parser.parse_args()
    files = build()
    if args.check:
        stale = [p for p, text in files.items() if not p.is_file() or p.read_text() != text]
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)}")
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
