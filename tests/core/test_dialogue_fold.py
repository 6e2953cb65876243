"""Rasa's data-only messages are folded into the message they belong to."""

from __future__ import annotations

from assistant.dialogue import BotMessage, fold_data_messages

CITATION = {
    "doc": "d1",
    "title": "长期护理保险办法",
    "section": "第三条",
    "quote": "……",
}


def _fold(raw: list[dict]) -> list[dict]:
    return [
        m.to_json() for m in fold_data_messages([BotMessage.from_rasa(r) for r in raw])
    ]


def test_citations_ride_on_the_text_they_support() -> None:
    # Rasa's REST channel output for utter_message(text=..., json_message=...).
    raw = [
        {"recipient_id": "u", "text": "每月补助按文件执行。"},
        {"recipient_id": "u", "custom": {"citations": [CITATION]}},
        {"recipient_id": "u", "text": "还想问什么？", "buttons": [{"title": "订餐"}]},
    ]
    folded = _fold(raw)
    assert [m["text"] for m in folded] == ["每月补助按文件执行。", "还想问什么？"]
    assert folded[0]["citations"] == [CITATION]
    assert folded[1]["citations"] == []


def test_custom_fields_are_merged_and_a_leading_data_message_is_kept() -> None:
    raw = [
        {"recipient_id": "u", "custom": {"voice": {"rate": 130}}},
        {"recipient_id": "u", "text": "好的，说慢一点。"},
        {"recipient_id": "u", "custom": {"large_text": True}},
    ]
    folded = _fold(raw)
    assert len(folded) == 2
    assert folded[0]["custom"] == {"voice": {"rate": 130}} and folded[0]["text"] == ""
    assert folded[1]["custom"] == {"large_text": True}


def test_a_message_with_buttons_only_is_not_data() -> None:
    raw = [
        {"recipient_id": "u", "text": "请选择"},
        {"recipient_id": "u", "buttons": [{"title": "是", "payload": "/affirm"}]},
    ]
    assert len(_fold(raw)) == 2
