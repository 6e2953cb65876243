"""Rasa's SQL tracker store without the per-turn cost that grows with the conversation.

Rasa's ``SQLTrackerStore`` reads every event of the conversation session on each
turn (one ORM object and one ``json.loads`` per event, then replays them all into
a new tracker), and before saving counts them again to find the new ones. A
profile of the Rasa server under load put ~20% of its time there, growing with
every turn.

``CachedSQLTrackerStore`` keeps the tracker a turn saved and hands that same
object to the next turn of the conversation, after one indexed query that tells
whether another Rasa server has added events since (then only those are read
and applied). Save writes only the events added since the last save. So a turn
costs two small queries and the insert of its own events, whatever the length
of the conversation; the rows in the ``events`` table are the same as Rasa's.

Correctness rules:
- A tracker is *checked out* by ``retrieve`` (removed from the cache) and comes
  back with ``save``. A turn that fails before saving leaves nothing behind:
  the next turn reads the conversation from the database, as Rasa does.
- Several Rasa servers may share the database (production profile): the lock
  store (Redis) serialises a conversation's turns, and the max-id check picks
  up events another server wrote.
- A new conversation session (``session_started``) is not cached, so the next
  read starts from the new session exactly like Rasa's own query.
- The cache is bounded (least recently used conversations are dropped).

On SQLite the connections stay open (SQLAlchemy 1.4 opens and closes one per
session) and the database uses write-ahead logging with ``synchronous=NORMAL``:
commits no longer wait for the disk, and readers do not block the writer.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 2000


@dataclass
class _Cached:
    tracker: DialogueStateTracker
    saved: int  # events of ``tracker`` that are in the database
    last_id: int  # highest ``events.id`` of the conversation


class CachedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that carries each conversation's tracker from turn to turn."""

    def __init__(self, *args: Any, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._out: dict[int, _Cached] = {}  # id(tracker) -> entry, while checked out
        if self.engine.dialect.name == "sqlite":
            self.engine = _sqlite_engine(self.engine)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self._create_index()

    def _create_index(self) -> None:
        """The index the per-turn "anything new?" query reads.

        Several Rasa servers start at once on one database: when another one
        created the index between the check and the create, that is success.
        """
        index = sa.Index(
            "ix_events_sender_id_id", self.SQLEvent.sender_id, self.SQLEvent.id
        )
        try:
            index.create(self.engine, checkfirst=True)
        except sa.exc.DatabaseError:
            if not any(
                found["name"] == index.name
                for found in sa.inspect(self.engine).get_indexes("events")
            ):
                raise

    # --- reading -------------------------------------------------------------------
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's tracker: the cached one brought up to date, else Rasa's read."""
        entry = self._cache.pop(sender_id, None)
        if entry is not None and self._refresh(entry):
            self._check_out(entry)
            return entry.tracker
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            last_id = self._last_id(sender_id)
            self._check_out(_Cached(tracker, len(tracker.events), last_id))
        return tracker

    def _check_out(self, entry: _Cached) -> None:
        self._out[id(entry.tracker)] = entry
        while len(self._out) > self.cache_size:  # turns that failed before saving
            self._out.pop(next(iter(self._out)))

    def _last_id(self, sender_id: str, connection: Any = None) -> int:
        """The conversation's highest event id (a Core query: the ORM's cost more).

        On ``connection`` when the caller holds one, else on a connection of its own.
        """
        events = self.SQLEvent.__table__
        query = sa.select(sa.func.max(events.c.id)).where(
            events.c.sender_id == sender_id
        )
        if connection is None:
            with self.engine.connect() as own:
                return int(own.execute(query).scalar() or 0)
        return int(connection.execute(query).scalar() or 0)

    def _refresh(self, entry: _Cached) -> bool:
        """Apply events other servers wrote since; False when a full read is needed."""
        tracker = entry.tracker
        if len(tracker.events) != entry.saved:
            return False  # changed without being saved: trust only the database
        events = self.SQLEvent.__table__
        with self.engine.connect() as connection:
            last_id = self._last_id(tracker.sender_id, connection)
            if last_id == entry.last_id:
                return True
            rows = connection.execute(
                sa.select(events.c.data)
                .where(
                    events.c.sender_id == tracker.sender_id,
                    events.c.id > entry.last_id,
                )
                .order_by(events.c.id)
            )
            dumps = [json.loads(data) for (data,) in rows]
        if any(d.get("event") == SessionStarted.type_name for d in dumps):
            return False
        for event in deserialise_events(dumps):
            tracker.update(event, self.domain)
        entry.saved = len(tracker.events)
        entry.last_id = last_id
        return True

    # --- writing -------------------------------------------------------------------
    async def save(self, tracker: DialogueStateTracker) -> None:
        """Insert the events added since the tracker was read; cache it for the next turn."""
        entry = self._out.pop(id(tracker), None)
        if entry is None or entry.tracker is not tracker:
            await super().save(tracker)  # a tracker we did not hand out: Rasa's way
            last_id = self._last_id(tracker.sender_id)
            self._remember(_Cached(tracker, len(tracker.events), last_id))
            return
        await self.stream_events(tracker)
        new = list(itertools.islice(tracker.events, entry.saved, None))
        insert = self.SQLEvent.__table__.insert()
        with self.engine.begin() as connection:
            # plain INSERTs: the ORM's unit of work cost more than the writes
            for event in new:
                result = connection.execute(insert, self._row(tracker.sender_id, event))
                entry.last_id = int(result.inserted_primary_key[0])
        entry.saved = len(tracker.events)
        if any(isinstance(event, SessionStarted) for event in new):
            return  # a new session: the next read starts from it, as Rasa's does
        self._remember(entry)

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """The ``events`` row of one event, as Rasa's own save writes it."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {})
            .get("intent", {})
            .get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _remember(self, entry: _Cached) -> None:
        self._cache[entry.tracker.sender_id] = entry
        self._cache.move_to_end(entry.tracker.sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


def _sqlite_engine(engine: Any) -> Any:
    """The SQLite engine again, keeping its connections open, in WAL mode.

    SQLAlchemy 1.4 opens and closes a SQLite file connection for every session;
    in WAL mode the last close also checkpoints the log (fsync), so each turn
    paid that twice. A small pool keeps connections open; commits with
    ``synchronous=NORMAL`` do not wait for the disk.
    """
    engine.dispose()
    pooled = sa.create_engine(
        engine.url,
        poolclass=sa.pool.QueuePool,
        pool_size=2,
        max_overflow=4,
        connect_args={"check_same_thread": False},
    )

    @sa.event.listens_for(pooled, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return pooled
