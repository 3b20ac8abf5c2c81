"""How many generated inputs each fuzz target gets, and how many it really got.

CI runs every target with its small default count (``examples(target, ci)``), so the
suite stays fast. ``scripts/fuzz`` sets ``FUZZ_EXAMPLES`` (inputs in total, over all
targets) and the counts become that total split by ``SHARES``: the same tests, run long.

Each test calls ``tally(target)`` once per input it drives; with ``FUZZ_REPORT`` set the
totals are written there as JSON at the end of the run (tests/hardening/conftest.py), which
is how ``scripts/fuzz`` reports what ran rather than what was asked for.
"""
from __future__ import annotations

import json
import os
from collections import Counter

# Share of the total per target. Cheap pure functions get many inputs; the stateful
# conversation, whose every step runs the whole reply path, gets a large share too.
SHARES = {
    "parser.normalize": 0.05,
    "parser.parse_number": 0.05,
    "parser.parse_choice": 0.05,
    "parser.match_keyword": 0.05,
    "webhook.sms": 0.14,
    "webhook.sms_raw_bytes": 0.04,
    "webhook.unsigned": 0.06,
    "webhook.status": 0.08,
    "webhook.voice": 0.06,
    "conversation": 0.22,
    "api": 0.08,
    "content.text": 0.06,
    "content.tree": 0.06,
}
assert abs(sum(SHARES.values()) - 1) < 1e-9

_counts: Counter = Counter()


def total() -> int | None:
    """``FUZZ_EXAMPLES`` as a number, or None for the CI counts."""
    value = os.environ.get("FUZZ_EXAMPLES", "").strip()
    return int(value) if value else None


def examples(target: str, ci: int) -> int:
    """Inputs for ``target``: ``ci`` normally, its share of ``FUZZ_EXAMPLES`` in a long run."""
    grand = total()
    if grand is None:
        return ci
    return max(ci, round(grand * SHARES[target]))


def tally(target: str, n: int = 1) -> None:
    assert target in SHARES, target
    _counts[target] += n


def write_report(path: str) -> None:
    """Merge this process's counts into ``path`` (several pytest runs may share one report)."""
    merged = Counter()
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            merged.update(json.load(f))
    merged.update(_counts)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(dict(sorted(merged.items())), f, indent=1)
