"""Rasa's action webhook, served by rasa-sdk's ``ActionExecutor`` inside FastAPI."""

from __future__ import annotations

import functools
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["rasa"])


@functools.cache
def get_executor() -> ActionExecutor:
    """The executor with every action in the ``actions`` package registered."""
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


@router.post("/webhook", include_in_schema=False)
async def run_action(request: Request) -> Any:
    """Run one custom action for the Rasa server."""
    try:
        action_call = await request.json()
    except ValueError:
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    if not isinstance(action_call, dict):
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    try:
        result = await get_executor().run(action_call)
    except ActionExecutionRejection as exc:
        return JSONResponse(
            {"error": exc.message, "action_name": exc.action_name}, status_code=400
        )
    except ActionNotFoundException as exc:
        logger.error("action not found: %s", exc.action_name)
        return JSONResponse(
            {"error": exc.message, "action_name": exc.action_name}, status_code=404
        )
    except ActionMissingDomainException as exc:
        return JSONResponse(
            {"error": exc.message, "action_name": exc.action_name}, status_code=449
        )
    return result.model_dump() if result else None


@router.get("/actions", include_in_schema=False)
def list_actions() -> list[dict[str, str]]:
    """Names of the registered custom actions (Rasa's ``/actions`` endpoint)."""
    return [{"name": name} for name in get_executor().actions]
