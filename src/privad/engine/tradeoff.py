"""The privacy–utility trade-off: every method at every grid setting, on a utility dataset and a privacy clip.

For each setting (method + parameters, always with `no-an` as the raw reference):
- utility: the default one-class model fitted and scored on the dataset with every moving object anonymized by the
  setting (targets `motion`) — micro/macro AUC, RBDC, TBDC;
- privacy: the privacy clip anonymized with the setting on faces (targets `faces`) and judged by dlib
  (`privad.metrics.privacy.faces`) — residual faces, identity leakage, oracle leakage;
- cost: `privad.engine.bench` on the privacy clip in a fresh process — ms/frame, fps, peak MiB;
- f_λ = (1 − λ)·micro AUC + λ·(1 − oracle leakage) for λ in {0.25, 0.5, 0.75}.

Each setting's row is cached in OUTDIR/cache/ under a key of everything it depends on, so a rerun only computes new
settings.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from privad.protect.config import AnonymizeConfig, MethodParams
from privad.errors import PrivadError

LAMBDAS = (0.25, 0.5, 0.75)
FAST = {"max_train": 2, "max_test": 2, "privacy_frames": (85, 125)}  # the reduced configuration of --fast


@dataclass(frozen=True)
class Setting:
    method: str
    params: tuple[tuple[str, float], ...] = ()

    @property
    def label(self) -> str:
        return self.method + (" (" + ", ".join(f"{k}={v:g}" for k, v in self.params) + ")" if self.params else "")

    def config(self, targets: list[str], extra: dict | None = None) -> AnonymizeConfig | None:
        """The setting for one side; `extra` holds further settings (templates, weights)."""
        if self.method == "no-an":
            return None
        return AnonymizeConfig.model_validate({"method": self.method, "targets": targets,
                                               "params": dict(self.params), **(extra or {})})


def parse_grid(items: list[str] | None) -> dict[str, list[float]]:
    """`alpha_mask_scale=0.5,1,2` items → {name: values}; names must be method parameters."""
    grid: dict[str, list[float]] = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        if not sep or name not in MethodParams.model_fields:
            raise PrivadError(f"--grid expects PARAM=V1,V2,... with PARAM one of {', '.join(MethodParams.model_fields)}"
                              f"; got '{item}'")
        try:
            grid[name] = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise PrivadError(f"--grid {name}: values must be numbers, got '{values}'") from None
    return grid


def settings(methods: list[str], grid: dict[str, list[float]]) -> list[Setting]:
    """`no-an` first, then every method at each combination of the grid parameters it uses (defaults otherwise)."""
    from privad.protect.methods import get_method

    out = [Setting("no-an")]
    for name in methods:
        if name == "no-an":
            continue
        used = [k for k in grid if k in get_method(name).params]
        for values in itertools.product(*(grid[k] for k in used)):
            out.append(Setting(name, tuple(zip(used, values))))
    return out


@dataclass
class TradeoffInputs:
    """Where the data is: a utility dataset (name and root) and a privacy clip with reference photos."""

    dataset: str
    root: Path
    clip: Path
    references: list[Path]
    fast: bool = False
    templates: dict[str, Path] = field(default_factory=dict)  # "utility"/"privacy" → templates for `selective`
    weights: Path | None = None  # the anonymizer of `learned` (both sides)

    def config(self, setting: Setting, side: str) -> AnonymizeConfig | None:
        """The setting's anonymization on one side ("utility": moving objects, "privacy": faces)."""
        extra = {}
        if setting.method == "selective":
            if side not in self.templates:
                raise PrivadError(f"method 'selective' needs --{side}-templates")
            extra = {"selective": {"templates": self.templates[side]}}
        if setting.method == "learned":
            if self.weights is None:
                raise PrivadError("method 'learned' needs --weights (an anonymizer from 'privad train-anonymizer')")
            extra = {"learned": {"weights": self.weights}}
        return setting.config(["motion"] if side == "utility" else ["faces"], extra)

    def key(self, setting: Setting) -> str:
        from privad.version import __version__

        parts = [setting.method, setting.params, self.dataset, str(self.root), str(self.clip),
                 sorted(map(str, self.references)), self.fast, __version__]
        if setting.method == "selective":
            parts.append({k: str(v) for k, v in sorted(self.templates.items())})
        if setting.method == "learned" and self.weights is not None and Path(self.weights).is_file():
            parts.append(hashlib.sha1(Path(self.weights).read_bytes()).hexdigest())  # retrained weights: recompute
        blob = json.dumps(parts, default=str)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


