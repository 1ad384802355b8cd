"""Every gcloud command in docs/deploy.md uses only flags gcloud documents for that command.

The table (`gcloud_flags.json`, beside this test) holds each command's flags as its reference page lists
them, with the page's address; a command missing from the table fails too, so a new command comes with
its page. A wrong flag (`--aof-append-fsync` on `gcloud redis instances create`, a worker-pool flag of an
old release) fails here instead of in the reader's terminal.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = json.loads((Path(__file__).parent / "gcloud_flags.json").read_text())
DEPLOY = ROOT / "docs" / "deploy.md"


def shell_lines(markdown: str) -> list[str]:
    """The logical lines (backslash continuations joined) of every ```sh block."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, re.DOTALL):
        lines += block.replace("\\\n", " ").splitlines()
    return lines


def gcloud_commands(markdown: str) -> list[list[str]]:
    """Each gcloud invocation as words: at the start of a line, after `$(`, `;`, `&&` or `|`."""
    found = []
    for line in shell_lines(markdown):
        for m in re.finditer(r"(?:^|\$\(|;|&&|\|)\s*(gcloud\s[^)#;|&]*)", line):
            found.append(shlex.split(m.group(1)))
    return found


def command_of(words: list[str]) -> str:
    """The longest command path in the table that the words start with."""
    path = [w for w in words[1:] if not w.startswith("-")]
    for n in range(len(path), 0, -1):
        if " ".join(path[:n]) in TABLE["commands"]:
            return " ".join(path[:n])
    raise AssertionError(f"`gcloud {' '.join(path[:4])}` is not in gcloud_flags.json: add it with its page")


def flags_of(words: list[str]) -> list[str]:
    return [w.split("=", 1)[0] for w in words if w.startswith("--")]


COMMANDS = gcloud_commands(DEPLOY.read_text())


def test_the_guide_has_its_commands():
    paths = {command_of(c) for c in COMMANDS}
    assert {"memorystore instances create", "run deploy", "beta run worker-pools deploy"} <= paths
    assert len(COMMANDS) >= 30


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w[:4]))
def test_each_flag_is_documented_for_its_command(words):
    command = command_of(words)
    known = set(TABLE["commands"][command]["flags"]) | set(TABLE["global"]["flags"])
    unknown = [f for f in flags_of(words) if f not in known]
    assert unknown == [], f"gcloud {command}: {unknown} not in {TABLE['commands'][command]['source']}"


def test_every_command_in_the_table_names_its_reference_page():
    for name, entry in TABLE["commands"].items():
        assert entry["source"].startswith("https://"), name
        assert entry["flags"] == sorted(set(entry["flags"]), key=entry["flags"].index), name


def test_the_checker_catches_what_the_old_guide_had():
    old = (
        "```sh\ngcloud redis instances create amo-sync --region=r --persistence-mode=aof "
        "--aof-append-fsync=everysec\n```"
    )
    words = gcloud_commands(old)[0]
    with pytest.raises(AssertionError):
        command_of(words)  # not a documented command of this guide: it would need its page first
    TABLE["commands"]["redis instances create"] = {
        "source": "https://cloud.google.com/sdk/gcloud/reference/redis/instances/create",
        "flags": ["--persistence-mode", "--rdb-snapshot-period", "--rdb-snapshot-start-time", "--region"],
    }
    try:
        known = set(TABLE["commands"][command_of(words)]["flags"])
        assert [f for f in flags_of(words) if f not in known] == ["--aof-append-fsync"]
    finally:
        del TABLE["commands"]["redis instances create"]


def test_comma_lists_in_env_vars_use_gcloud_delimiter_escaping():
    for words in COMMANDS:
        for w in words:
            if w.startswith("--set-env-vars="):
                value = w.split("=", 1)[1]
                assert value.startswith("^@^") or value.startswith("$ENV"), w
    env = re.search(r'^ENV="(.*?)"$', DEPLOY.read_text().replace("\\\n", ""), re.MULTILINE | re.DOTALL)
    assert (
        env
        and env.group(1).startswith("^@^")
        and "GOOGLE_OAUTH_CLIENT_IDS=<ADDON_OAUTH_CLIENT_ID>," in env.group(1)
    )


def test_no_worker_runs_as_a_service_and_gen2_memory_is_at_least_512mi():
    text = DEPLOY.read_text()
    assert "--no-cpu-throttling" not in text
    for words in COMMANDS:
        for w in words:
            if w.startswith("--memory="):
                value = w.split("=", 1)[1]
                mib = int(value[:-2]) * (1024 if value.endswith("Gi") else 1)
                assert mib >= 512, words
