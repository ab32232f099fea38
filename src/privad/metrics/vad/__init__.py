"""Anomaly-detection metrics: frame-level AUC/AP/EER, region/track RBDC/TBDC, the results schema."""
