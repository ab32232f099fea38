"""`privad serve` on a loopback port with a real Ped2 clip: events after the anomaly, MJPEG frames equal to the
anonymized output, the token, the allow-list, request limits, restart, back-pressure, and (marked) the page in
headless Chromium."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("fastapi", reason="serve is an extra: pip install 'privad[serve]'")
httpx = pytest.importorskip("httpx")

from privad.protect.config import AnonymizeConfig  # noqa: E402
from privad.io.sources import read_all  # noqa: E402
from privad.serve import BackgroundServer, ServeSettings  # noqa: E402
from privad.serve.live import LiveSource, SourceSpec  # noqa: E402
from privad.serve.store import EventStore, database_url  # noqa: E402
from privad.engine.views import anonymized  # noqa: E402
from privad.vad.events import OnlineEvents, find_events  # noqa: E402

SHOWN = AnonymizeConfig(method="adaptive_blur", targets=["motion"])


def test_online_events_equal_find_events_on_random_scores():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 120))
        scores = rng.random(n) * (rng.random(n) < rng.random()) * 3
        gap, shortest = int(rng.integers(0, 6)), int(rng.integers(1, 6))
        online = OnlineEvents(1.0, 25.0, min_frames=shortest, merge_gap=gap)
        found = [e for i, s in enumerate(scores) if (e := online.push(i, float(s)))]
        if (last := online.flush()) is not None:
            found.append(last)
        assert found == find_events(scores, 1.0, 25.0, min_frames=shortest, merge_gap=gap)


def _parts(url: str, headers: dict, count: int) -> list[tuple[int, bytes]]:
    """The first `count` parts of an MJPEG stream: (X-Frame-Index, JPEG)."""
    out, buf = [], b""
    with httpx.stream("GET", url, headers=headers, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("multipart/x-mixed-replace")
        for chunk in r.iter_bytes():
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, _, rest = buf.partition(b"\r\n\r\n")
                fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
                size = int(fields["Content-Length"])
                if len(rest) < size + 2:
                    break
                out.append((int(fields["X-Frame-Index"]), rest[:size]))
                buf = rest[size + 2:]
                if len(out) == count:
                    return out
    return out


@pytest.fixture(scope="module")
def ped2_clip(ped2) -> Path:
    return ped2 / "testing" / "frames" / "02"  # a cyclist from frame 94 on


@pytest.fixture(scope="module")
def finished(ped2_clip, ped2_model, tmp_path_factory):
    """One pass over Ped2 test video 02 (nothing dropped), MJPEG parts collected while it runs."""
    data = tmp_path_factory.mktemp("serve")
    settings = ServeSettings(data_dir=data, anonymize=SHOWN, model=ped2_model, realtime=False, loop=False,
                             token="s3cret")
    server = BackgroundServer(settings, [str(ped2_clip)])
    auth = {"Authorization": "Bearer s3cret"}
    with server as url:
        parts = _parts(f"{url}/api/sources/02/stream.mjpg", auth, 5)
        live = server.service.get("02")
        deadline = time.monotonic() + 120
        while live.status != "ended" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert live.status == "ended", live.info()
        result = {"events": httpx.get(f"{url}/api/events", headers=auth).json(),
                  "metrics": httpx.get(f"{url}/api/metrics", headers=auth).json(),
                  "thumb": None}
        first = result["events"]["events"][-1] if result["events"]["events"] else None
        if first:
            result["thumb"] = httpx.get(f"{url}/api/events/{first['id']}/thumbnail.jpg", headers=auth)
            result["one"] = httpx.get(f"{url}/api/events/{first['id']}", headers=auth).json()
            result["paged"] = httpx.get(f"{url}/api/events?limit=1&offset=0", headers=auth).json()
            result["future"] = httpx.get(f"{url}/api/events?since={time.time() + 3600}", headers=auth).json()
        result["openapi"] = httpx.get(f"{url}/openapi.json", headers=auth).json()  # the schema needs the token too
    return {"parts": parts, "data": data, **result}


def test_events_come_after_the_anomaly(finished, ped2):
    from privad.data import load_dataset

    labels = next(v for v in load_dataset("ucsd_ped2", ped2).test if v.name == "02").labels
    events = finished["events"]["events"]
    assert finished["events"]["total"] == len(events) >= 1
    abnormal = [int(labels[e["start_frame"]: e["end_frame"] + 1].mean() > 0.5) for e in events]
    assert sum(abnormal) >= 1 and sum(abnormal) >= len(events) / 2  # most events lie in the labelled anomaly
    assert finished["metrics"]["sources"]["02"]["frames_shown"] == labels.size  # nothing dropped, frames in = out
    assert finished["metrics"]["dropped_frames"] == 0


def test_event_detail_thumbnail_paging_and_schema(finished):
    thumb = finished["thumb"]
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert cv2.imdecode(np.frombuffer(thumb.content, np.uint8), cv2.IMREAD_COLOR) is not None
    assert finished["one"]["peak_score"] > finished["one"]["threshold"]
    assert len(finished["paged"]["events"]) == 1 and finished["paged"]["total"] == finished["events"]["total"]
    assert finished["future"]["total"] == 0
    paths = finished["openapi"]["paths"]
    assert {"/api/sources", "/api/events", "/api/events/{event_id}/thumbnail.jpg", "/api/metrics"} <= set(paths)


def test_mjpeg_frames_are_the_anonymized_output(finished, ped2_clip):
    parts = finished["parts"]
    assert len(parts) == 5
    frames = read_all(ped2_clip)[0]
    wanted = {i for i, _ in parts}
    shown = anonymized(frames, SHOWN)  # as `privad anonymize` would write them (background primed ahead)
    expected = {i: shown[i] for i in wanted}
    for index, jpeg in parts:
        got = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert got.shape == frames[index].shape
        assert cv2.PSNR(got, expected[index]) > 32  # JPEG loss only
        assert cv2.PSNR(expected[index], frames[index]) < cv2.PSNR(got, expected[index])


def test_events_survive_a_restart(finished):
    store = EventStore(database_url(None, finished["data"]))
    total, rows = store.list()
    store.close()
    assert total == finished["events"]["total"] and [r["id"] for r in rows] == [
        e["id"] for e in finished["events"]["events"]]
    with BackgroundServer(ServeSettings(data_dir=finished["data"]), []) as url:
        again = httpx.get(f"{url}/api/events").json()
    assert again["total"] == total


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    allowed = tmp_path_factory.mktemp("allowed")
    with BackgroundServer(ServeSettings(data_dir=tmp_path_factory.mktemp("guarded"), token="s3cret",
                                        allow_dirs=[allowed]), []) as url:
        yield url, allowed


def test_token_is_required_when_set(guarded):
    url, _ = guarded
    assert httpx.get(f"{url}/api/sources").status_code == 401
    assert httpx.get(f"{url}/api/sources", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(f"{url}/").status_code == 401
    assert httpx.get(f"{url}/api/events/1/thumbnail.jpg").status_code == 401
    assert httpx.get(f"{url}/api/sources", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert httpx.get(f"{url}/?token=s3cret").status_code == 200
    assert httpx.get(f"{url}/api/health").json()["status"] == "ok"
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    ws_url = url.replace("http://", "ws://") + "/api/sources/any/ws"
    with pytest.raises((ConnectionClosed, InvalidStatus)):
        with connect(ws_url, open_timeout=5) as ws:
            ws.recv(timeout=5)


def test_api_sources_are_checked(guarded, face_clip):
    import shutil

    url, allowed = guarded
    auth = {"Authorization": "Bearer s3cret"}
    post = lambda body: httpx.post(f"{url}/api/sources", json=body, headers=auth)  # noqa: E731
    assert post({"uri": "/etc/passwd"}).status_code == 403
    assert post({"uri": str(allowed / ".." / "elsewhere.mp4")}).status_code == 403
    assert post({"uri": "rtsp://camera.local/stream"}).status_code == 403
    assert post({"uri": "0"}).status_code == 403
    assert post({"uri": str(allowed / "missing.mp4")}).status_code == 400
    assert post({"uri": "x" * 5000}).status_code == 422
    big = httpx.post(f"{url}/api/sources", content=b"{" + b" " * 20000 + b"}", headers={
        **auth, "Content-Type": "application/json"})
    assert big.status_code == 413
    shutil.copy(face_clip, allowed / "clip.mp4")
    made = post({"uri": str(allowed / "clip.mp4"), "name": "cam-1"})
    assert made.status_code == 201 and made.json()["name"] == "cam-1"
    assert post({"uri": str(allowed / "clip.mp4"), "name": "cam-1"}).status_code == 409
    assert post({"uri": str(allowed / "clip.mp4"), "name": "../x"}).status_code == 400
    assert httpx.delete(f"{url}/api/sources/cam-1", headers=auth).status_code == 204
    assert httpx.delete(f"{url}/api/sources/cam-1", headers=auth).status_code == 404
    assert httpx.get(f"{url}/api/sources", headers=auth).json() == []


def test_slow_processing_drops_frames_instead_of_queueing(ped2_clip, monkeypatch):
    stored = []
    spec = SourceSpec(str(ped2_clip), "slow", SHOWN, calibrate_seconds=2.0, queue_frames=4, loop=False)
    live = LiveSource(spec, lambda *a: stored.append(a)).start()
    process = live._anonymizer.process

    def slow(*args, **kwargs):
        time.sleep(0.08)  # at most 12.5 frames/s against a 25 frames/s source
        return process(*args, **kwargs)

    monkeypatch.setattr(live._anonymizer, "process", slow)
    deadline = time.monotonic() + 30
    peak_queue = 0
    while live.metrics.frames_in < 150 and time.monotonic() < deadline:
        peak_queue = max(peak_queue, live._frames.qsize())
        time.sleep(0.01)
    live.stop()
    m = live.metrics
    assert m.dropped > m.frames_in / 4  # about half must go
    assert peak_queue <= spec.queue_frames
    assert m.frames_shown + m.dropped <= m.frames_in <= m.frames_shown + m.dropped + spec.queue_frames + 2


def test_failing_anonymizer_never_shows_a_raw_frame(ped2_clip, ped2_frames):
    spec = SourceSpec(str(ped2_clip), "broken", AnonymizeConfig(method="adaptive_blur", targets=["motion"]),
                      calibrate_seconds=2.0, realtime=False, loop=False)
    live = LiveSource(spec, lambda *a: None).start()

    def fail(*_a, **_k):
        raise RuntimeError("detector down")

    live._anonymizer.regions = fail  # every frame's detection fails: fail closed
    frame = live.wait_frame(5, timeout=20)
    live.stop()
    assert frame is not None and live.metrics.incidents > 0
    got = cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR)
    raw = read_all(ped2_clip)[0][frame.index]
    assert cv2.PSNR(got, raw) < 25  # a flattened frame, not the input


@pytest.mark.browser
def test_page_shows_chart_and_an_event_in_chromium(ped2_clip, ped2_model, tmp_path):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    settings = ServeSettings(data_dir=tmp_path, anonymize=SHOWN, model=ped2_model, token="s3cret")
    with BackgroundServer(settings, [str(ped2_clip)]) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            page.goto(f"{url}/?token=s3cret")
            page.wait_for_selector("img.live[data-frame]", timeout=30_000)
            page.wait_for_function("Number(document.querySelector('canvas.chart')?.dataset.points) > 10",
                                   timeout=30_000)
            page.wait_for_selector("#events .event", timeout=60_000)
            page.click("#events .event")
            page.wait_for_selector("#detail:not([hidden]) #detail-image[src*='thumbnail']", timeout=10_000)
            latencies = page.evaluate("window.privad.latencies")
            page.screenshot(path=str(tmp_path / "page.png"))
            docs = browser.new_page()  # the API docs render with every request kept on this server (offline)
            docs.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
                       else route.abort())
            docs.goto(f"{url}/docs?token=s3cret")
            docs.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        finally:
            browser.close()
    assert latencies and min(latencies) >= 0


def test_postgresql_store_when_a_server_is_given():
    """Runs where PRIVAD_TEST_POSTGRES holds a database URL (e.g. postgresql+psycopg://user:pw@127.0.0.1/db)."""
    import os

    url = os.environ.get("PRIVAD_TEST_POSTGRES")
    if not url:
        pytest.skip("set PRIVAD_TEST_POSTGRES to a PostgreSQL URL to test the PostgreSQL store")
    from privad.types import Event

    store = EventStore(url)
    before, _ = store.list(source="pg-test")
    new = store.add("pg-test", Event(10, 40, 20, 3.5, 0.4, 1.64), 1.0, b"\xff\xd8jpeg")
    total, rows = store.list(source="pg-test", limit=1)
    assert total == before + 1 and rows[0]["id"] == new and store.thumbnail(new) == b"\xff\xd8jpeg"
    store.close()
    again = EventStore(url)  # a new connection (a restart) sees the same rows
    assert again.get(new)["peak_frame"] == 20
    again.close()


def test_stream_scorer_never_scores_across_a_gap(ped2_model, ped2_clip):
    from privad.engine.stream import StreamScorer
    from privad.vad import load_model

    model, view = load_model(ped2_model)
    frames = anonymized(read_all(ped2_clip)[0], view)
    gapped = StreamScorer(model, 25.0, window=20)
    scores = {}
    for i, f in enumerate(frames):
        if not 60 <= i < 70:
            scores.update(gapped.push(i, f).scores)
    scores.update(gapped.end().scores)
    assert sorted(scores) == [i for i in range(len(frames)) if not 60 <= i < 70]
    fresh = StreamScorer(model, 25.0, window=20)  # the run after the gap, scored alone from its start
    after = {}
    for i in range(70, len(frames)):
        after.update(fresh.push(i, frames[i]).scores)
    after.update(fresh.end().scores)
    assert after == {i: scores[i] for i in range(70, len(frames))}
    short = StreamScorer(model, 25.0, window=20)
    for i in (*range(0, 12), *range(30, 80)):  # 12 frames, then a gap: too short to score without context
        short.push(i, frames[i])
    short.end()
    assert short.unscored == 12


def test_the_service_holds_blas_at_one_thread_while_it_lives(tmp_path):
    """As `privad run`: the blur's process-wide BLAS limit must not decide, by timing, how a scorer sums."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from privad.serve.service import Service

    def blas_threads() -> set[int]:
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    with threadpool_limits(limits=2, user_api="blas"):
        service = Service(ServeSettings(data_dir=tmp_path))
        assert blas_threads() == {1}
        service.close()
        assert blas_threads() == {2}


def test_serve_refuses_no_anonymization_and_bad_sources(tmp_path):
    from privad.errors import PrivadError
    from privad.serve import prepare

    with pytest.raises(PrivadError, match="'no-an' is refused"):
        prepare(ServeSettings(data_dir=tmp_path / "a", anonymize=AnonymizeConfig(method="no-an")), [])
    with pytest.raises(PrivadError, match="input not found"):
        prepare(ServeSettings(data_dir=tmp_path / "b"), [str(tmp_path / "missing.mp4")])
    assert not (tmp_path / "b").exists()  # nothing written for a bad start


def test_http_stream_source_is_shown_and_reconnects(ped2_frames, tmp_path):
    import functools
    import http.server

    from media import write_video

    write_video(tmp_path / "cam.mp4", ped2_frames[:30])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        spec = SourceSpec(f"http://127.0.0.1:{httpd.server_address[1]}/cam.mp4", "cam", SHOWN, calibrate_seconds=1.0)
        live = LiveSource(spec, lambda *a: None).start()
        deadline = time.monotonic() + 30
        while live.metrics.source_errors < 1 and time.monotonic() < deadline:  # the stream ends: reconnect
            time.sleep(0.1)
        frame = live.wait_frame(35, timeout=20)  # frames after the reconnect
        deadline = time.monotonic() + 20
        while live.status != "running" and time.monotonic() < deadline:  # calibrated on 1 s, then scoring
            time.sleep(0.1)
        live.stop()
    finally:
        httpd.shutdown()
    assert live.metrics.source_errors >= 1 and frame is not None and live.status == "running"
    assert live.threshold is not None  # calibrated across the reconnect


def test_calibration_finishes_under_half_the_frames_dropped_with_a_bounded_buffer(ped2):
    """Half the frames dropped at random (a loaded machine): runs of consecutive frames are short, yet calibration
    finishes by twice its time, the buffer never holds more than the calibration's frames, and every later frame is
    counted, scored or (in a run too short to score alone) unscored."""
    from privad.engine.stream import StreamScorer

    frames = read_all(ped2 / "training" / "frames" / "01")[0] + read_all(ped2 / "training" / "frames" / "02")[0]
    need = 100
    scorer = StreamScorer(None, 10.0, window=20, calibrate_frames=need, calibrate_width=None)
    keep = np.random.default_rng(0).random(len(frames)) > 0.5
    held, finished, scored, after = 0, None, 0, 0
    for i in np.flatnonzero(keep):
        out = scorer.push(int(i), frames[i])
        held = max(held, sum(map(len, scorer._segments)))
        if finished is not None:
            after += 1
        elif not scorer.calibrating:
            finished = int(i)
        scored += len(out.scores)
    scored += len(scorer.end().scores)
    assert finished is not None and finished <= 2 * need + 20, finished
    assert held <= need
    assert scorer.threshold is not None and scored + scorer.unscored == after


def test_host_origin_docs_and_odd_requests_are_refused(guarded, face_clip):
    """DNS rebinding (a foreign Host), a WebSocket from another site's page, the API schema without the token, a NUL
    byte in a source and an event id past 64 bits: each refused with a 4xx, never a 500."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    url, allowed = guarded
    auth = {"Authorization": "Bearer s3cret"}
    assert httpx.get(f"{url}/api/health", headers={"Host": "evil.example"}).status_code == 400
    assert httpx.get(f"{url}/api/health", headers={"Host": "localhost"}).status_code == 200
    for path in ("/openapi.json", "/docs"):
        assert httpx.get(f"{url}{path}").status_code == 401
        assert httpx.get(f"{url}{path}", headers=auth).status_code == 200
    assert "/api/events" in httpx.get(f"{url}/openapi.json", headers=auth).json()["paths"]
    page = httpx.get(f"{url}/docs", headers=auth).text
    assert "cdn" not in page and "https://" not in page  # the docs page loads nothing from elsewhere
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs-assets/{asset}" in page and httpx.get(f"{url}/docs-assets/{asset}").status_code == 200
    with httpx.Client() as client:  # one kept-alive connection: it must survive the odd requests
        assert client.post(f"{url}/api/sources", json={"uri": "clip\x00.mp4"}, headers=auth).status_code == 400
        assert client.get(f"{url}/api/events/99999999999999999999", headers=auth).status_code == 422
        assert client.get(f"{url}/api/events/99999999999999999999/thumbnail.jpg", headers=auth).status_code == 422
        assert client.get(f"{url}/api/events/12345", headers=auth).status_code == 404
    import shutil

    shutil.copy(face_clip, allowed / "ws.mp4")
    assert httpx.post(f"{url}/api/sources", json={"uri": str(allowed / "ws.mp4"), "name": "ws"},
                      headers=auth).status_code == 201
    ws_url = url.replace("http://", "ws://") + "/api/sources/ws/ws"
    try:
        with pytest.raises((ConnectionClosed, InvalidStatus)):  # another site's page, even with the token
            with connect(ws_url + "?token=s3cret", origin="http://evil.example", open_timeout=5) as ws:
                ws.recv(timeout=5)
        with connect(ws_url, additional_headers=auth, open_timeout=5) as ws:  # token in the header
            assert "index" in json.loads(ws.recv(timeout=10))
        origin = url.replace("127.0.0.1", "localhost")
        with connect(ws_url + "?token=s3cret", origin=origin, open_timeout=5) as ws:  # the page's own origin
            assert isinstance(ws.recv(timeout=10), str)
    finally:
        httpx.delete(f"{url}/api/sources/ws", headers=auth)


def test_links_out_of_an_allowed_folder_are_refused(guarded, ped2, tmp_path):
    """A frame folder inside the allowed folder whose frame links to a file elsewhere is not opened."""
    url, allowed = guarded
    auth = {"Authorization": "Bearer s3cret"}
    frames = allowed / "linked"
    frames.mkdir()
    outside = sorted((ped2 / "testing" / "frames" / "01").iterdir())
    for i, f in enumerate(outside[:12]):
        (frames / f"{i:03d}{f.suffix}").symlink_to(f)
    made = httpx.post(f"{url}/api/sources", json={"uri": str(frames)}, headers=auth)
    assert made.status_code == 403 and "links are followed" in made.json()["detail"]
    (allowed / "video.mp4").symlink_to(tmp_path / "elsewhere.mp4")
    assert httpx.post(f"{url}/api/sources", json={"uri": str(allowed / "video.mp4")}, headers=auth).status_code == 403


def test_scorer_thread_priority_is_lowered_and_the_rest_keep_theirs():
    """`lower_priority` raises the nice value of the calling thread only (Linux threads have their own)."""
    import os

    from privad.serve.live import lower_priority

    if not hasattr(os, "setpriority"):
        pytest.skip("no per-thread priorities here")
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen = {}

    def worker():
        lower_priority(5)
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen["nice"] == min(19, before + 5)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_a_bad_model_setting_still_stops_calibration_with_its_message():
    """The model is built on a thread from the start; its error reaches the caller with the first frame (which is
    held at the size that model would analyse it)."""
    from privad.engine.stream import StreamScorer
    from privad.errors import PrivadError

    scorer = StreamScorer(None, 10.0, window=20, calibrate_frames=10, calibrate_width=None,
                          model_config={"no_such": 1})
    with pytest.raises(PrivadError, match="no_such"):
        scorer.push(0, np.zeros((60, 80, 3), np.uint8))


def test_settings_given_reach_every_calibrated_source(ped2_clip, tmp_path, monkeypatch):
    """`privad serve --set` (ServeSettings.model_config) is what each source's calibrating scorer builds its model
    with."""
    import privad.serve.live as live
    from privad.serve import prepare

    given, made = [], threading.Event()

    class Recording(live.StreamScorer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            given.append(kwargs.get("model_config"))
            made.set()

    monkeypatch.setattr(live, "StreamScorer", Recording)
    _, service = prepare(ServeSettings(data_dir=tmp_path, anonymize=SHOWN, model_config={"border": "keep"}),
                         [str(ped2_clip)])
    try:
        assert made.wait(60), "no scorer was made"
        assert given == [{"border": "keep"}]
    finally:
        service.close()
