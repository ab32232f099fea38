"""The service behind `privad serve`: its settings, the running sources, the event store."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from threadpoolctl import threadpool_limits

from privad.protect.config import AnonymizeConfig
from privad.errors import PrivadError
from privad.io.corpus import video_name
from privad.io.images import IMAGE_EXTS
from privad.io.sources import STREAM_SCHEMES
from privad.serve.live import LiveSource, SourceSpec
from privad.serve.store import EventStore, database_url
from privad.types import Event

log = logging.getLogger("privad")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Forbidden(PrivadError):
    """A source the API may not open."""


class SourceExists(PrivadError):
    """A source of that name is running."""


@dataclass
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    data_dir: Path = Path("privad-serve")
    db: str | None = None
    allow_dirs: list[Path] = field(default_factory=list)  # files under these may be added through the API
    allow_streams: bool = False  # rtsp/http(s) URLs through the API
    allow_devices: bool = False  # webcam indices through the API
    anonymize: AnonymizeConfig = field(default_factory=lambda: AnonymizeConfig(targets=["faces"]))
    model: Path | None = None
    calibrate_seconds: float = 10.0
    model_config: dict | None = None  # settings of the models calibrated on each source (`--set`)
    realtime: bool = True
    loop: bool = True
    max_sources: int = 8
    max_body_bytes: int = 16_384
    allowed_hosts: list[str] = field(default_factory=list)  # Host names beyond the loopback ones and --host

    @property
    def loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1")

    @property
    def trusted_hosts(self) -> list[str]:
        """Host header values the app answers: loopback names, the bound address, and `allowed_hosts`."""
        names = ["localhost", "127.0.0.1", "::1", "[::1]", *self.allowed_hosts]
        if self.host not in ("0.0.0.0", "::", ""):
            names += [self.host, f"[{self.host}]" if ":" in self.host else self.host]
        return sorted(set(names))


class Service:
    """Sources by name and the event store; thread-safe. BLAS runs on one thread while the service lives (as in
    `privad run`): the blur limits it so while it runs, a process-wide setting, so a scorer beside it would otherwise
    sum its products over one thread or two as the timing falls, and two runs' scores would differ."""

    def __init__(self, settings: ServeSettings):
        self.settings = settings
        self.store = EventStore(database_url(settings.db, Path(settings.data_dir)))
        self.sources: dict[str, LiveSource] = {}
        self._lock = threading.Lock()
        self._blas = threadpool_limits(limits=1, user_api="blas")

    def check_allowed(self, uri: str) -> None:
        """Refuse what the API may not open: files outside the allowed folders, streams and devices unless allowed."""
        s = self.settings
        if "\x00" in uri:
            raise PrivadError("a source may not contain a NUL byte")
        if uri.isdigit():
            if not s.allow_devices:
                raise Forbidden("devices may not be added through the API (start with --allow-devices)")
            return
        if uri.lower().startswith(STREAM_SCHEMES) or "://" in uri:
            if not s.allow_streams:
                raise Forbidden("stream URLs may not be added through the API (start with --allow-streams)")
            return
        if not s.allow_dirs:
            raise Forbidden("no folder is allowed for new files (start with --allow-dir DIR)")
        roots = [Path(folder).resolve() for folder in s.allow_dirs]
        path = Path(uri)
        try:
            # every file the source will read, after resolving links: a link in an allowed folder may point anywhere
            read = [path, *(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTS)] if path.is_dir() else [path]
            resolved = [(f, f.resolve()) for f in read]
        except (OSError, RuntimeError) as exc:  # a name too long, a link loop ...
            raise PrivadError(f"cannot read source: {getattr(exc, 'strerror', None) or exc}") from None
        for f, real in resolved:
            if not any(real.is_relative_to(root) for root in roots):
                raise Forbidden(f"files may only be added from an allowed folder (--allow-dir); {f.name} is not "
                                "in one (links are followed)")

    def add(self, uri: str, name: str | None = None, trusted: bool = False) -> LiveSource:
        """Start a source. `trusted` (given at start on the command line) skips the allow-list."""
        if not trusted:
            self.check_allowed(uri)
        name = name or video_name(uri)
        if not NAME.match(name):
            raise PrivadError(f"source name '{name}': use letters, digits, '.', '_' or '-' (at most 64)")
        s = self.settings
        with self._lock:
            if name in self.sources:
                raise SourceExists(f"a source named '{name}' exists")
            if len(self.sources) >= s.max_sources:
                raise PrivadError(f"at most {s.max_sources} sources")
            spec = SourceSpec(uri, name, s.anonymize, s.model, s.calibrate_seconds, s.model_config, loop=s.loop,
                              realtime=s.realtime)
            live = LiveSource(spec, self._store_event).start()
            self.sources[name] = live
        return live

    def remove(self, name: str) -> bool:
        """Stop and forget a source; False when there is none of that name."""
        with self._lock:
            live = self.sources.pop(name, None)
        if live is None:
            return False
        live.stop()
        return True

    def get(self, name: str) -> LiveSource | None:
        return self.sources.get(name)

    def _store_event(self, source: str, event: Event, thumbnail: bytes | None, threshold: float) -> None:
        try:
            self.store.add(source, event, threshold, thumbnail)
        except Exception as exc:  # noqa: BLE001 — the stream goes on; the loss is logged
            log.warning("source %s: event not stored: %s", source, exc)

    def close(self) -> None:
        """Stop every source (events they close meanwhile are still stored), then the store."""
        for live in list(self.sources.values()):
            live.stop()
        with self._lock:
            self.sources = {}
        self.store.close()
        self._blas.restore_original_limits()
