"""`privad serve` under load: one 640x360 source (the sample face clip, looped at its 29.97 fps) with faces and the
default anonymization settings and the default model (calibrated on the first 10 s), watched by the page in
headless Chromium. Prints JSON. Usage:
    python benchmarks/bench_serve.py [--minutes 10] [--no-browser] [--set detect_every=2 ...]

- fps: frames shown per second over the run after the first minute (the source offers 29.97);
- latency: frame read from the source → its JPEG received by the page (page clock = server clock: same machine),
  and → published by the server;
- memory: this process's RSS (server and benchmark; Chromium not included) every 30 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from privad.device import resolve
from privad.protect.config import AnonymizeConfig
from privad.io.sample_data import data_path
from privad.serve import BackgroundServer, ServeSettings
from privad.serve.app import rss_mib


def _page(url: str):
    from playwright.sync_api import sync_playwright

    p = sync_playwright().start()
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])
    page = browser.new_page()
    page.goto(url)
    return p, browser, page


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--set", action="append", default=[], help="anonymization setting KEY=VALUE")
    args = parser.parse_args()
    import yaml

    extra = {k: yaml.safe_load(v) for k, _, v in (item.partition("=") for item in args.set)}
    clip = data_path("faces", "short_hamilton_clip.mp4")
    settings = ServeSettings(data_dir=Path(tempfile.mkdtemp(prefix="privad-bench-serve-")),
                             anonymize=AnonymizeConfig(targets=["faces"], **extra))
    samples, page_latency = [], []
    with BackgroundServer(settings, [str(clip)]) as url:
        browser = None
        if not args.no_browser:
            pw, browser, page = _page(url)
        start = time.monotonic()
        end = start + 60 * args.minutes
        while time.monotonic() < end:
            time.sleep(30)
            m = _metrics(url)
            samples.append({"t": round(time.monotonic() - start), "rss_mib": round(rss_mib(), 1), **m})
            if browser is not None:
                page_latency += page.evaluate("window.privad.latencies.splice(0)")
        if browser is not None:
            browser.close()
            pw.stop()
    after = [s for s in samples if s["t"] >= 60] or samples
    first, last = after[0], after[-1]
    fps = (last["frames_shown"] - first["frames_shown"]) / max(1, last["t"] - first["t"])
    rss = [s["rss_mib"] for s in after]
    out = {
        "minutes": args.minutes, "source": "640x360 at 29.97 fps, faces, default settings, default model calibrated",
        "settings": extra,
        "sustained_fps": round(fps, 2),
        "dropped_share": round(last["dropped_frames"] / max(1, last["frames_in"]), 3),
        "fail_closed_incidents": last["fail_closed_incidents"],
        "frames_scored": last["frames_scored"], "events": last["events"],
        "server_latency_ms_median": last["latency_ms_median"],
        "page_latency_ms": None if not page_latency else {
            "median": round(statistics.median(page_latency), 1),
            "p90": round(sorted(page_latency)[int(0.9 * len(page_latency))], 1), "frames": len(page_latency)},
        "rss_mib_after_1_min": rss[0], "rss_mib_at_end": rss[-1], "rss_mib_max": max(rss),
        "samples": samples,
        "device": resolve(),
    }
    print(json.dumps(out, indent=2))


def _metrics(url: str) -> dict:
    import httpx

    return httpx.get(f"{url}/api/metrics").json()["sources"]["short_hamilton_clip"]


if __name__ == "__main__":
    main()
