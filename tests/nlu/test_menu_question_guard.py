"""The menu guard and the emergency guard on parsed messages, in Rasa's venv."""

from __future__ import annotations

from tests.utils.rasa_venv import needs_rasa_venv, run_ok

SNIPPET = """
from rasa.shared.nlu.training_data.message import Message
from nlu.components.emergency_guard import EmergencyGuard
from nlu.components.menu_question_guard import MenuQuestionGuard

def parsed(text, intent, confidence=0.6):
    message = Message.build(text=text)
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    return message

def run(message):
    config = MenuQuestionGuard.get_default_config()
    MenuQuestionGuard(config).process([message])
    EmergencyGuard(EmergencyGuard.get_default_config()).process([message])
    return message

menu = run(parsed("今天中午吃什么", "book_meal", 0.44))
assert menu.get("intent") == {"name": "ask_policy", "confidence": 1.0}
assert menu.get("intent_ranking")[0]["name"] == "ask_policy"
assert menu.get("intent_before_guard")["name"] == "book_meal"

unsure = run(parsed("今天午饭吃啥", "nlu_fallback", 0.4))
assert unsure.get("intent")["name"] == "ask_policy"

order = run(parsed("明天有啥菜 给我也订一份", "book_meal"))
assert order.get("intent")["name"] == "book_meal"  # it orders: a booking

other = run(parsed("今天中午吃什么", "greet"))
assert other.get("intent")["name"] == "greet"  # only a booking label is corrected

none = Message.build(text="今天中午吃什么")
MenuQuestionGuard(MenuQuestionGuard.get_default_config()).process([none])
assert none.get("intent") is None

both = run(parsed("今天中午吃什么 我摔倒了起不来", "book_meal"))
assert both.get("intent")["name"] == "report_emergency"  # the emergency guard is last
assert both.get("intent_before_guard")["name"] == "book_meal"  # DIET's, not a guard's
print("ok")
"""


@needs_rasa_venv
def test_menu_guard_relabels_a_menu_question_and_the_emergency_guard_wins() -> None:
    run_ok(SNIPPET)
