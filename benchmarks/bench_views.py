"""A model per camera view against one model for every view, on the constructed two-camera dataset of
`privad.data.synthetic.two_views` (in view a walkers cross at ~1 px/frame, in view b at ~6; view a's test video has
a walker at 7 px/frame). The same videos are evaluated with their views named and with none named. No real data.

Prints JSON. Usage:
    python benchmarks/bench_views.py [--kind objects] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile

from privad.cli.options import key_values
from privad.data.synthetic import as_one_view, two_views
from privad.engine.evaluate import evaluate
from privad.vad.registry import DEFAULT


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", default=DEFAULT)
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="a model setting, as privad's --set takes it")
    args = parser.parse_args()
    config = key_values(args.settings)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        data = two_views(root)
        for name, dataset in (("a model per view", data), ("one model for both views", as_one_view(data))):
            r = evaluate(dataset, kind=args.kind, config=config)
            rows.append({"setting": name, "micro_auc": round(100 * r.micro_auc, 1),
                         "macro_auc": round(100 * r.macro_auc, 1), "rbdc": round(100 * r.rbdc, 1) if r.rbdc else None,
                         "fit_seconds": round(r.fit_seconds, 1), "views": r.extra.get("views")})
    print(json.dumps({"kind": args.kind, "config": config, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
