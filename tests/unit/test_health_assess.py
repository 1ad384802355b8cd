"""The Health screen's verdicts from the state the stores hold (pure: `activity_api.assess`)."""

from backend.web.activity_api import State, assess

NOW = 1_800_000_000.0
GOOD = State(True, "active", NOW - 60, "ok", "", NOW - 86400, 0, 1.5)


def test_all_good_says_so_and_asks_nothing():
    h = assess(GOOD, NOW)
    assert all(item["ok"] and item["action"] == "" for item in h.values())
    assert h["backlog"] | {} == {
        **h["backlog"],
        "queued": 0,
        "estimate_s": 0,
        "detail": "Nothing is waiting.",
    }


def test_each_problem_comes_with_its_action():
    from dataclasses import replace

    h = assess(
        replace(GOOD, webhook="missing", amo_answered_at=NOW - 3 * 3600, refreshed_at=NOW - 70 * 86400), NOW
    )
    assert h["webhook"]["action"] == "Reconnect amoCRM to register it."
    assert h["amo"]["detail"] == "amoCRM last answered 3 h ago." and "Sync now" in h["amo"]["action"]
    assert h["token"]["detail"] == "The grant was last refreshed 70 days ago." and h["token"]["action"]
    slow = assess(replace(GOOD, queued=12, run_s=90.0), NOW)["backlog"]
    assert not slow["ok"] and slow["detail"] == "12 changes queued, about 90 s." and slow["action"]
    quick = assess(replace(GOOD, queued=1, run_s=2.6), NOW)["backlog"]
    assert quick["ok"] and quick["detail"] == "1 change queued, about 3 s."


def test_without_amocrm_every_item_says_connect_it():
    from dataclasses import replace

    h = assess(replace(GOOD, account=False), NOW)
    assert {h[k]["action"] for k in ("webhook", "amo", "token")} == {"Connect amoCRM from the sidebar."}
