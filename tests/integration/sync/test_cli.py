"""`python -m backend sync CONNECTION_ID [--preview] [--yes]`: the operator's foreground sync."""

from backend import cli_sync
from tests.integration.sync.messy import HEADERS


def test_preview_then_run_then_guard(make_stack, capsys, monkeypatch):
    rows = [[f"Person {i}", f"8 912 000-02-{i:02d}", f"q{i}@x.ru", str(10 + i), ""] for i in range(10)]
    stack = make_stack(rows, HEADERS)
    for name, value in stack.backend.env.items():  # the operator's shell has the service's environment
        monkeypatch.setenv(name, value)
    assert cli_sync.run(stack.connection_id, preview=True, yes=False) == 0
    out = capsys.readouterr().out
    assert '"create": 10' in out and not stack.leads()
    assert cli_sync.run(stack.connection_id, preview=False, yes=False) == 0
    out = capsys.readouterr().out
    assert '"leads_created": 10' in out and "amoCRM calls:" in out and len(stack.leads()) == 10
    stack.edit("Leads!D2:D8", [["5"]] * 7)  # 7 of 10 rows: the guard stops it
    assert cli_sync.run(stack.connection_id, preview=False, yes=False) == 3
    assert "guard share_of_rows" in capsys.readouterr().out
    assert sorted(x["price"] for x in stack.leads()).count(5) == 0
    assert cli_sync.run(stack.connection_id, preview=False, yes=True) == 0
    assert sorted(x["price"] for x in stack.leads()).count(5) == 7
