"""The Rasa server's quick check of an action's answer agrees with Rasa's full schema.

Runs in .venv-rasa (Rasa's own schema, jsonschema 4.17): every answer the
quick check passes must pass the full schema, and every answer the full schema
rejects must still raise Rasa's ``ValidationError``.
"""

from __future__ import annotations

import subprocess

import pytest

from assistant.rasa_project import RASA_PYTHON
from assistant.settings import PROJECT_ROOT

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
print("ok")
"""


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason=".venv-rasa is not set up")
def test_quick_action_answer_check_agrees_with_rasa_schema() -> None:
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECK],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
