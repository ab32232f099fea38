"""privad: privacy-preserving video anomaly detection.

The top-level names load on first use, so `import privad` (and `privad --help`) stays cheap.
"""

from __future__ import annotations

import importlib

from privad.errors import PrivadError
from privad.version import __version__

_LAZY = {
    "AnonymizeConfig": "privad.protect.config",
    "MethodParams": "privad.protect.config",
    "Anonymizer": "privad.protect.pipeline",
    "RunSummary": "privad.protect.video",
    "anonymize_video": "privad.protect.video",
}

__all__ = ["PrivadError", "__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'privad' has no attribute {name!r}")
