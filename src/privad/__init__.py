"""privad: privacy-preserving video anomaly detection."""

from privad.api import RunSummary, anonymize_video
from privad.config import AnonymizeConfig, MethodParams
from privad.errors import PrivadError
from privad.pipeline import Anonymizer

__version__ = "0.1.0"

__all__ = ["AnonymizeConfig", "Anonymizer", "MethodParams", "PrivadError", "RunSummary", "__version__",
           "anonymize_video"]
