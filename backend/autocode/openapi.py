"""Print the OpenAPI document (the PWA generates its API types from it)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from autocode.app import create_app
from autocode.core.config import Settings


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp)))
        print(json.dumps(app.openapi(), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
