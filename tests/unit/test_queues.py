"""A job's function must be loaded before RQ forks the work horse that runs it: otherwise every job
imports the backend again (measured with py-spy in the fleet benchmark: two thirds of a worker's time)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from backend import queues


def _not_a_job() -> None:
    pass


@pytest.mark.parametrize("func", [_not_a_job, "tests.unit.test_queues._not_a_job", "os.getcwd"])
def test_enqueue_refuses_a_function_no_worker_imports_ahead(func):
    with pytest.raises(ValueError, match="JOB_MODULES"):
        queues.enqueue(None, queues.DEFAULT, func)


def test_the_worker_loads_every_job_module_before_it_forks():
    probe = """
import json, sys
import backend.worker as worker
before = set(sys.modules)
worker.import_jobs()
loaded = set(sys.modules)
for name in worker.queues.JOB_MODULES:  # what a work horse would import: nothing is left to load
    __import__(name)
print(json.dumps({"before": sorted(before), "loaded": sorted(loaded), "after": sorted(sys.modules)}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True).stdout)
    assert "backend.sync.jobs" not in out["before"]  # `python -m backend worker` alone does not load it
    assert set(queues.JOB_MODULES) <= set(out["loaded"])
    assert out["after"] == out["loaded"]
