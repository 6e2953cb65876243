"""The Rasa server's fixes keep Rasa's behaviour: the quick check of an action's
answer agrees with Rasa's full schema, and an action call carries the recent
events with the whole conversation's slots.

Runs in .venv-rasa (Rasa's own schema, jsonschema 4.17): every answer the
quick check passes must pass the full schema, and every answer the full schema
rejects must still raise Rasa's ``ValidationError``.
"""

from __future__ import annotations

from tests.utils.rasa_venv import needs_rasa_venv, run_ok

CHECK = r"""
import copy, json
from jsonschema import ValidationError
from assistant.rasa_runtime import fixes

full = fixes._action_result_validator()
quick = fixes._event_validators()
assert quick is not None and len(quick.by_event) > 20

slot = {"event": "slot", "name": "meal", "value": "午饭", "timestamp": None}
good = [
    {"events": [], "responses": []},
    {"events": [slot, {"event": "active_loop", "name": None},
                {"event": "bot", "text": "好的", "data": {}, "metadata": {}}],
     "responses": [{"text": "好的", "buttons": [], "custom": {"citations": []}}]},
    {"events": [{"event": "followup", "name": "action_listen"},
                {"event": "reset_slots"}, {"event": "restart"}], "responses": []},
]
bad = [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [{"name": "meal"}], "responses": []},
    {"events": [dict(slot, name=5)], "responses": []},
    {"events": "slot", "responses": []},
    {"events": [slot], "responses": "好的"},
    {"events": [dict(slot, timestamp="now")], "responses": []},
    {"events": [42], "responses": []},
]
for result in good:
    assert quick.is_valid(result) and full.is_valid(result), result
    assert fixes._validate_action_result(None, result) is True
for result in bad:
    assert not quick.is_valid(result), result
    assert not full.is_valid(result), result
    try:
        fixes._validate_action_result(None, copy.deepcopy(result))
    except ValidationError as exc:
        assert "Failed to validate Action server response" in exc.message
    else:
        raise AssertionError(f"accepted: {result}")

# the action call: recent events only, slots and latest message from all of them
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

domain = Domain.from_dict({"slots": {"elder_name": {"type": "text", "mappings": []}}})
events = [SlotSet("elder_name", "赵大爷")]
for n in range(20):
    events += [UserUttered(f"第{n}句", {"name": "greet", "confidence": 1.0}),
               ActionExecuted("utter_greet"), BotUttered(f"答{n}"),
               ActionExecuted("action_listen")]
tracker = DialogueStateTracker.from_events("u1", events, domain.slots)
call = fixes._action_call_format(RemoteAction("action_x", None), tracker, domain)
sent = call["tracker"]["events"]
users = [e["text"] for e in sent if e["event"] == "user"]
assert users == [f"第{n}句" for n in range(20 - fixes.RECENT_USER_TURNS, 20)], users
assert sent[0]["event"] == "user" and sent[-1]["name"] == "action_listen"
assert call["tracker"]["slots"]["elder_name"] == "赵大爷"
assert call["tracker"]["latest_message"]["text"] == "第19句"
assert call["next_action"] == "action_x"
# the domain goes only when the action server asked for it (449)
assert "domain" not in call and call["domain_digest"] == domain.fingerprint()
token = fixes._SEND_DOMAIN.set(True)
asked = fixes._action_call_format(RemoteAction("action_x", None), tracker, domain)
fixes._SEND_DOMAIN.reset(token)
assert asked["domain"] == domain.as_dict()
# a 449 (no domain held for the digest) repeats the call once, with the domain
import asyncio
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError

def failing(status):
    try:
        raise ClientResponseError(status, "x", "{}")
    except ClientResponseError as cause:
        try:
            raise RasaException("Failed to execute custom action") from cause
        except RasaException as exc:
            return exc

calls = []
async def server(self, *args, answers):
    calls.append(fixes._SEND_DOMAIN.get())
    answer = answers.pop(0)
    if isinstance(answer, Exception):
        raise answer
    return answer

def run(answers):
    calls.clear()
    fixes._remote_action_run = lambda self, *a: server(self, *a, answers=answers)
    return asyncio.run(fixes._run_remote_action(None, "channel", "nlg", tracker, domain))

assert run([failing(449), ["events"]]) == ["events"] and calls == [False, True]
for answers in ([failing(449), failing(449)], [failing(500)]):
    try:
        run(answers)
    except RasaException:
        pass
    else:
        raise AssertionError("accepted")
assert calls == [False]  # a 500 is not repeated
short = DialogueStateTracker.from_events("u2", events[:5], domain.slots)
assert len(fixes.recent_events(short.events)) == 5
print("ok")
"""


@needs_rasa_venv
def test_action_answer_check_and_action_call_keep_rasa_behaviour() -> None:
    run_ok(CHECK)
