"""Fixes for costs a profile of the Rasa server under load found (issue 10).

Rasa 3.6 checks each custom action's answer with ``jsonschema.validate(result,
schema)``. That function first validates the *schema itself* against its
meta-schema, on every call, and builds a new validator: with jsonschema 4.17
that was half of the Rasa server's CPU time under the chat load (~35 ms per
turn, more for form turns, which call the action server twice). The schema is
a constant, so it is checked once here and the compiled validator is reused:
the same answers pass and fail, with the same error messages. A valid answer
is checked quickly, each event against the schema of its own type only.

Rasa 3.6 also opens a new HTTP client session, and so a new TCP connection,
for every call to the action server (``EndpointConfig.request`` does ``async
with self.session()``), and closes it after the answer: ~10% of its CPU under
load, and as much again in the app accepting connections. Here each endpoint
keeps one aiohttp session (keep-alive connections, same headers, auth and
timeout) for the life of the server's event loop, and encodes the call (the
tracker's events, the domain) with ujson: the payload encoding was another 10%.

Each action call carries the session's events: only those of the last few
user turns are sent now, so a call no longer grows with the conversation. The
domain goes with a call only when the action server asks for it (rasa-sdk's
domain digest), not with every call.

Rasa runs its model's graph through dask's synchronous scheduler several times
a turn; here it is run directly, each needed node once (13% of a message's
NLU time was dask's bookkeeping). Every dialogue test goes through these fixes
on a real Rasa server.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import functools
from dataclasses import dataclass
from typing import Any

import ujson

_APPLIED = False


@functools.lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate does on every call
    return cls(schema)


@dataclass(frozen=True)
class _EventValidators:
    """The response schema split by event type, for the quick check of a valid answer.

    Rasa's schema checks each event against ``oneOf`` 23 event schemas, one per
    ``event`` name (``const``), so every event is tried against all 23: still
    ~2 ms per answer, 6% of the Rasa server's CPU under load. Exactly one of
    them can match an event's name, so "``oneOf`` holds" is the same as "the
    schema for its name holds", which is all this checks.
    """

    outer: Any  # the response with events' items unchecked
    by_event: dict[str, Any]  # event name -> validator of one such event

    def is_valid(self, result: Any) -> bool:
        if not self.outer.is_valid(result) or not isinstance(result, dict):
            return False
        for event in result.get("events") or ():
            name = event.get("event") if isinstance(event, dict) else None
            check = self.by_event.get(name) if isinstance(name, str) else None
            if check is None or not check.is_valid(event):
                return False
        return True


@functools.lru_cache(maxsize=1)
def _event_validators() -> _EventValidators | None:
    """Split validators, or None if the schema is not shaped as expected."""
    full = _action_result_validator()
    schema = full.schema
    try:
        item = schema["properties"]["events"]["items"]
        variants = item["oneOf"]
        names = [v["properties"]["event"]["const"] for v in variants]
    except (KeyError, TypeError):
        return None
    if len(set(names)) != len(names):
        return None  # two schemas for one name: oneOf must see both
    cls = type(full)
    base = {k: v for k, v in item.items() if k != "oneOf"}
    outer = copy.deepcopy(schema)
    outer["properties"]["events"]["items"] = {}
    return _EventValidators(
        outer=cls(outer),
        by_event={
            n: cls({"allOf": [base, v]}) for n, v in zip(names, variants, strict=True)
        },
    )


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with compiled validators.

    A valid answer passes the quick check by event type; anything else goes
    through the full schema, which raises the same error as Rasa's own check.
    """
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    quick = _event_validators()
    if quick is not None and quick.is_valid(result):
        return True
    error: ValidationError | None = best_match(
        _action_result_validator().iter_errors(result)
    )
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        "For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _run_graph(
    self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
) -> dict[str, Any]:
    """``DaskGraphRunner.run`` without dask: each needed node once, in order.

    Rasa runs its graph (the NLU pipeline, the policies) through dask's
    synchronous scheduler several times per turn; for a graph of a dozen nodes
    in one thread, the scheduler's bookkeeping cost as much as a featurizer.
    Each node is called here with its parents' outputs, as dask would, and the
    minimal graph for a set of targets is worked out once.
    """
    from rasa.engine.exceptions import GraphRunError

    run_targets = list(targets or self._graph_schema.target_names)
    minimal = self.__dict__.setdefault("_assistant_minimal", {})
    key = tuple(run_targets)
    if key not in minimal:
        minimal[key] = self._build_dask_graph(
            self._graph_schema.minimal_graph_schema(run_targets)
        )
    graph = dict(minimal[key])
    if inputs:
        self._add_inputs_to_graph(inputs, graph)
    done: dict[str, Any] = {}

    def output(name: str) -> Any:
        if name not in done:
            node, *needs = graph[name]
            done[name] = (
                node(*(output(n) if n in graph else n for n in needs))
                if callable(node)
                else graph[name]  # an input: (name, value), as dask passes it
            )
        return done[name]

    try:
        return dict(output(t) for t in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


# How far back the action server sees the conversation's events. Slots, the
# latest message and the active form are sent whole, computed from every event;
# the actions (and rasa-sdk's forms) only walk back a turn or two.
RECENT_USER_TURNS = 8


def recent_events(events: Any, user_turns: int = RECENT_USER_TURNS) -> list[Any]:
    """The events from the ``user_turns``-th last user message on (all if fewer)."""
    from rasa.shared.core.events import UserUttered

    seen, start = 0, 0
    listed = list(events)
    for index in range(len(listed) - 1, -1, -1):
        if isinstance(listed[index], UserUttered):
            seen += 1
            if seen == user_turns:
                start = index
                break
    return listed[start:]


def _action_call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
    """``RemoteAction._action_call_format`` with the recent events only.

    Rasa sends every event of the session with each action call, so the call
    grew with the conversation (a long chat's calls were 100 KB and more, and
    decoding them was 16% of the app's CPU under load). The tracker's state is
    otherwise the same.
    """
    import rasa
    from rasa.shared.core.trackers import EventVerbosity

    tracker_state = tracker.current_state(EventVerbosity.NONE)
    tracker_state["events"] = [e.as_dict() for e in recent_events(tracker.events)]
    result = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": tracker_state,
        "version": rasa.__version__,
        "domain_digest": domain_digest(domain),
    }
    if _SEND_DOMAIN.get():  # asked for: rasa-sdk runs no action without it
        result["domain"] = domain.as_dict()
    return result


