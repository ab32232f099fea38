"""Frame sources (video, image, folder, webcam, stream) and atomic sinks."""

from privad.io.sinks import Sink, open_sink
from privad.io.sources import Source, SourceInfo, open_source
from privad.types import Frame

__all__ = ["Frame", "Sink", "Source", "SourceInfo", "open_sink", "open_source"]
