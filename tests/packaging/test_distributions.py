"""Production holds the backend alone: the root wheel (what the Dockerfile installs) has no sandbox code,
the Dockerfile never copies sandbox/, and backend/ never imports it. The sandbox, its own distribution,
builds into a wheel that holds every file under sandbox/.

Both wheels are built offline from a copy of the checkout (so the build leaves nothing in the tree) with
the setuptools installed beside the tests (`--no-build-isolation`).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a build could never pick up, and what a build or a test run leaves behind.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "__pycache__", "*.pyc", "*.egg-info", "build", "dist",
    "test-artifacts", ".pytest_cache", ".hypothesis", ".ruff_cache",
)  # fmt: skip


def build_wheel(source: Path, out: Path) -> list[str]:
    """The file list of the wheel pip builds from `source`."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            out,
            source,
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("checkout") / "src"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCES, symlinks=True)
    return copy


def test_the_production_wheel_holds_the_backend_and_no_sandbox(checkout, tmp_path):
    names = build_wheel(checkout, tmp_path)
    tops = {name.split("/", 1)[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"backend"}
    assert not [name for name in names if name.startswith("sandbox/") or "/sandbox/" in name]
    # The backend whole: its entry points and the data files it serves.
    for needed in ("backend/__main__.py", "backend/app.py", "backend/web/templates/oauth_page.html"):
        assert needed in names
    here = checkout / "backend"  # every file it reads at run time (store/keys.toml …), not only Python
    shipped = {f"backend/{p.relative_to(here).as_posix()}" for p in here.rglob("*") if p.is_file()}
    assert {name for name in shipped if "__pycache__" not in name} - set(names) == set()
    (top_level,) = [name for name in names if name.endswith(".dist-info/top_level.txt")]
    assert top_level.startswith("sheets_amo_sync-")


def test_the_sandbox_wheel_holds_every_file_under_sandbox(checkout, tmp_path):
    here = checkout / "sandbox"
    expected = {
        f"sandbox/{path.relative_to(here).as_posix()}"
        for path in here.rglob("*")
        if path.is_file() and path.name != "pyproject.toml"
    }
    assert "sandbox/gas/gas.js" in expected
    names = set(build_wheel(here, tmp_path))
    assert expected - names == set()
    assert any(name.startswith("sheets_amo_sandbox-") and name.endswith("/METADATA") for name in names)


def test_the_dockerfile_copies_the_backend_and_not_the_sandbox():
    dockerfile = (ROOT / "Dockerfile").read_text()
    copies = [line.split()[1:] for line in dockerfile.splitlines() if line.split()[:1] == ["COPY"]]
    sources = [source for args in copies for source in args[:-1] if not source.startswith("--")]
    assert "backend" in sources
    # Neither sandbox/ nor the whole context (which would bring sandbox/ along).
    assert not [
        source for source in sources if source.strip("./").startswith("sandbox") or source in {".", "./", "*"}
    ]
    # The build context leaves sandbox/ out as well.
    assert "sandbox" in (ROOT / ".dockerignore").read_text().split()


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or in a function, and by literal name through importlib."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def test_backend_never_imports_the_sandbox():
    files = sorted((ROOT / "backend").rglob("*.py"))
    assert len(files) > 50
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "sandbox"
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_import_check_sees_lazy_and_dynamic_imports(tmp_path):
    """The check above would catch an import hidden in a function or made by name."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import importlib\n"
        "def f():\n    from sandbox.redis_server import RedisServer\n"
        "def g():\n    return importlib.import_module('sandbox.stack')\n"
        "def h():\n    import sandbox.local as local\n"
    )
    assert {"sandbox.redis_server", "sandbox.stack", "sandbox.local"} <= imported_modules(probe)
