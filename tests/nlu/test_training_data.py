"""The NLU training data and the domain agree with each other and the eval schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from assistant.settings import PROJECT_ROOT
from nlu.emergency_guard import detect_emergency

EVAL_INTENTS = {
    "ask_policy", "report_emergency", "book_meal", "out_of_scope", "report_fraud",
    "request_human", "greet", "cancel_meal", "check_meal", "repeat", "elder_mode",
    "goodbye", "deny", "thanks", "affirm", "unsubscribe_alerts", "subscribe_alerts",
    "bot_challenge",
}  # fmt: skip
# inform: answers to a form's question (names, phones, addresses, ...).
INTENTS = EVAL_INTENTS | {"inform"}
ENTITIES = {
    "date", "meal_type", "count", "service_mode", "diet", "emergency_type",
    "person_name", "phone", "address",
}  # fmt: skip
DEV_SET = PROJECT_ROOT.parent / "shared" / "eval" / "nlu_dev.jsonl"
INDEPENDENT_SET = Path(__file__).parent / "data" / "nlu_independent.jsonl"
_PUNCT = re.compile(r"[\s，。！？、,.!?；;：:“”\"'‘’（）()…~～]+")
ANNOTATION = re.compile(r"\]\((\w+)\)|\]\{\"entity\": \"(\w+)\"")


def _nlu_items() -> list[dict]:
    items: list[dict] = []
    for path in sorted((PROJECT_ROOT / "nlu" / "data").glob("*.yml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []))
    return items


def _examples(item: dict) -> list[str]:
    return [
        line[2:].strip()
        for line in item["examples"].splitlines()
        if line.startswith("- ")
    ]


def test_exactly_the_eval_intents_with_enough_examples() -> None:
    counts: dict[str, int] = {}
    for item in _nlu_items():
        if "intent" in item:
            counts[item["intent"]] = counts.get(item["intent"], 0) + len(
                _examples(item)
            )
    assert set(counts) == INTENTS
    assert min(counts.values()) >= 30, counts


def _plain(example: str) -> str:
    return re.sub(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})", r"\1", example)


def test_exactly_the_eval_intents_plus_inform() -> None:
    assert INTENTS - EVAL_INTENTS == {"inform"}


@pytest.mark.parametrize(
    "held_out", [DEV_SET, INDEPENDENT_SET], ids=["dev", "independent"]
)
def test_no_held_out_line_in_the_training_data(held_out: Path) -> None:
    """The dev and independent sets are held out: no training example repeats a line.

    Replies of four characters or fewer ("谢谢", "不是", "救命") are what anyone
    says; they are exempt.
    """
    if not held_out.exists():
        pytest.skip(f"{held_out} is not on this machine")
    dev = {
        _PUNCT.sub("", json.loads(line)["text"])
        for line in held_out.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    training = {
        _PUNCT.sub("", _plain(example))
        for item in _nlu_items()
        if "intent" in item
        for example in _examples(item)
    }
    shared = {line for line in dev & training if len(line) > 4}
    assert not shared, sorted(shared)[:10]


def test_form_answers_hold_no_emergency_phrase() -> None:
    """Names with kinship words and addresses near hospitals are not emergencies."""
    answers = [
        _plain(example)
        for item in _nlu_items()
        if item.get("intent") == "inform"
        for example in _examples(item)
    ]
    assert len(answers) >= 150
    assert [a for a in answers if detect_emergency(a)] == []


def test_no_duplicate_examples_across_intents() -> None:
    seen: dict[str, str] = {}
    for item in _nlu_items():
        if "intent" not in item:
            continue
        for example in _examples(item):
            plain = _plain(example)
            assert seen.setdefault(plain, item["intent"]) == item["intent"], plain


def test_annotated_entities_are_declared() -> None:
    used = set()
    for item in _nlu_items():
        if "intent" in item:
            for match in ANNOTATION.finditer(item["examples"]):
                used.add(match.group(1) or match.group(2))
    assert used == ENTITIES


def test_core_domain_declares_intents_entities_and_slots() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "assistant/domain/core.yml").read_text())
    assert set(domain["intents"]) == INTENTS
    assert set(domain["entities"]) == ENTITIES
    assert ENTITIES <= set(domain["slots"])
    assert "action_answer_policy" in domain["actions"]


def test_responses_carry_no_digits() -> None:
    # Phone numbers and amounts come from configuration through actions.
    domain = yaml.safe_load((PROJECT_ROOT / "assistant/domain/core.yml").read_text())
    for name, variants in domain["responses"].items():
        for variant in variants:
            assert not re.search(r"\d", variant["text"]), name


def test_emergency_guard_is_the_last_nlu_component() -> None:
    config = yaml.safe_load(Path(PROJECT_ROOT / "config.yml").read_text())
    names = [step["name"] for step in config["pipeline"]]
    assert names[-1].endswith("EmergencyGuard")
    # the menu guard sees FallbackClassifier's verdict; the emergency guard sees all
    assert names[-2].endswith("MenuQuestionGuard")
    assert names.index("FallbackClassifier") == len(names) - 3
