"""Issue 18 (info): SIGKILL of the `huey_consumer` master left its `-k process` workers running and consuming.
The real consumer command as in docker-compose.yml, on the SqliteHuey queue of a temp DATA_DIR."""
from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path

from tests.production.stack import kill_group, service_env, start_process, wait_for


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie is dead, only not reaped yet
    except OSError:
        return False


def test_workers_die_with_a_killed_consumer(tmp_path: Path):
    env = service_env({"DATA_DIR": tmp_path / "data", "MODELS_DIR": tmp_path / "no-models",
                       "QUEUE_NAME": f"orphans-{uuid.uuid4().hex[:6]}", "REQUIRE_MODELS": "false"})
    log = tmp_path / "consumer.log"
    proc = start_process([sys.executable, "-m", "huey.bin.huey_consumer", "jobs.huey", "-k", "process", "-w", "2",
                          "-g", "TERM", "-t", "30"], env=env, log_path=log)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    try:
        workers = wait_for(lambda: {int(p) for p in children.read_text().split()} if children.exists() else None,
                             timeout=60, what="the consumer's worker processes",
                             details=lambda: log.read_text(errors="replace")[-2000:])
        workers = wait_for(lambda: (lambda w: w if len(w) >= 2 else None)(
            {int(p) for p in children.read_text().split()}), timeout=30, what="both workers")
        time.sleep(1.0)  # their startup hooks have run
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        left = wait_for(lambda: not any(_alive(pid) for pid in workers) or None, timeout=10,
                          what="the workers to end with their master",
                          details=lambda: str({pid: _alive(pid) for pid in workers}))
        assert left
    finally:
        kill_group(proc)
