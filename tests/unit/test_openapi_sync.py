"""The web app's API types are generated from the server's OpenAPI document: keep them in step."""

from __future__ import annotations

import json
from pathlib import Path

from autocode.app import create_app
from autocode.core.config import Settings
from autocode.ws_protocol import CloseCode

REPO = Path(__file__).resolve().parents[2]


def test_frontend_openapi_document_matches_the_server(tmp_path: Path) -> None:
    committed = json.loads((REPO / "frontend" / "openapi.json").read_text())
    current = create_app(Settings(data_dir=tmp_path)).openapi()
    assert committed == json.loads(json.dumps(current)), (
        "frontend/openapi.json is stale: run `python -m autocode.openapi > frontend/openapi.json`"
        " and `npm --prefix frontend run gen:api`"
    )


def test_operation_ids_follow_tag_and_name(tmp_path: Path) -> None:
    paths = create_app(Settings(data_dir=tmp_path)).openapi()["paths"]
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert "auth-login" in ids and "projects-start_project" in ids


def test_the_web_apps_close_codes_are_the_servers() -> None:
    """The browser's close-code maps are typed on the generated CloseCode union: a code the
    server gains fails the web app's typecheck only once the types are generated again."""
    generated = (REPO / "frontend" / "src" / "api" / "schema.d.ts").read_text()
    union = " | ".join(str(int(code)) for code in CloseCode)
    assert f"CloseCode: {union};" in generated, "run `npm --prefix frontend run gen:api`"
