"""Rasa's action webhook, served by rasa-sdk's ``ActionExecutor`` inside FastAPI.

Only Rasa may call it: every request must carry the shared action token
(``Authorization: Bearer …``, written into Rasa's endpoints.yml by
``assistant.rasa_project``). The token is checked before the body is read, so
a forged call runs nothing and writes nothing.

Actions do blocking database and knowledge work, so they run in a small pool
of worker threads, each with its own event loop, never on the app's loop (which
also paces live call audio). Several actions run at once, one per thread.
The runner belongs to the app and binds the app's ``ActionContext`` around each
call (see ``actions.context``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import ujson
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)

from actions.context import ActionContext, bind
from assistant.deps import SettingsDep

logger = logging.getLogger(__name__)


def require_action_token(
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """401 unless the request carries the action token (compared in constant time)."""
    scheme, _, token = (authorization or "").partition(" ")
    expected = settings.action_token.encode()
    if (
        not expected
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(token.strip().encode(), expected)
    ):
        logger.warning("action webhook call without a valid token refused")
        raise HTTPException(
            status_code=401,
            detail="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(
    tags=["rasa"], dependencies=[Depends(require_action_token)], include_in_schema=False
)


class InvalidActionCall(ValueError):
    """The body of an action call is not a JSON object."""


class ActionRunner:
    """Runs ``ActionExecutor.run`` in worker threads, each with its own event loop.

    Built with the app's ``ActionContext`` (its Settings and knowledge base) and
    binds it around every call, so actions read the app's dependencies through
    ``actions.context.current()`` rather than a process-wide global.
    """

    def __init__(self, context: ActionContext, threads: int) -> None:
        self.context = context
        self.executor = ActionExecutor()
        self.executor.register_package("actions")
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, threads), thread_name_prefix="actions"
        )
        self._local = threading.local()

    def _run_here(self, body: bytes) -> bytes:
        try:
            action_call = ujson.loads(body)
        except ValueError as exc:
            raise InvalidActionCall(str(exc)) from exc
        if not isinstance(action_call, dict):
            raise InvalidActionCall("an action call is a JSON object")
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
        with bind(self.context):
            result = loop.run_until_complete(self.executor.run(action_call))
        answer = result.model_dump() if result else None
        try:
            return ujson.dumps(answer, ensure_ascii=False).encode()
        except TypeError:  # a value ujson does not know (a date, say)
            return ujson.dumps(jsonable_encoder(answer), ensure_ascii=False).encode()

    async def run(self, body: bytes) -> bytes:
        """Run one action call (its JSON body) off the caller's event loop.

        The call carries the domain and the conversation's recent events, often
        50 KB or more: decoding it and encoding the answer happen in the worker
        thread too, so the app's event loop (chat turns, live call audio) is
        never held up by them.

        Raises:
            InvalidActionCall: the body is not a JSON object.
        """
        running = asyncio.get_running_loop()
        return await running.run_in_executor(self._pool, self._run_here, body)

    def close(self) -> None:
        """Stop taking work; running actions finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def get_runner(request: Request) -> ActionRunner:
    """The app's action runner (made on first use, closed with the app)."""
    state = request.app.state
    runner: ActionRunner | None = getattr(state, "action_runner", None)
    if runner is None:
        context = ActionContext(state.settings, state.knowledge)
        runner = state.action_runner = ActionRunner(
            context, state.settings.action_threads
        )
    return runner


def close_runner(app: FastAPI) -> None:
    """Close the app's runner, if one was made; the next request makes a new one."""
    runner: ActionRunner | None = getattr(app.state, "action_runner", None)
    if runner is not None:
        runner.close()
        app.state.action_runner = None


RunnerDep = Annotated[ActionRunner, Depends(get_runner)]


@router.post("/webhook")
async def run_action(request: Request, runner: RunnerDep) -> Any:
    """Run one custom action for the Rasa server."""
    try:
        answer = await runner.run(await request.body())
    except InvalidActionCall:
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
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
    return Response(answer, media_type="application/json")


@router.get("/actions")
def list_actions(runner: RunnerDep) -> list[dict[str, str]]:
    """Names of the registered custom actions (Rasa's ``/actions`` endpoint)."""
    return [{"name": name} for name in runner.executor.actions]
