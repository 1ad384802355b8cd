"""The real processes: an RQ worker subprocess runs a job the web app enqueued; the Dockerfile's
gunicorn command serves the app."""

import json
import re
import subprocess
import sys
import time

import requests

from backend import queues
from backend.__main__ import GUNICORN_ARGV
from sandbox.redis_server import free_port
from tests.conftest import ROOT


def test_job_enqueued_by_the_web_app_runs_in_a_real_worker_process(app, redis_client, subprocess_env):
    services = app.extensions["services"]
    job = queues.enqueue(services.redis, queues.DEFAULT, "backend.worker.heartbeat", "from-test")
    assert job.get_status() == "queued"

    proc = subprocess.run(
        [sys.executable, "-m", "backend", "worker", "--burst"],
        env=subprocess_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr

    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value()["note"] == "from-test"
    beat = redis_client.hgetall("worker:heartbeat")
    assert beat[b"note"] == b"from-test" and beat[b"job_id"] == job.id.encode()
    # the worker logs JSON lines
    log_lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert log_lines and all("severity" in json.loads(line) for line in log_lines)


def test_worker_refuses_unknown_queue(subprocess_env):
    proc = subprocess.run(
        [sys.executable, "-m", "backend", "worker", "--burst", "--queues", "nope"],
        env=subprocess_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and "unknown queue" in proc.stderr


def dockerfile_cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    match = re.search(r"^CMD\s+(\[.*\])\s*$", text, re.MULTILINE)
    assert match, "Dockerfile has no exec-form CMD"
    return json.loads(match.group(1))


def test_dockerfile_cmd_is_the_same_as_python_m_backend_web():
    assert dockerfile_cmd() == GUNICORN_ARGV


def test_gunicorn_command_from_the_dockerfile_serves_healthz(subprocess_env):
    port = free_port()
    env = {**subprocess_env, "PORT": str(port), "WEB_CONCURRENCY": "1"}
    proc = subprocess.Popen(
        dockerfile_cmd(), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # bound but its worker still booting
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()["status"] == "ready"
        assert (
            requests.get(f"http://127.0.0.1:{port}/nope", timeout=5).headers["Content-Type"]
            == "application/problem+json"
        )
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    # every line gunicorn and the app wrote is a JSON log line
    assert out.strip() and all(json.loads(line)["severity"] for line in out.splitlines() if line.strip())
