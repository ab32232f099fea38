"""Score files: scores.csv (frame, score) and regions.csv (frame, x1, y1, x2, y2, score)."""

from __future__ import annotations

import csv
from pathlib import Path

from privad.types import VideoScore


def write_csv(path: Path, header: list[str], rows) -> None:
    with Path(path).open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_scores(folder: Path, result: VideoScore) -> None:
    """FOLDER/scores.csv (frame, score) and FOLDER/regions.csv (frame, x1, y1, x2, y2, score)."""
    write_csv(folder / "scores.csv", ["frame", "score"], ((i, f"{s:.6f}") for i, s in enumerate(result.frames)))
    write_csv(folder / "regions.csv", ["frame", "x1", "y1", "x2", "y2", "score"],
              ((f, round(a, 1), round(b, 1), round(c, 1), round(d, 1), f"{s:.6f}")
               for f, a, b, c, d, s in result.regions))
