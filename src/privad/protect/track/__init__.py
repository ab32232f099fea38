"""Tracking: ByteTrack association plus hold-over of lost regions."""

from privad.protect.track.holdover import RegionTracker

__all__ = ["RegionTracker"]
