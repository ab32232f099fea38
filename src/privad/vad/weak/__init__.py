"""Weakly-supervised models on clip features (mil, mgfn, pel) and the clip-feature extractors."""
