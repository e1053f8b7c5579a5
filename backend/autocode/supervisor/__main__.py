"""`python -m autocode.supervisor <instance-id>`: the supervisor process of one project.

The server writes the settings and this project's decrypted credentials on stdin
(:mod:`autocode.supervisor.boot`); nothing is read from the environment, and the master secret
is never known here.
"""

from __future__ import annotations

import logging
import os
import sys

from autocode.core import db
from autocode.runtime import runtime_for
from autocode.supervisor import boot
from autocode.supervisor.loop import Supervisor


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m autocode.supervisor <instance-id>  (boot message on stdin)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings, credentials = boot.read(sys.stdin.buffer)
    except ValueError as exc:
        print(f"supervisor: {exc}", file=sys.stderr)
        return 2
    # The pipe is done with: nothing we start inherits it.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    engine = db.make_engine(settings.database_url)
    runtime = runtime_for(settings)
    supervisor = Supervisor(
        settings=settings,
        engine=engine,
        credentials=credentials,
        runtime=runtime,
        instance_id=int(argv[0]),
    )
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
