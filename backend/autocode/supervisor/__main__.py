"""`python -m autocode.supervisor <instance-id>`: the supervisor process of one project."""

from __future__ import annotations

import logging
import sys

from autocode.core import db
from autocode.core.config import Settings
from autocode.core.security import Keys, load_master_secret
from autocode.core.context import runtime_for
from autocode.supervisor.loop import Supervisor


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m autocode.supervisor <instance-id>", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    engine = db.make_engine(settings.database_url)
    runtime = runtime_for(settings)
    supervisor = Supervisor(
        settings=settings,
        engine=engine,
        keys=Keys.from_master(load_master_secret(settings)),
        runtime=runtime,
        instance_id=int(argv[0]),
    )
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
