"""The planner is pure: its whole import closure is the standard library and pure sync modules."""

import ast
import sys
from pathlib import Path

import backend.sync

SYNC = Path(backend.sync.__file__).parent
PURE = {"model", "resolve", "draft", "contacts", "planner"}
FORBIDDEN = ("flask", "redis", "requests", "googleapiclient", "rq", "google", "backend.store", "backend.web")


def imports_of(module: str) -> set[str]:
    tree = ast.parse((SYNC / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_planner_imports_only_pure_modules_and_the_standard_library():
    seen, todo = set(), ["planner"]
    while todo:
        module = todo.pop()
        seen.add(module)
        for name in imports_of(module):
            if name.startswith("backend.sync."):
                sub = name.rsplit(".", 1)[1]
                assert sub in PURE, f"{module} imports {name}, which is not a pure planner module"
                if sub not in seen:
                    todo.append(sub)
            else:
                top = name.split(".")[0]
                assert top == "__future__" or top in sys.stdlib_module_names, f"{module} imports {name}"
                assert not name.startswith(FORBIDDEN)
    assert seen == PURE
