"""The protect half: detect, track and anonymize frames, failing closed; anonymizer training."""
