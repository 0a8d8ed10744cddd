"""Glossary step speed per prompt, and the terms per category, in one run.

    python -m benchmarks.glossary [--repeats 20] [--personal 200] [--json out.json]

The glossary step is what the translator runs around the model for each new text: ``prepare_source`` (lemmas,
matching, substitution) and ``fix_translation``. The prompts are the phrasing table of the tests
(tests/pipeline/glossary_phrasings.tsv). Rows:

- start-up: the first call in a fresh process (pymorphy3 dictionaries, data file, matcher) — paid once per process;
  ``glossary.warm_up()`` lets the worker pay it at start;
- cold lemma cache: every prompt once with the per-word caches emptied (words never seen before);
- warm: the same prompts again, ``--repeats`` times (words seen before, the usual case);
- long prompt: five phrasings joined into one description of about 22 words, cold and warm.

``--personal N``: every prompt also goes through N personal terms of one chef («Мои термины», matched before the
glossary), as in her preview and jobs; the row «personal terms: compile» is what her first request after a change of
her list pays (the compiled terms are cached per user and version).
"""
from __future__ import annotations

import argparse
import collections
import json
import statistics
import time
from pathlib import Path

from tortodelova.pipeline import glossary, glossary_data

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "pipeline" / "glossary_phrasings.tsv"


def load_corpus(path: Path = CORPUS) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[0] for line in lines if line.strip() and not line.startswith("#")]


PERSONAL: "glossary.PersonalGlossary | None" = None


def personal_terms(count: int) -> "glossary.PersonalGlossary":
    """``count`` distinct two-word shop names (adjective + noun), the shape chefs give their cakes."""
    adjectives = ["вишневый", "медовый", "снежный", "зимний", "летний", "солнечный", "лесной", "бархатный",
                  "нежный", "royal", "фирменный", "домашний", "праздничный", "сказочный", "янтарный", "лунный",
                  "звездный", "морской", "садовый", "ночной"]
    nouns = ["поляна", "сад", "вечер", "облако", "сказка", "ветер", "берег", "рассвет", "остров", "замок", "бал"]
    pairs = [(a, n) for n in nouns for a in adjectives if a.isalpha() and not a.isascii()]
    items = tuple((f"{a} {n}", f"house cake number {i} with cream and berries")
                  for i, (a, n) in enumerate(pairs[:count]))
    assert len(items) == count, f"only {len(pairs)} synthetic terms available"
    return glossary.PersonalGlossary(key=f"bench:{count}", items=items)


def glossary_step(text: str) -> None:
    source, terms = glossary.prepare_source(text, PERSONAL) if PERSONAL else glossary.prepare_source(text)
    glossary.fix_translation(source, terms)


def timed_ms(texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        start = time.perf_counter()
        glossary_step(text)
        times.append((time.perf_counter() - start) * 1000)
    return times


def clear_word_caches() -> None:
    for cached in (glossary.analyse, glossary.lemmas, glossary._surely_plural):
        cached.cache_clear()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--personal", type=int, default=0, help="personal terms of one chef, 0..200")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texts = load_corpus()
    global PERSONAL

    start = time.perf_counter()
    glossary._morph()
    dictionaries_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    glossary_step(texts[0])
    first_ms = (time.perf_counter() - start) * 1000
    compile_ms = None
    if args.personal:
        PERSONAL = personal_terms(args.personal)
        start = time.perf_counter()
        glossary._personal_matcher(PERSONAL)
        compile_ms = (time.perf_counter() - start) * 1000

    clear_word_caches()
    cold = timed_ms(texts)
    warm = [ms for _ in range(args.repeats) for ms in timed_ms(texts)]
    # A full description is several of these phrasings in a row: five make about 22 words.
    long_texts = [". ".join(texts[i : i + 5]) for i in range(0, len(texts) - 4, 5)]
    clear_word_caches()
    long_cold = timed_ms(long_texts)
    long_warm = [ms for _ in range(args.repeats) for ms in timed_ms(long_texts)]

    rows = [("start-up: pymorphy3 dictionaries", [dictionaries_ms]),
            ("start-up: data file + matcher + first prompt", [first_ms]),
            ("short prompt, cold lemma cache", cold), ("short prompt, warm", warm),
            ("long prompt (5 phrasings), cold lemma cache", long_cold), ("long prompt (5 phrasings), warm", long_warm)]
    if compile_ms is not None:
        rows.insert(2, (f"personal terms: compile {args.personal} (once per user and version)", [compile_ms]))
    rows = [(name, len(ms), statistics.mean(ms), statistics.median(ms), p95(ms), max(ms)) for name, ms in rows]
    words = [len(text.split()) for text in texts]
    long_words = [len(text.split()) for text in long_texts]
    print(f"{len(texts)} short prompts ({statistics.mean(words):.1f} words on average), {len(long_texts)} long ones "
          f"({statistics.mean(long_words):.1f} words); warm rows: {args.repeats} repeats; "
          f"personal terms: {args.personal}\n")
    print("| glossary step | calls | mean, ms | median, ms | p95, ms | max, ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, count, mean, median, p95_ms, max_ms in rows:
        print(f"| {name} | {count} | {mean:.3f} | {median:.3f} | {p95_ms:.3f} | {max_ms:.3f} |")

    entries = glossary_data.load_glossary()
    terms = collections.Counter(entry.category for entry in entries)
    spellings = collections.Counter()
    for entry in entries:
        spellings[entry.category] += len(entry.ru)
    print("\n| category | terms | RU spellings |")
    print("| --- | ---: | ---: |")
    for category, title in glossary_data.CATEGORIES.items():
        print(f"| {category} ({title}) | {terms[category]} | {spellings[category]} |")
    print(f"| **total** | **{sum(terms.values())}** | **{sum(spellings.values())}** |")

    if args.json:
        report = {
            "timings_ms": [dict(zip(("row", "calls", "mean", "median", "p95", "max"), row)) for row in rows],
            "terms_per_category": dict(terms),
            "spellings_per_category": dict(spellings),
            "personal_terms": args.personal,
        }
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
