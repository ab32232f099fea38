"""One resume rule for every resumable job (evaluate, run on many videos, features extract, tradeoff).

A job keeps its per-item results in a folder together with the settings that made them. An item counts as done only
when its result exists *and* was made with the same settings (a marker holds the settings' key), so a rerun resumes,
while a rerun with other settings into the same folder redoes its items (or is refused, for folders whose files only
make sense together).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from privad.errors import PrivadError
from privad.io.atomic import clean_stale, write_text


def settings_key(settings: object) -> str:
    """A short stable hash of JSON-able settings (paths and other objects by their text)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class WorkDir:
    """A results folder for one set of settings.

    `record` is the file (in the folder) that keeps the settings as JSON. When it holds other settings:
    `on_other="redo"` recomputes every item, `"refuse"` raises a PrivadError.
    """

    def __init__(self, folder: Path, settings: dict, record: str = "settings.json", on_other: str = "redo"):
        self.folder = Path(folder)
        self.settings = json.loads(json.dumps(settings, default=str))
        self.key = settings_key(self.settings)
        if self.folder.exists() and not self.folder.is_dir():
            raise PrivadError(f"output {self.folder} exists and is not a folder")
        path = self.folder / record
        if on_other == "refuse" and path.is_file() and settings_key(json.loads(path.read_text())) != self.key:
            raise PrivadError(f"{self.folder} holds results made with other settings; use another output folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        clean_stale(self.folder)
        write_text(path, json.dumps(self.settings, indent=2))
        self._marks = self.folder / ".privad-done"

    def done(self, name: str, result: Path) -> bool:
        """Whether `name`'s result exists and was made with these settings."""
        marker = self._marks / name
        return Path(result).exists() and marker.is_file() and marker.read_text() == self.key

    def mark(self, name: str) -> None:
        """Record that `name`'s result (already written) was made with these settings."""
        self._marks.mkdir(exist_ok=True)
        write_text(self._marks / name, self.key)

    def pending(self, items: dict[str, tuple], results: dict[str, Path]) -> dict[str, tuple]:
        """The items (name → task arguments) whose results are not done yet."""
        return {name: args for name, args in items.items() if not self.done(name, results[name])}
