"""The FastAPI app factory: routers per connector, shared clients in the lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import actions_webhook, health
from assistant.db import upgrade_database
from assistant.deployment import check_deployment
from assistant.health import knowledge_status
from assistant.ratelimit import RateLimiter
from assistant.settings import Settings, get_settings
from assistant.worker import start_workers
from connectors import telephone, webchat
from connectors.staff import audit as staff_audit
from connectors.staff import auth as staff_auth
from connectors.staff import broadcasts as staff_broadcasts
from connectors.staff import callbacks as staff_callbacks
from connectors.staff import elders as staff_elders
from connectors.staff import emergencies as staff_emergencies
from connectors.staff import meals as staff_meals
from connectors.staff import outbox as staff_outbox
from connectors.staff import pages as staff_pages
from connectors.staff import search as staff_search
from connectors.staff import station_facts as staff_station_facts
from connectors.staff.origin import SameOriginGuard
from connectors.webchat import messages as webchat_messages
from connectors.webchat.identity import ChatSessionMiddleware
from knowledge.provider import KnowledgeProvider

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    upgrade_database(settings.effective_database_url)
    app.state.http = httpx.AsyncClient(timeout=settings.rasa_timeout_s)
    workers = start_workers(settings) if settings.run_workers else None
    app.state.workers = workers  # their heartbeats show in /health
    if knowledge_status(settings)["ok"]:
        # Load the model and index now, off the event loop, so the first policy
        # question does not wait ~10 s; requests meanwhile wait on its lock.
        asyncio.get_running_loop().run_in_executor(
            None, _preload_knowledge, app.state.knowledge
        )
    try:
        yield
    finally:
        if workers is not None:
            await workers.stop()
        actions_webhook.close_runner(app)
        staff_tts = getattr(app.state, "staff_tts", None)
        if staff_tts is not None:
            staff_tts.close()
        await app.state.http.aclose()


def _preload_knowledge(knowledge: KnowledgeProvider) -> None:
    try:
        knowledge.get()
    except Exception:  # the answer path reports it again, per question
        logger.exception("knowledge base could not be preloaded")


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's error response, with the too-large body explained in Chinese."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 413:
        exc = StarletteHTTPException(413, detail=webchat_messages.BODY_TOO_LARGE)
    return await http_exception_handler(request, exc)


async def _out_of_range(request: Request, exc: Exception) -> Response:
    """A number the database cannot hold (an id like 10**24) is bad input, not a crash."""
    logger.info("request value out of the database's range: %s", type(exc).__name__)
    return JSONResponse(
        status_code=422,
        content={"detail": webchat_messages.OUT_OF_RANGE},
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (the environment's, when uvicorn calls the factory).

    The app installs them on ``app.state`` with its knowledge base; routes get both
    through ``assistant.deps`` and actions through ``actions.context``.
    """
    settings = settings or get_settings()
    check_deployment(settings)
    app = FastAPI(
        title="长者服务助手",
        version="0.1.0",
        lifespan=lifespan,
        # Counted while reading, chunked uploads included (FastAPI's own limiter).
        max_body_size=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.state.knowledge = KnowledgeProvider(settings)
    app.add_middleware(SameOriginGuard, public_url=settings.public_url)
    app.state.limiter = RateLimiter(settings.rate_limit_storage_url)
    app.add_middleware(
        ChatSessionMiddleware, settings=settings, limiter=app.state.limiter
    )
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OverflowError, _out_of_range)  # SQLite
    app.add_exception_handler(DataError, _out_of_range)  # PostgreSQL

    app.include_router(health.router)
    app.include_router(actions_webhook.router)
    app.include_router(webchat.router)
    app.include_router(staff_auth.router)
    app.include_router(staff_pages.router)
    app.include_router(staff_elders.router)
    app.include_router(staff_emergencies.router)
    app.include_router(staff_outbox.router)
    app.include_router(staff_search.router)
    app.include_router(staff_station_facts.router)
    app.include_router(staff_broadcasts.router)
    app.include_router(staff_meals.router)
    app.include_router(staff_callbacks.router)
    app.include_router(staff_audit.router)
    app.include_router(telephone.router)
    app.mount("/static", StaticFiles(directory=webchat.STATIC_DIR), name="chat-static")
    app.mount(
        "/staff/static",
        StaticFiles(directory=staff_pages.STATIC_DIR),
        name="staff-static",
    )
    return app
