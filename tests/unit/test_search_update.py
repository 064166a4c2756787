"""A block of the search index updated where pages changed is the block made afresh."""

from __future__ import annotations

import random

from octavo.writers.web_search import Indexed, _merge, _update

WORDS = ["alpha", "beta", "gamma", "delta", "wife", "office", "dinner", "church", "naïve", "𝔘nicode", "10", "1660"]


def page(rng: random.Random, number: int, sections: int) -> Indexed:
    return [((number, f"s{n}" if n else "", f"Heading {n}" if n else ""),
             rng.sample(WORDS, rng.randint(0, len(WORDS)))) for n in range(sections)]


def test_updated_blocks_equal_merged_ones() -> None:
    rng = random.Random(7)
    for _ in range(300):
        count = rng.randint(1, 6)
        sections = [rng.randint(1, 3) for _ in range(count)]
        pages = [page(rng, n, sections[n]) for n in range(count)]
        keys = tuple(f"k{n}" for n in range(count))
        merged = _merge(keys, pages)
        for _ in range(3):
            changed = {n: page(rng, n, sections[n] if rng.random() < 0.8 else rng.randint(1, 3))
                       for n in rng.sample(range(count), rng.randint(1, count))}
            new_keys = tuple(f"{key}+" if n in changed else key for n, key in enumerate(keys))
            pages = [changed.get(n, p) for n, p in enumerate(pages)]
            updated = _update(merged, new_keys, changed)
            fresh = _merge(new_keys, pages)
            if any(len(changed[n]) != sections[n] for n in changed):
                assert updated is None, "a page whose sections changed in number moves the others'"
                merged = fresh
            else:
                assert updated is not None and updated.json() == fresh.json()
                assert updated.heads == fresh.heads and dict(updated.postings) == dict(fresh.postings)
                merged = updated
            keys, sections = new_keys, [len(p) for p in pages]
