"""FastAPI dependencies shared by all routers: settings, database sessions, knowledge.

Everything here comes from what ``create_app(settings)`` put on ``app.state``;
a test overrides these dependencies (``app.dependency_overrides``) or builds the
app with its own Settings, never patches a global.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from assistant.db import session_scope
from assistant.settings import Settings
from knowledge.provider import KnowledgeProvider


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_db(settings: SettingsDep) -> Iterator[Session]:
    """A session per request; committed when the route function returns normally.

    Used with ``scope="function"`` (below): the commit runs before the response
    is sent, so a client never sees 200 for a write that is not yet committed
    (the next request sees it), and a failed commit is a 500, not a silent 200.
    """
    with session_scope(settings.effective_database_url) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def get_knowledge(request: Request) -> KnowledgeProvider:
    """The app's knowledge base (loaded on first use)."""
    knowledge: KnowledgeProvider = request.app.state.knowledge
    return knowledge


KnowledgeDep = Annotated[KnowledgeProvider, Depends(get_knowledge)]
