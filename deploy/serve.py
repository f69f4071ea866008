"""``./serve.sh``: the production layout on this machine until Ctrl-C (docs/deployment.md).

Reads HTTP_PROCESSES (default: one per core), WS_PROCESSES (1), HTTP_WORKER_THREADS (4), PORT
(8000) and HOST (127.0.0.1) from the environment; everything else (DATABASE_URL, REDIS_URL, ...)
passes to the servers as it is. Stops everything, and exits non-zero, if any process dies.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from deploy.layout import ROOT, run_layout


class Stop(Exception):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def main() -> int:
    http_processes = int(os.environ.get("HTTP_PROCESSES") or os.cpu_count() or 1)
    ws_processes = int(os.environ.get("WS_PROCESSES") or 1)
    threads = int(os.environ.get("HTTP_WORKER_THREADS") or 4)
    port = int(os.environ.get("PORT") or 8000)
    host = os.environ.get("HOST") or "127.0.0.1"
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    workdir = ROOT / ".serve"
    try:
        with run_layout(
            http_processes=http_processes,
            ws_processes=ws_processes,
            threads=threads,
            port=port,
            host=host,
            celery_worker=True,
            celery_beat=True,
            workdir=workdir,
        ) as layout:
            shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
            print(
                f"\n  twitterclone (production layout) is up on http://{shown}:{port}/api/v1/\n"
                f"    nginx -> {http_processes} granian process(es) x {threads} threads, "
                f"{ws_processes} daphne process(es), a Celery worker and beat\n"
                f"    logs in {workdir}/*.log; Ctrl-C stops everything\n",
                flush=True,
            )
            while True:
                for process in layout.processes:
                    if process.popen.poll() is not None:
                        print(
                            f"{process.name} exited with {process.popen.returncode}: stopping "
                            f"(see {workdir / (process.name + '.log')})",
                            file=sys.stderr,
                        )
                        return 1
                time.sleep(1)
    except Stop as stop:
        print(f"{stop}: stopping", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
