"""`privad serve`: a live, anonymized view of cameras with anomaly scores and stored events (extra: privad[serve])."""

from __future__ import annotations

import secrets
import socket
import threading
import time

from privad.errors import PrivadError
from privad.io.sources import open_source
from privad.serve.service import Service, ServeSettings

__all__ = ["ServeSettings", "Service", "BackgroundServer", "prepare", "serve"]


def prepare(settings: ServeSettings, sources: list[str]) -> tuple[ServeSettings, Service]:
    """Check the settings (a token is made when binding beyond loopback without one), open the store, start the
    sources given at start (trusted: the allow-list is for the API)."""
    if settings.anonymize.method == "no-an":
        raise PrivadError("privad serve shows anonymized video only; method 'no-an' is refused")
    if not settings.loopback and not settings.token:
        settings.token = secrets.token_urlsafe(24)
    for uri in sources:  # a bad source is reported before anything (the event database) is created
        open_source(uri).close()
    service = Service(settings)
    try:
        for uri in sources:
            service.add(uri, trusted=True)
    except BaseException:
        service.close()
        raise
    return settings, service


def _server(service: Service, host: str, port: int):
    try:
        import uvicorn
    except ImportError as exc:
        raise PrivadError("privad serve needs its extra: pip install 'privad[serve]'") from exc
    from privad.serve.app import create_app

    config = uvicorn.Config(create_app(service), host=host, port=port, log_level="warning", ws="auto",
                            timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


def serve(settings: ServeSettings, sources: list[str], announce=None) -> None:
    """Run until interrupted; `announce(settings)` is called once the sources run and the port is free."""
    _check_port(settings.host, settings.port)
    settings, service = prepare(settings, sources)
    if announce:
        announce(settings)
    _server(service, settings.host, settings.port).run()


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        except OSError as exc:
            raise PrivadError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


class BackgroundServer:
    """The server in a thread on a free loopback port (tests, benchmarks): `with BackgroundServer(settings, [clip])
    as url: ...`."""

    def __init__(self, settings: ServeSettings, sources: list[str]):
        self.settings, self.service = prepare(settings, sources)
        with socket.socket() as s:
            s.bind((settings.host, 0))
            self.port = s.getsockname()[1]
        self.server = _server(self.service, settings.host, self.port)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self.url

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.service.close()
