"""What the checker ran and found in this test session, and `bench/results/integrity.json`.

Each level (planner, end_to_end) adds the sequences and actions it really ran and every violation it
found. At the end of the session (tests/model/conftest.py) the levels that ran are written into
integrity.json — a level that did not run keeps the figures of its last real run — and printed.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "integrity.json"


@dataclass
class Level:
    sequences: int = 0
    actions: int = 0
    violations: int = 0
    failing_sequences: int = 0  # sequences with at least one violation
    by_invariant: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)  # invariant -> the first sequence showing it

    def add(self, actions: int, violations, log: list[str]) -> None:
        self.sequences += 1
        self.actions += actions
        self.failing_sequences += bool(violations)
        for v in violations:
            self.violations += 1
            self.by_invariant[v.invariant] += 1
            if v.invariant not in self.examples or len(log) < len(self.examples[v.invariant]) - 1:
                self.examples[v.invariant] = [*log, f"VIOLATION {v.invariant}: {v.detail}"]

    def to_json(self) -> dict:
        return {
            "sequences": self.sequences,
            "actions": self.actions,
            "violations": self.violations,
            "failing_sequences": self.failing_sequences,
            "by_invariant": dict(sorted(self.by_invariant.items())),
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }


LEVELS: dict[str, Level] = {}


def level(name: str) -> Level:
    return LEVELS.setdefault(name, Level())


def write(path: Path = RESULTS) -> dict:
    """Merge the levels that ran into integrity.json; return what the file now holds."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    for name, lv in LEVELS.items():
        if lv.sequences:
            data[name] = lv.to_json()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return data


def dump() -> dict:
    """This process's levels, for a pytest-xdist worker to hand to the controller (`merge`)."""
    return {name: {**asdict(lv), "by_invariant": dict(lv.by_invariant)} for name, lv in LEVELS.items()}


def merge(dumped: dict) -> None:
    """Add a worker's levels to this process's (the controller reports the sum)."""
    for name, d in dumped.items():
        lv = level(name)
        for count in ("sequences", "actions", "violations", "failing_sequences"):
            setattr(lv, count, getattr(lv, count) + d[count])
        lv.by_invariant.update(d["by_invariant"])
        for invariant, steps in d["examples"].items():
            if invariant not in lv.examples or len(steps) < len(lv.examples[invariant]):
                lv.examples[invariant] = steps