def _clip_frames(inputs: TradeoffInputs) -> list[np.ndarray]:
    from privad.io.sources import read_all

    frames = read_all(inputs.clip)[0]
    if inputs.fast:
        a, b = FAST["privacy_frames"]
        frames = frames[a:b]
    return frames


class _Privacy:
    """The judge and its view of the raw clip, loaded once."""

    def __init__(self, inputs: TradeoffInputs):
        from privad.metrics.privacy.identity import IdentityJudge
        from privad.metrics.privacy.faces import raw_faces

        self.frames = _clip_frames(inputs)
        self.judge = IdentityJudge(inputs.references)
        self.raw = raw_faces(self.judge, self.frames)

    def __call__(self, config: AnonymizeConfig | None) -> dict:
        from privad.metrics.privacy.faces import privacy_report
        from privad.engine.views import anonymized

        return privacy_report(self.judge, self.raw, anonymized(self.frames, config)).summary()


def _utility(inputs: TradeoffInputs, config: AnonymizeConfig | None) -> dict:
    from privad.data import load_dataset
    from privad.engine.evaluate import evaluate

    limits = {"max_train": FAST["max_train"], "max_test": FAST["max_test"]} if inputs.fast else {}
    r = evaluate(load_dataset(inputs.dataset, inputs.root), anonymize=config, **limits)
    return {"micro_auc": r.micro_auc, "macro_auc": r.macro_auc, "rbdc": r.rbdc, "tbdc": r.tbdc,
            "fit_seconds": r.fit_seconds, "score_fps": r.score_fps}


def _cost(inputs: TradeoffInputs, setting: Setting) -> dict:
    from privad.engine.bench import bench_isolated

    config = inputs.config(setting, "privacy") or AnonymizeConfig(method="no-an")
    b = bench_isolated(inputs.clip, config, max_frames=FAST["privacy_frames"][1] if inputs.fast else None)
    return {"fps": b["fps"], "ms_per_frame": b["total_ms_per_frame"], "peak_mib": b["peak_mib"]}


_PRIVACY: dict[tuple, _Privacy] = {}


def compute_row(inputs: TradeoffInputs, s: Setting) -> dict:
    """One task: utility, privacy and cost of one setting. The privacy judge is loaded once per process."""
    key = (str(inputs.clip), tuple(map(str, inputs.references)), inputs.fast)
    if key not in _PRIVACY:
        _PRIVACY[key] = _Privacy(inputs)
    return {"setting": s.label, "method": s.method, "params": dict(s.params),
            "utility": _utility(inputs, inputs.config(s, "utility")),
            "privacy": _PRIVACY[key](inputs.config(s, "privacy")),
            "cost": _cost(inputs, s)}


