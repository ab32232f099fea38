"""Metrics: privacy leakage (identity), and later VAD quality."""
