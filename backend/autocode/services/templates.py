"""Project templates: a few built in, and each user's own (saved from one of their projects).

A template fills a new project's description, architecture and starting plan; it is listed
when creating a project. Users see the built-in ones and their own, never anyone else's.
"""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from autocode.models import PlanStepIn, Project, ProjectTemplate, TemplateCreate, TemplatePublic, User, pk
from autocode.services.errors import Conflict, NotFound

MAX_TEMPLATES_PER_USER = 100
BUILTIN_PREFIX = "builtin-"


def _steps(*pairs: tuple[str, str]) -> list[PlanStepIn]:
    return [PlanStepIn(title=title, detail=detail) for title, detail in pairs]


BUILTIN: tuple[TemplatePublic, ...] = (
    TemplatePublic(
        id="builtin-fastapi",
        name="FastAPI service",
        summary="A JSON API in Python with FastAPI, SQLite and pytest",
        builtin=True,
        description="A small HTTP JSON API: create, list, read, update and delete items, "
        "with input validation and clear error messages.",
        architecture="Python 3.11+, FastAPI with Pydantic models, SQLite through SQLModel, "
        "uvicorn to serve, pytest with FastAPI's TestClient for tests. "
        "Layout: app/main.py (routes), app/models.py, app/db.py, tests/.",
        implementation_plan=_steps(
            (
                "Scaffold the project",
                "pyproject.toml with FastAPI, SQLModel, uvicorn, pytest; a "
                'GET /health route answering {"status": "ok"}; a test for it that passes.',
            ),
            (
                "Model and database",
                "The item model and the SQLite engine and session; a test that creates and reads an item.",
            ),
            ("CRUD routes", "POST/GET/PUT/DELETE /items with 404 and 422 answers; tests for each."),
            (
                "Run it",
                "A README section with the command to start it (uvicorn app.main:app) and "
                "an example curl call; the whole test suite passes.",
            ),
        ),
    ),
    TemplatePublic(
        id="builtin-react-vite",
        name="React + Vite app",
        summary="A single-page web app in TypeScript with React, Vite and Vitest",
        builtin=True,
        description="A single-page web app that works on a phone and a desktop.",
        architecture="TypeScript, React 19, Vite for the dev server and the build, Vitest and "
        "Testing Library for tests, plain CSS modules. No backend: state in the "
        "browser (localStorage).",
        implementation_plan=_steps(
            (
                "Scaffold the app",
                "package.json with react, react-dom, vite, typescript, vitest; "
                "index.html and src/main.tsx rendering an App; `npm run build` succeeds.",
            ),
            ("First screen", "The main screen's components with a test rendering them."),
            ("State and persistence", "The app's state kept in localStorage; a test that reloads it."),
            (
                "Polish",
                "A layout that fits 390 px and 1440 px wide; `npm test` and `npm run build` pass; "
                "README says how to start the dev server (npm run dev).",
            ),
        ),
    ),
    TemplatePublic(
        id="builtin-python-cli",
        name="Python command-line tool",
        summary="A command-line program in Python with argparse and pytest",
        builtin=True,
        description="A command-line tool that reads its input from files or standard input and "
        "prints a result, with helpful --help text and exit codes.",
        architecture="Python 3.11+, standard library only (argparse, pathlib), packaged with "
        "pyproject.toml and a console script; pytest for tests. Layout: "
        "src/<name>/cli.py (argument parsing), src/<name>/core.py (the logic), tests/.",
        implementation_plan=_steps(
            (
                "Scaffold the package",
                "pyproject.toml with a console script, src/ layout, a --version "
                "flag and a test calling main() that passes.",
            ),
            ("Core logic", "The tool's main function in core.py, pure, with table tests."),
            (
                "Command line",
                "argparse options, reading files or stdin, exit code 0 on success and 2 "
                "on bad input; tests running main() with arguments.",
            ),
            ("Document it", "README with installation (pip install -e .) and examples; all tests pass."),
        ),
    ),
)


def _public(row: ProjectTemplate) -> TemplatePublic:
    return TemplatePublic(
        id=str(row.id),
        name=row.name,
        summary=row.summary,
        builtin=False,
        description=row.description,
        architecture=row.architecture,
        implementation_plan=[
            PlanStepIn(title=str(s.get("title", ""))[:200] or "Step", detail=str(s.get("detail", ""))[:20_000])
            for s in row.plan
        ],
    )


def list_templates(session: Session, *, owner: User) -> list[TemplatePublic]:
    """The built-in templates, then the user's own (oldest first)."""
    rows = session.exec(
        select(ProjectTemplate).where(ProjectTemplate.user_id == owner.id).order_by(col(ProjectTemplate.id))
    ).all()
    return [*BUILTIN, *(_public(r) for r in rows)]


def save_from_project(session: Session, *, owner: User, project: Project, data: TemplateCreate) -> TemplatePublic:
    """A template of the user's made from one of their projects: its goal, architecture and
    plan (titles and details; what the steps did is not kept)."""
    count = len(session.exec(select(ProjectTemplate.id).where(ProjectTemplate.user_id == pk(owner))).all())
    if count >= MAX_TEMPLATES_PER_USER:
        raise Conflict(f"You have {count} templates; delete one first")
    plan = [{"title": str(s.get("title", "")), "detail": str(s.get("detail", ""))} for s in project.implementation_plan]
    row = ProjectTemplate(
        user_id=pk(owner),
        name=data.name,
        summary=data.summary,
        description=project.description,
        architecture=project.architecture,
        plan=plan,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return _public(row)


def delete_template(session: Session, *, owner: User, template_id: str) -> None:
    """Delete one of the user's templates; built-in ones stay, anyone else's is not found."""
    if template_id.startswith(BUILTIN_PREFIX):
        raise Conflict("Built-in templates cannot be deleted")
    row = session.get(ProjectTemplate, int(template_id)) if re.fullmatch(r"[0-9]{1,18}", template_id) else None
    if row is None or row.user_id != owner.id:
        raise NotFound("Template not found")
    session.delete(row)
    session.commit()