# Set while an action call is repeated because the action server had no domain.
_SEND_DOMAIN: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "assistant_send_domain", default=False
)
MISSING_DOMAIN = 449  # rasa-sdk's answer to a digest it holds no domain for


def domain_digest(domain: Any) -> str:
    """The domain's fingerprint, worked out once per loaded domain (it takes ~8 ms)."""
    digest = domain.__dict__.get("_assistant_digest")
    if digest is None:
        digest = domain.__dict__["_assistant_digest"] = domain.fingerprint()
    return str(digest)


_remote_action_run: Any = None


async def _run_remote_action(self: Any, *args: Any, **kwargs: Any) -> Any:
    """``RemoteAction.run`` that sends the domain only when the action server asks.

    The domain is 34 KB of JSON, more than half of every action call, and the
    same on every call. rasa-sdk keeps the last domain it was sent with its
    digest and answers 449 to a call whose digest it holds no domain for (a
    restarted or new app worker); that call is repeated once with the domain.
    """
    try:
        return await _remote_action_run(self, *args, **kwargs)
    except Exception as exc:
        if getattr(exc.__cause__, "status", None) != MISSING_DOMAIN:
            raise
    token = _SEND_DOMAIN.set(True)
    try:
        return await _remote_action_run(self, *args, **kwargs)
    finally:
        _SEND_DOMAIN.reset(token)


class _Borrowed:
    """``async with`` over a shared session without closing it afterwards."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        return None


def _shared_session(self: Any) -> _Borrowed:
    """``EndpointConfig.session`` that hands out one long-lived session per loop."""
    loop = asyncio.get_running_loop()
    held = getattr(self, "_assistant_session", None)
    if held is None or held[0] is not loop or held[1].closed:
        held = (loop, _new_session(self))
        self._assistant_session = held
    return _Borrowed(held[1])


def _new_session(config: Any) -> Any:
    """The session ``EndpointConfig.session`` makes, encoding JSON with ujson.

    The action call carries the conversation's events: ujson (Rasa's own
    dependency, sanic uses it) encodes them several times faster than json.
    """
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    auth = None
    if config.basic_auth:
        auth = aiohttp.BasicAuth(
            config.basic_auth["username"], config.basic_auth["password"]
        )
    return aiohttp.ClientSession(
        headers=config.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        json_serialize=ujson.dumps,
    )


def apply_fixes() -> None:
    """Install the fixes (idempotent); call before Rasa loads a model."""
    global _APPLIED, _remote_action_run
    if _APPLIED:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.utils.endpoints import EndpointConfig

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]
    _remote_action_run = RemoteAction.run
    RemoteAction.run = _run_remote_action  # type: ignore[method-assign]
    DaskGraphRunner.run = _run_graph  # type: ignore[method-assign]
    EndpointConfig.session = _shared_session  # type: ignore[method-assign]
    _APPLIED = True
