"""Jobs built from the layers below: fit, evaluate, run, stream scoring, features, trade-off, bench, executors."""
