"""What the simulated chat users of the load bench say: a weighted mix of short
conversations, each reacting to the assistant's replies the way a person would.

The mix is the one of issue 10: greetings, policy questions, meal bookings, a
fraud check and hand-offs. Policy questions are drawn from the development
questions in ``../shared/eval`` (many different questions, so no cache sees only
repeats); a fixed handful stands in when that folder is absent.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import PROJECT_ROOT

POLICY_QA = PROJECT_ROOT.parent / "shared" / "eval" / "policy_qa_dev.jsonl"
FALLBACK_QUESTIONS = (
    "高龄津贴怎么申请？",
    "长期护理保险谁能享受？",
    "八十岁以上老人有什么补贴？",
    "社区养老驿站提供哪些服务？",
)
GREETINGS = ("你好", "谢谢你", "再见", "你是机器人吗", "您好，在吗")
FRAUD = (
    "有人打电话说是公安局的，让我把钱转到安全账户",
    "有人说我中奖了，要先交手续费",
    "有个人说是我孙子，出事了要我打钱",
)
HANDOFF = ("我要找工作人员", "转人工", "我想跟真人说话")

# (name, weight): about a third small talk, a quarter policy questions.
MIX = (
    ("greeting", 30),
    ("policy", 25),
    ("booking", 20),
    ("fraud", 15),
    ("handoff", 10),
)

# Sends one message (after the user's pause) and returns the reply's text.
Say = Callable[[str], Awaitable[str]]


def policy_questions(path: Path = POLICY_QA) -> list[str]:
    """The development questions (or the fixed stand-ins)."""
    if not path.exists():
        return list(FALLBACK_QUESTIONS)
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


@dataclass
class User:
    """One simulated person: a binding code for bookings, a random source."""

    name: str
    binding_code: str
    rng: random.Random
    questions: list[str]

    def pick(self) -> str:
        names = [name for name, _ in MIX]
        return self.rng.choices(names, weights=[w for _, w in MIX])[0]

    async def converse(self, kind: str, say: Say) -> None:
        """One conversation of ``kind``; ``say`` sends a message and returns the reply."""
        if kind == "greeting":
            await say(self.rng.choice(GREETINGS))
        elif kind == "policy":
            await say(self.rng.choice(self.questions))
        elif kind == "handoff":
            await say(self.rng.choice(HANDOFF))
        elif kind == "fraud":
            await say(self.rng.choice(FRAUD))
            await say(self.rng.choice(("要", "不用了")))
        elif kind == "booking":
            reply = await say("后天中午到驿站吃一份，没有忌口")
            # answer what is asked, as a person would; at most five more turns
            for _ in range(5):
                if "绑定码" in reply:
                    reply = await say(self.binding_code)
                elif "对吗" in reply:
                    reply = await say("对")
                elif "订好了" in reply:
                    return
                else:
                    await say("不要了")
                    return