def run_tradeoff(inputs: TradeoffInputs, chosen: list[Setting], outdir: Path,
                 progress: Callable[[str, bool], None] | None = None, recost: bool = False,
                 executor=None) -> list[dict]:
    """Compute (or read from the cache) one row per setting; write tradeoff.csv/.md/.png/.json in `outdir`.

    Settings not in the cache are computed as one task each of `executor` (default: in this process), and cached as
    each finishes. `progress(label, cached)` is called after each setting. `recost` measures the cost columns of
    cached rows again (timings depend on what else the machine was doing: tasks running side by side slow each
    other's cost columns too). A failed setting is named in the error raised after the outputs of the others are
    written."""
    from privad.engine.executor import LocalExecutor, failures_line
    from privad.engine.workdir import WorkDir

    outdir = Path(outdir)
    cache = WorkDir(outdir / "cache", {"rows": "one per setting, named by the key of everything it depends on"})
    rows: dict[str, dict] = {}
    todo: dict[str, tuple] = {}
    for s in chosen:
        path = cache.folder / f"{inputs.key(s)}.json"
        if not cache.done(inputs.key(s), path):
            todo[s.label] = (inputs, s)
            continue
        row = json.loads(path.read_text())
        if recost:
            row["cost"] = _cost(inputs, s)
            _save(path, row)
        rows[s.label] = row
        if progress:
            progress(s.label, True)
    by_label = {s.label: s for s in chosen}

    def done(outcome) -> None:
        if outcome.ok:
            rows[outcome.key] = outcome.value
            key = inputs.key(by_label[outcome.key])
            _save(cache.folder / f"{key}.json", outcome.value)
            cache.mark(key)
        if progress:
            progress(outcome.key, False)

    failed = failures_line((executor or LocalExecutor()).run(compute_row, todo, done))
    ordered = [rows[s.label] for s in chosen if s.label in rows]
    for row in ordered:
        row["f_lambda"] = {str(lam): _f(row, lam) for lam in LAMBDAS}
    if ordered:
        write_outputs(ordered, outdir)
    if failed:
        raise PrivadError(f"trade-off: {failed}")
    return ordered


def _save(path: Path, row: dict) -> None:
    from privad.io.atomic import write_text

    write_text(path, json.dumps({k: v for k, v in row.items() if k != "f_lambda"}, indent=2))


def _f(row: dict, lam: float) -> float:
    from privad.metrics.privacy.faces import f_lambda

    return f_lambda(row["utility"]["micro_auc"], row["privacy"]["oracle_leak"], lam)


COLUMNS = [
    ("setting", lambda r: r["setting"]),
    ("micro_auc", lambda r: r["utility"]["micro_auc"]), ("macro_auc", lambda r: r["utility"]["macro_auc"]),
    ("rbdc", lambda r: r["utility"]["rbdc"]), ("tbdc", lambda r: r["utility"]["tbdc"]),
    ("residual_face_rate", lambda r: r["privacy"]["residual_face_rate"]),
    ("identity_frames", lambda r: r["privacy"]["identity_frames"]),
    ("oracle_leak", lambda r: r["privacy"]["oracle_leak"]),
    ("fps", lambda r: r["cost"]["fps"]), ("ms_per_frame", lambda r: r["cost"]["ms_per_frame"]),
    ("peak_mib", lambda r: r["cost"]["peak_mib"]),
    *[(f"f_{lam}", lambda r, lam=lam: r["f_lambda"][str(lam)]) for lam in LAMBDAS],
]


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both axes (lower leakage x, higher utility y), by x."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -np.inf
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def write_outputs(rows: list[dict], outdir: Path) -> None:
    """tradeoff.json, tradeoff.csv, tradeoff.md and tradeoff.png."""
    from privad.report.plots import tradeoff_plot

    outdir = Path(outdir)
    (outdir / "tradeoff.json").write_text(json.dumps(rows, indent=2))
    with (outdir / "tradeoff.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([name for name, _ in COLUMNS])
        w.writerows([[get(r) for _, get in COLUMNS] for r in rows])

    def cell(v) -> str:
        if isinstance(v, float):
            return f"{100 * v:.1f}" if abs(v) <= 1 else f"{v:.1f}"
        return "–" if v is None else str(v)

    md = ["| " + " | ".join(name for name, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    md += ["| " + " | ".join(cell(get(r)) for _, get in COLUMNS) + " |" for r in rows]
    (outdir / "tradeoff.md").write_text(
        "AUCs, rates and f_λ in %; identity_frames is a count; fps, ms/frame and MiB as measured.\n\n"
        + "\n".join(md) + "\n")
    points = [(r["privacy"]["oracle_leak"], r["utility"]["micro_auc"]) for r in rows]
    tradeoff_plot(points, [r["setting"] for r in rows], pareto_front(points), outdir / "tradeoff.png")
