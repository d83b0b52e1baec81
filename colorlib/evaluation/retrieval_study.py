"""Does colorlib.evaluation.retrieval pick good style references? Checked on the ukiyo-e pairs of the kit's pairs.csv.

For each pair, all other prints of the data set are ranked for the grayscaled content: does the top one equal the
designated partner, and does a cheap method coloured with it give a ΔE2000 as low as with the partner?"""
from __future__ import annotations

import os

import numpy as np

from colorlib import color, data, images, tables
from colorlib.evaluation import metrics, retrieval
from colorlib.evaluation.runner import check_methods, iterations_for, run_method
from colorlib.record import versions, write_json

CHEAP_METHOD = "welsh"  # judges retrieved style references by the ΔE they lead to
TABLE_COLUMNS = ("content", "designated", "retrieved", "designated_rank", "delta_e_designated", "delta_e_retrieved",
                 "as_good")


def evaluate_retrieval(size: int, iterations: int = 0, *, profile: str | None = None, device="auto", seed: int = 0,
                       output_dir="results", method: str = CHEAP_METHOD, verbose: bool = True) -> list[dict]:
    """One row per ukiyo-e pair (see the module's doc), `method` run at `size` px (with `iterations` if it
    optimises). Writes retrieval.csv and retrieval.json (with retrieval_summary's numbers)."""
    check_methods([method])
    files = list(data.manifest())
    paths = {f: data.find(f) for f in files}
    rows = []
    for i, row in enumerate(data.pairs()):
        p = data.load_pair(i)
        truth = images.resize(p["truth"], size)
        cands = [paths[f] for f in files if f != row["content"]]
        ranking = retrieval.rank(color.to_gray(p["truth"]), cands, device=device)
        names = [os.path.basename(path) for path, _ in ranking]
        top = names[0]

        def delta_e(style_file, truth=truth):
            pair = dict(content=color.to_gray(truth), style=images.resize(images.load(paths[style_file]), size))
            img, _status, _seconds = run_method(method, pair, size=size, iterations=iterations_for(method, iterations),
                                                seed=seed, device=device)
            return metrics.delta_e2000(img, truth)

        de_designated = delta_e(row["style"])
        de_retrieved = de_designated if top == row["style"] else delta_e(top)
        partner = names.index(row["style"])
        rows.append(dict(content=row["content"], designated=row["style"], retrieved=top,
                         top1_agree=top == row["style"], designated_rank=partner + 1, candidates=len(names),
                         score_retrieved=ranking[0][1], score_designated=ranking[partner][1], method=method,
                         delta_e_designated=de_designated, delta_e_retrieved=de_retrieved,
                         as_good=de_retrieved <= de_designated))
        if verbose:
            print(f"{data.print_stem(row['content']):24s} retrieved {data.print_stem(top):24s} (partner ranked "
                  f"{partner + 1:2d}) {method} ΔE {de_retrieved:5.2f} vs partner {de_designated:5.2f}", flush=True)
    tables.write_csv(rows, os.path.join(output_dir, "retrieval.csv"))
    write_json(dict(profile=profile, size=size, seed=seed, method=method,
                    descriptor_layers=list(retrieval.LAYERS), descriptor_size=retrieval.SIZE,
                    **retrieval_summary(rows), rows=rows, versions=versions()),
               os.path.join(output_dir, "retrieval.json"))
    return rows


def retrieval_summary(rows: list[dict]) -> dict:
    """top1_agreement and as_good_rate (fractions), mean designated rank, mean ΔE with partner / retrieved."""
    n = len(rows)
    return dict(n=n, top1_agreement=sum(r["top1_agree"] for r in rows) / n,
                as_good_rate=sum(r["as_good"] for r in rows) / n,
                mean_designated_rank=float(np.mean([r["designated_rank"] for r in rows])),
                mean_delta_e_designated=float(np.mean([r["delta_e_designated"] for r in rows])),
                mean_delta_e_retrieved=float(np.mean([r["delta_e_retrieved"] for r in rows])))
