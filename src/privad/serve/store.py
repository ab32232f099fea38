"""The event store: SQLite by default, PostgreSQL (or any SQLAlchemy URL) on request. One transaction per write."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Float, Integer, LargeBinary, String, create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from privad.errors import PrivadError
from privad.types import Event


class _Base(DeclarativeBase):
    pass


class EventRow(_Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    start_frame: Mapped[int] = mapped_column(Integer)
    end_frame: Mapped[int] = mapped_column(Integer)
    peak_frame: Mapped[int] = mapped_column(Integer)
    peak_score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    start_time: Mapped[float] = mapped_column(Float, index=True)  # Unix seconds
    end_time: Mapped[float] = mapped_column(Float)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)

    def to_dict(self) -> dict:
        return {"id": self.id, "source": self.source, "start_frame": self.start_frame, "end_frame": self.end_frame,
                "peak_frame": self.peak_frame, "peak_score": self.peak_score, "threshold": self.threshold,
                "start_time": self.start_time, "end_time": self.end_time,
                "duration_s": round(self.end_time - self.start_time, 3), "has_thumbnail": self.thumbnail is not None}


def database_url(db: str | None, data_dir: Path) -> str:
    """`db` as given (postgresql://..., sqlite:///...), else SQLite in DATA_DIR/events.db."""
    if db:
        return db
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'events.db').resolve()}"


class EventStore:
    """Events that survive a restart."""

    def __init__(self, url: str):
        try:
            self.engine = create_engine(url, pool_pre_ping=True)
            _Base.metadata.create_all(self.engine)
        except (SQLAlchemyError, ImportError) as exc:
            raise PrivadError(f"cannot open the event database {url.split('@')[-1]}: "
                              f"{str(exc).splitlines()[0]}") from exc

    def add(self, source: str, event: Event, threshold: float, thumbnail: bytes | None,
            now: float | None = None) -> int:
        """Store a closed event; its wall-clock times count back from `now` (when it closed)."""
        now = time.time() if now is None else now
        length = event.end_s - event.start_s
        row = EventRow(source=source, start_frame=event.start, end_frame=event.end, peak_frame=event.peak,
                       peak_score=event.peak_score, threshold=threshold, start_time=now - length, end_time=now,
                       thumbnail=thumbnail)
        with Session(self.engine) as session, session.begin():
            session.add(row)
            session.flush()
            return row.id

    def list(self, source: str | None = None, since: float | None = None, until: float | None = None,
             limit: int = 50, offset: int = 0) -> tuple[int, list[dict]]:
        """(total matching, one page of events, newest first)."""
        query = select(EventRow)
        if source is not None:
            query = query.where(EventRow.source == source)
        if since is not None:
            query = query.where(EventRow.end_time >= since)
        if until is not None:
            query = query.where(EventRow.start_time <= until)
        with Session(self.engine) as session:
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            rows = session.scalars(query.order_by(EventRow.start_time.desc(), EventRow.id.desc())
                                   .limit(limit).offset(offset)).all()
            return int(total or 0), [r.to_dict() for r in rows]

    def get(self, event_id: int) -> dict | None:
        with Session(self.engine) as session:
            row = session.get(EventRow, event_id)
            return None if row is None else row.to_dict()

    def thumbnail(self, event_id: int) -> bytes | None:
        with Session(self.engine) as session:
            row = session.get(EventRow, event_id)
            return None if row is None else row.thumbnail

    def close(self) -> None:
        self.engine.dispose()
