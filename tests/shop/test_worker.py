"""A task sent to the broker runs in a separate worker process (the embedded broker here,
Redis when CELERY_BROKER_URL says so)."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from shop.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


def test_a_task_runs_in_a_real_worker_process(tmp_path):
    # given: a worker process on the configured broker
    # A queue of its own, so that this worker takes no other task and no other worker this one.
    queue = f"ping-{os.getpid()}"
    env = {**os.environ, "VAR_DIR": str(settings.VAR_DIR)}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker = tmp_path / "pid"
    try:
        # when
        ping.apply_async((str(marker),), queue=queue)
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        # then
        assert marker.exists(), "the worker did not run the task within 60 s"
        assert int(marker.read_text()) == worker.pid
        assert worker.pid != os.getpid()
    finally:
        worker.kill()
        worker.wait(timeout=30)
