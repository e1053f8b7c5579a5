"""A saved row's id is an int; asking an unsaved row for one is a bug that says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, create_engine

from autocode.models import User, pk


def test_a_saved_rows_id_and_an_unsaved_rows_error(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'pk.db'}")
    SQLModel.metadata.create_all(engine)
    user = User(username="alice", password_hash="x")
    with pytest.raises(ValueError, match="User is not saved yet"):
        pk(user)
    with Session(engine) as session:
        session.add(user)
        session.commit()
        session.refresh(user)
        assert pk(user) == user.id and isinstance(pk(user), int)
    engine.dispose()
