"""The cached tracker store writes the rows Rasa's own SQL tracker store reads back.

Runs in .venv-rasa against a real SQLite file and, where the machine has it,
the real PostgreSQL: a tracker saved whole, then turn by turn through the
cached path, with a turn added by a second server in between, reads back the
same events through Rasa's unmodified store.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.utils.rasa_venv import needs_rasa_venv, run_ok
from tests.utils.services import fresh_postgres_database

CHECK = r"""
import asyncio, json, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from assistant.rasa_runtime.tracker_store import CachedSQLTrackerStore

kwargs = json.loads(sys.argv[1])
domain = Domain.from_dict({"slots": {"meal": {"type": "text", "mappings": []}}})

def turn(n):
    return [UserUttered(f"第{n}句", {"name": "book_meal", "confidence": 0.9}),
            SlotSet("meal", f"午饭{n}"), ActionExecuted("utter_ok"),
            BotUttered(f"好的{n}"), ActionExecuted("action_listen")]

turns = [turn(n) for n in range(4)]
extra = turn(4)

async def main():
    store = CachedSQLTrackerStore(domain, **kwargs)
    sender = "tracker-store-test"
    first = DialogueStateTracker.from_events(sender, turns[0], domain.slots)
    await store.save(first)  # not handed out by retrieve: Rasa's own save
    for n in range(1, 4):  # the cached path: retrieve, add a turn, save
        tracker = await store.retrieve(sender)
        assert tracker is not None and len(tracker.events) == 5 * n
        for event in turns[n]:
            tracker.update(event, domain)
        await store.save(tracker)
    # another server adds a turn; this one's cached tracker picks it up
    other = CachedSQLTrackerStore(domain, **kwargs)
    theirs = await other.retrieve(sender)
    for event in extra:
        theirs.update(event, domain)
    await other.save(theirs)
    mine = await store.retrieve(sender)
    assert [e.as_dict() for e in mine.events][-5:] == [e.as_dict() for e in extra]
    await store.save(mine)
    plain = SQLTrackerStore(domain, **kwargs)
    read = await plain.retrieve(sender)
    assert [e.as_dict() for e in read.events] == [
        e.as_dict() for t in [*turns, extra] for e in t
    ], [e.as_dict() for e in read.events]
    assert read.get_slot("meal") == "午饭4"
    with plain.session_scope() as session:
        rows = session.query(plain.SQLEvent).filter_by(sender_id=sender).all()
        assert len(rows) == 25
        assert {r.intent_name for r in rows if r.type_name == "user"} == {"book_meal"}
        assert {r.action_name for r in rows if r.type_name == "action"} == {
            "utter_ok", "action_listen"}
        for row in rows:
            session.delete(row)
        session.commit()
    print("ok")

asyncio.run(main())
"""


pytestmark = needs_rasa_venv


def test_cached_store_rows_read_back_by_rasa_on_sqlite(tmp_path: Path) -> None:
    run_ok(CHECK, json.dumps({"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}))


def test_cached_store_rows_read_back_by_rasa_on_postgresql() -> None:
    from sqlalchemy.engine import make_url

    with fresh_postgres_database() as database_url:
        url = make_url(database_url)
        run_ok(
            CHECK,
            json.dumps(
                {
                    "dialect": "postgresql",
                    "host": url.host,
                    "port": url.port,
                    "db": url.database,
                    "username": url.username,
                }
            ),
        )
