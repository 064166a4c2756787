"""A block of the search index updated where pages changed is the block made afresh."""

from __future__ import annotations

import json
import random

from octavo.writers.web.search import Indexed, Merged, _merge, _update, encode

WORDS = ["alpha", "beta", "gamma", "delta", "wife", "office", "dinner", "church", "naïve", "𝔘nicode", "10", "1660"]


def page(rng: random.Random, number: int, sections: int) -> Indexed:
    return [((number, f"s{n}" if n else "", f"Heading {n}" if n else ""),
             rng.sample(WORDS, rng.randint(0, len(WORDS)))) for n in range(sections)]


def reference(pages: list[Indexed]) -> str:
    """The block as the format describes it, made the plain way."""
    sections = [set(found) for indexed in pages for _, found in indexed]
    words = sorted(set().union(*sections), key=lambda word: word.encode("utf-16-be"))
    postings = [encode(n for n, found in enumerate(sections) if word in found) for word in words]
    return json.dumps({"words": " ".join(words), "postings": postings}, separators=(",", ":"))


def check(merged: Merged, pages: list[Indexed]) -> None:
    assert merged.json() == reference(pages)
    assert merged.heads == tuple(tuple(head for head, _ in indexed) for indexed in pages)


def test_a_block_without_words() -> None:
    pages: list[Indexed] = [[((0, "", ""), [])]]
    check(_merge(("k",), pages), pages)


def test_updated_blocks_equal_merged_ones() -> None:
    rng = random.Random(7)
    for _ in range(300):
        count = rng.randint(1, 6)
        sections = [rng.randint(1, 3) for _ in range(count)]
        pages = [page(rng, n, sections[n]) for n in range(count)]
        keys = tuple(f"k{n}" for n in range(count))
        merged = _merge(keys, pages)
        check(merged, pages)
        for _ in range(3):
            changed = {n: page(rng, n, sections[n] if rng.random() < 0.8 else rng.randint(1, 3))
                       for n in rng.sample(range(count), rng.randint(1, count))}
            keys = tuple(f"{key}+" if n in changed else key for n, key in enumerate(keys))
            pages = [changed.get(n, p) for n, p in enumerate(pages)]
            updated = _update(merged, keys, changed)
            if any(len(changed[n]) != sections[n] for n in changed):
                assert updated is None, "a page whose sections changed in number moves the others'"
                merged = _merge(keys, pages)
            else:
                assert updated is not None
                merged = updated
            check(merged, pages)
            sections = [len(p) for p in pages]
