"""backend/sync/core is the pure part of the sync (issue 18): it imports the standard library, the two
value libraries (phonenumbers, email-validator) and itself — never Redis, HTTP, the clients or the rest of
the backend. A new I/O import there fails this test."""

from __future__ import annotations

import ast
import pathlib
import sys

CORE = pathlib.Path(__file__).resolve().parents[3] / "backend" / "sync" / "core"
ALLOWED_THIRD_PARTY = {"phonenumbers", "email_validator"}
IO_STDLIB = {"socket", "http", "urllib", "subprocess", "os", "shutil", "pathlib", "io", "time", "threading"}


def imports(path: pathlib.Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            found.add("importlib:" + ast.unparse(node.args[0]) if node.args else "importlib")
    return found


def allowed(name: str) -> bool:
    top = name.split(".")[0]
    if name == "__future__" or name.startswith("backend.sync.core"):
        return True
    if top in ALLOWED_THIRD_PARTY:
        return True
    return top in sys.stdlib_module_names and top not in IO_STDLIB


def test_the_core_folder_holds_the_pure_modules():
    names = {p.stem for p in CORE.glob("*.py")}
    assert {"model", "normalize", "mapping", "contacts", "resolve", "planner", "draft"} <= names


def test_the_core_imports_nothing_that_does_io():
    bad = {f"{p.name}: {name}" for p in sorted(CORE.glob("*.py")) for name in imports(p) if not allowed(name)}
    assert not bad, sorted(bad)


def test_the_check_catches_an_io_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("import redis\nfrom backend.store.ledger import Ledger\nimport socket\n")
    assert {n for n in imports(sample) if not allowed(n)} == {"redis", "backend.store.ledger", "socket"}
