"""Helpers for the regression tests: a shrunk sequence replayed step by step, judged like the checker
judges (every run by the oracle, and a quiet reconcile at the end)."""

from __future__ import annotations

from tests.model import actions as a
from tests.model.world import Violation, World


def judged(w: World, *steps) -> list[Violation]:
    """Replay `steps` — (action, *args) tuples — then a quiet reconcile; return every violation."""
    for action, *args in steps:
        w.log.append(action(w, *args))
    w.log.append(a.quiet_reconcile(w))
    return w.violations


def story(w: World) -> str:
    return "\n".join([*w.log, *(f"VIOLATION {v.invariant}: {v.detail}" for v in w.violations)])
