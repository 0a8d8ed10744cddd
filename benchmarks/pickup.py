"""Queue pick-up after a quiet spell: the embedded worker's polling against Huey's default backoff, side by side.

    python -m benchmarks.pickup                 # idle 5, 30 and 75 s, then one task each; about 2 minutes

Two in-process consumers on two SqliteHuey files run at the same time: one as ``python app.py`` starts it
(``jobs.tasks.embedded_consumer``), one with Huey's defaults (polling from 0.1 s, backing off ×1.15 to 10 s). After
each idle spell one task is enqueued on each; printed are the polling interval the worker had reached (the worst
case of the pick-up: where in that interval the task arrives is chance) and the pick-up measured. No models: this
is the queue's share of a design submitted to a worker that had nothing to do.
"""

import argparse
import tempfile
import threading
import time
from pathlib import Path

from huey import SqliteHuey

from jobs.tasks import embedded_consumer


def consumer_pair(folder: Path):
    pairs = {}
    for name in ("embedded", "huey default"):
        huey = SqliteHuey(name.replace(" ", "-"), filename=str(folder / f"{name.replace(' ', '-')}.db"), utc=True)
        started = {}
        done = threading.Event()

        @huey.task()
        def probe(submitted, started=started, done=done):
            started["s"] = time.time() - submitted
            done.set()

        if name == "embedded":
            consumer = embedded_consumer(huey, periodic=False, check_worker_health=False)
        else:
            consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False, check_worker_health=False)
        pairs[name] = (consumer, probe, started, done)
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=float, nargs="+", default=[5, 30, 75], help="quiet spells, seconds")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        pairs = consumer_pair(Path(folder))
        for consumer, *_ in pairs.values():
            consumer.start()
        rows = []
        try:
            for idle in args.idle:
                time.sleep(idle)
                intervals = [min(consumer.worker_threads[0][0].delay, consumer.max_delay)
                             for consumer, *_ in pairs.values()]  # fmt: skip
                for _, probe, _started, done in pairs.values():
                    done.clear()
                    probe(time.time())
                for _, _, _, done in pairs.values():
                    done.wait(30)
                rows.append((idle, intervals, [pairs[name][2]["s"] for name in pairs]))
                time.sleep(1)  # the probes finish; then the next quiet spell starts from an empty queue
        finally:
            for consumer, *_ in pairs.values():
                consumer.stop(graceful=True)
    print(f"{'':>7} {'embedded (app.py)':^27} {'Huey defaults':^27}")
    print(f"{'idle s':>7} {'poll interval s':>16} {'pick-up s':>10} {'poll interval s':>16} {'pick-up s':>10}")
    for idle, (embedded_interval, default_interval), (embedded, default) in rows:
        print(f"{idle:>7.0f} {embedded_interval:>16.2f} {embedded:>10.3f} {default_interval:>16.2f} {default:>10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
