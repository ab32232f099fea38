"""The FastAPI app of `privad serve`: the page, the REST API (OpenAPI at /openapi.json), live frames, events.

No route serves a raw frame: every image comes from a source's anonymizer or from the event store, which only ever
receives anonymized thumbnails.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated
from urllib.parse import quote, urlsplit

import anyio
from fastapi import Depends, FastAPI, HTTPException, Query, Request, WebSocket, WebSocketDisconnect, status
from fastapi import Path as FastAPIPath
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path
from starlette.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from privad.errors import PrivadError
from privad.serve.live import LiveSource
from privad.serve.service import Forbidden, Service, SourceExists

BOUNDARY = "privadframe"
EventId = Annotated[int, FastAPIPath(ge=0, le=2**63 - 1, description="An event's id (a 64-bit row id).")]
bearer = HTTPBearer(auto_error=False)  # module level: the dependency annotations below are resolved here


class NewSource(BaseModel):
    uri: str = Field(..., max_length=1024, description="Video file under an allowed folder, stream URL, or device.")
    name: str | None = Field(None, max_length=64, description="Default: the file's name.")


class BodyLimit:
    """Refuse request bodies over `limit` bytes (413), and bodies of unknown length (411)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            error = None
            if length is None:
                error = (411, "a Content-Length is required")
            elif not length.isdigit() or int(length) > self.limit:
                error = (413, f"request body over {self.limit} bytes")
            if error:
                await JSONResponse({"detail": error[1]}, status_code=error[0])(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(service: Service) -> FastAPI:
    """The app for a running `Service` (closed when the app shuts down)."""

    @asynccontextmanager
    async def lifespan(_app):
        yield
        await anyio.to_thread.run_sync(service.close)

    app = FastAPI(title="privad serve", version="1", lifespan=lifespan, openapi_url=None, docs_url=None,
                  redoc_url=None,
                  description="Anonymized live video, anomaly scores and events. Send `Authorization: Bearer TOKEN` "
                              "(or `?token=TOKEN`) when the server was started with a token.")
    app.add_middleware(BodyLimit, limit=service.settings.max_body_bytes)
    hosts = service.settings.trusted_hosts
    # DNS rebinding: a page of another site that resolves its name to this machine is refused by its Host header
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)

    def authorized(credentials: HTTPAuthorizationCredentials | None, token: str | None) -> bool:
        expected = service.settings.token
        if not expected:
            return True
        given = credentials.credentials if credentials is not None else token
        return given is not None and secrets.compare_digest(given.encode(), expected.encode())

    def same_site(origin: str | None) -> bool:
        """A WebSocket from a browser carries the page's Origin: only pages served by a trusted host may connect."""
        if origin is None:  # not a browser (curl, a script): the token decides
            return True
        host = urlsplit(origin).hostname or ""
        return any(host == h.strip("[]") or (h.startswith("*.") and host.endswith(h[1:])) for h in hosts)

    def auth(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
             token: Annotated[str | None, Query(include_in_schema=False)] = None) -> None:
        if not authorized(credentials, token):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid bearer token is required",
                                headers={"WWW-Authenticate": "Bearer"})

    def source(name: str) -> LiveSource:
        live = service.get(name)
        if live is None:
            raise HTTPException(404, f"no source named '{name}'")
        return live

    guarded = [Depends(auth)]

    @app.get("/openapi.json", dependencies=guarded, include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    # Swagger UI 5 (it reads the OpenAPI 3.1 FastAPI writes), served from the swagger-ui-bundle-v2 package:
    # /docs works offline (no CDN)
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", dependencies=guarded, include_in_schema=False)
    def docs(token: str | None = None) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json" + (f"?token={quote(token)}" if token else ""),
                                   title="privad serve API", swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    @app.get("/", response_class=HTMLResponse, dependencies=guarded, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(resources.files("privad.serve").joinpath("static/index.html").read_text())

    @app.get("/api/health", tags=["service"])
    def health() -> dict:
        """Liveness (no token needed; reveals nothing but the number of sources)."""
        return {"status": "ok", "sources": len(service.sources)}

    @app.get("/api/metrics", dependencies=guarded, tags=["service"])
    def metrics() -> dict:
        """Per source: fps shown, frames in/shown/dropped/scored, fail-closed incidents, latency; process memory."""
        per = {name: live.metrics.summary() for name, live in list(service.sources.items())}
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"sources": per, "peak_rss_mib": round(rss, 1), "rss_mib": round(rss_mib(), 1),
                "dropped_frames": sum(m["dropped_frames"] for m in per.values()),
                "fail_closed_incidents": sum(m["fail_closed_incidents"] for m in per.values())}

    @app.get("/api/sources", dependencies=guarded, tags=["sources"])
    def list_sources() -> list[dict]:
        return [live.info() for live in list(service.sources.values())]

    @app.post("/api/sources", dependencies=guarded, status_code=201, tags=["sources"])
    def add_source(body: NewSource) -> dict:
        """Start a source (files only from folders allowed with --allow-dir)."""
        try:
            return service.add(body.uri, body.name).info()
        except Forbidden as exc:
            raise HTTPException(403, str(exc)) from None
        except SourceExists as exc:
            raise HTTPException(409, str(exc)) from None
        except PrivadError as exc:
            raise HTTPException(400, str(exc)) from None

    @app.delete("/api/sources/{name}", dependencies=guarded, status_code=204, tags=["sources"])
    def remove_source(name: str) -> Response:
        if not service.remove(name):
            raise HTTPException(404, f"no source named '{name}'")
        return Response(status_code=204)

    @app.get("/api/sources/{name}", dependencies=guarded, tags=["sources"])
    def one_source(name: str) -> dict:
        return source(name).info()

    @app.get("/api/sources/{name}/scores", dependencies=guarded, tags=["sources"])
    def scores(name: str, since: int = -1) -> dict:
        """Frame scores after frame `since` (the last few thousand are kept)."""
        live = source(name)
        pairs = [p for p in list(live.scores) if p[0] > since]
        return {"threshold": live.threshold, "fps": live.fps, "frames": [p[0] for p in pairs],
                "scores": [round(p[1], 4) for p in pairs]}

    @app.get("/api/sources/{name}/frame.jpg", dependencies=guarded, tags=["sources"],
             response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
    def latest_frame(name: str) -> Response:
        """The newest anonymized frame."""
        frame = source(name).latest
        if frame is None:
            raise HTTPException(404, "no frame yet")
        return Response(frame.jpeg, media_type="image/jpeg", headers={"X-Frame-Index": str(frame.index),
                                                                      "Cache-Control": "no-store"})

    @app.get("/api/sources/{name}/stream.mjpg", dependencies=guarded, tags=["sources"],
             response_class=StreamingResponse)
    async def mjpeg(name: str, request: Request) -> StreamingResponse:
        """Anonymized frames as MJPEG (multipart/x-mixed-replace); each part has an X-Frame-Index header."""
        live = source(name)

        async def parts():
            async for frame in _published(live, request.is_disconnected):
                yield (f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.jpeg)}\r\n"
                       f"X-Frame-Index: {frame.index}\r\n\r\n").encode() + frame.jpeg + b"\r\n"

        return StreamingResponse(parts(), media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
                                 headers={"Cache-Control": "no-store"})

    @app.websocket("/api/sources/{name}/ws")
    async def frames_ws(websocket: WebSocket, name: str, token: str | None = None) -> None:
        """Per frame a JSON text message {index, t_in, t_out} (Unix seconds), then the JPEG as a binary message.
        The token comes as `?token=` or in the Authorization header; a browser page of another site is refused."""
        scheme, _, given = websocket.headers.get("authorization", "").partition(" ")
        header = HTTPAuthorizationCredentials(scheme=scheme, credentials=given) if scheme.lower() == "bearer" else None
        if not same_site(websocket.headers.get("origin")) or not authorized(header, token):
            await websocket.close(code=1008)
            return
        live = service.get(name)
        if live is None:
            await websocket.close(code=1008)
            return
        await websocket.accept()
        try:
            async for frame in _published(live):
                await websocket.send_text(json.dumps({"index": frame.index, "t_in": frame.t_in,
                                                      "t_out": frame.t_out}))
                await websocket.send_bytes(frame.jpeg)
        except (WebSocketDisconnect, RuntimeError):
            return
        await websocket.close()

    @app.get("/api/events", dependencies=guarded, tags=["events"])
    def events(source: str | None = None, since: float | None = None, until: float | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0) -> dict:
        """Events, newest first; `since`/`until` are Unix seconds (overlap with the range)."""
        total, rows = service.store.list(source, since, until, limit, offset)
        return {"total": total, "limit": limit, "offset": offset, "events": rows}

    @app.get("/api/events/{event_id}", dependencies=guarded, tags=["events"])
    def event(event_id: EventId) -> dict:
        row = service.store.get(event_id)
        if row is None:
            raise HTTPException(404, f"no event {event_id}")
        return row

    @app.get("/api/events/{event_id}/thumbnail.jpg", dependencies=guarded, tags=["events"],
             response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
    def event_thumbnail(event_id: EventId) -> Response:
        """The anonymized peak frame with its highest-scoring regions."""
        data = service.store.thumbnail(event_id)
        if data is None:
            raise HTTPException(404, f"no thumbnail for event {event_id}")
        return Response(data, media_type="image/jpeg")

    return app


async def _published(live: LiveSource, gone=None):
    """Each newly published frame of `live` (frames published while a client was busy are skipped), until the
    source stops or the awaitable check `gone()` says the client left."""
    last = -1
    while not (gone is not None and await gone()):
        frame = await anyio.to_thread.run_sync(live.wait_frame, last, 1.0)
        if frame is None:
            if not live.running:
                return
            continue
        last = frame.index
        yield frame


def rss_mib() -> float:
    """Current resident memory of this process (Linux), else 0."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0
