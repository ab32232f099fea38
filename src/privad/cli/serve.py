"""`privad serve`: the live service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from privad.cli.options import Config, Method, ModelFile, Set, Targets, Templates, Weights, err, key_values, overlay


def serve(
    sources: Annotated[Optional[list[str]], typer.Argument(help="Sources to start with: video files (looped), frame folders, webcam index, stream URL.")] = None,
    host: Annotated[str, typer.Option(help="Address to bind. Beyond loopback a bearer token is required.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    token: Annotated[Optional[str], typer.Option(envvar="PRIVAD_TOKEN", help="Bearer token for the API and page (made and printed when binding beyond loopback without one).")] = None,
    data_dir: Annotated[Path, typer.Option(help="Folder for the SQLite event store.")] = Path("privad-serve"),
    db: Annotated[Optional[str], typer.Option(help="Database URL instead of SQLite, e.g. postgresql+psycopg://user:pw@host/db.")] = None,
    allow_dir: Annotated[Optional[list[Path]], typer.Option(help="Folder whose files may be added through the API (repeatable).")] = None,
    allow_streams: Annotated[bool, typer.Option(help="Allow stream URLs to be added through the API.")] = False,
    allow_devices: Annotated[bool, typer.Option(help="Allow webcams to be added through the API.")] = False,
    method: Method = None,
    targets: Targets = None,
    weights: Weights = None,
    templates: Templates = None,
    config: Config = None,
    model: ModelFile = None,
    calibrate: Annotated[float, typer.Option(help="No --model: fit on each source's first SECONDS (the default method on motion) as normal.")] = 10.0,
    set_: Set = None,
    loop: Annotated[bool, typer.Option("--loop/--no-loop", help="Start video files again at their end.")] = True,
    allowed_host: Annotated[Optional[list[str]], typer.Option(help="Host name the page and API answer to besides localhost and --host, e.g. cam.example.org (repeatable; *.example.org for subdomains).")] = None,
) -> None:
    """Live service: anonymized view (default: adaptive_max_blur on faces), anomaly score timeline and events (page at /,
    API at /api, /openapi.json). --set: settings of the models calibrated on each source."""
    from privad.protect.config import AnonymizeConfig, load_config
    from privad.serve import ServeSettings
    from privad.serve import serve as run_server

    from privad.engine.stream import check_calibration_settings

    model_config = key_values(set_) or None
    check_calibration_settings(model, model_config)  # clear errors before anything starts
    if model is not None:
        from privad.vad import load_model

        load_model(model)
    base = load_config(config) if config else AnonymizeConfig(targets=["faces"])
    shown = overlay(base, method=method, targets=targets,
                    **{"learned.weights": weights, "selective.templates": templates})
    settings = ServeSettings(host=host, port=port, token=token, data_dir=data_dir, db=db,
                             allow_dirs=list(allow_dir or []), allow_streams=allow_streams, allow_devices=allow_devices,
                             anonymize=shown, model=model, calibrate_seconds=calibrate, model_config=model_config,
                             loop=loop,
                             allowed_hosts=list(allowed_host or []))

    def announce(ready) -> None:
        if ready.token and not token:
            err.print(f"token (needed for the page and API): {ready.token}", markup=False)
        where = f"[{host}]" if ":" in host else host
        err.print(f"privad serve: http://{where}:{port}/" + (f"?token={ready.token}" if ready.token else "")
                  + "  (Ctrl-C stops)", markup=False)

    run_server(settings, list(sources or []), announce)


def register(app: typer.Typer) -> None:
    app.command()(serve)
