"""Words the actions put inside domain responses (whole replies live in the domain)."""

from __future__ import annotations

# {channels} in utter_alerts_subscribed
CHANNEL_LABELS = {"chat": "网上消息", "sms": "短信", "call": "电话"}
