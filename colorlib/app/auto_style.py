"""Style 'auto': rank --style-dir's images for the content and pick the best, skipping what cannot be used."""
from __future__ import annotations

import os
import sys

from colorlib import images
from colorlib.app.output_checks import same_file
from colorlib.errors import ColorkitError
from colorlib.paper.config import Config


def auto_style(args, config: Config | None = None) -> tuple[str, list]:
    """Style 'auto': rank --style-dir's images for the content, print them with scores, return the best and the
    ranking. Skipped with a notice: a candidate that is the content's own colour original (same pixels once
    grayscaled), one that cannot be read, and one too small for the network at the run's size or for ranking."""
    import numpy as np

    from colorlib import color
    from colorlib.evaluation import retrieval
    from colorlib.paper.vgg import last_layer, min_size

    if args.style != "auto":
        raise ColorkitError("--style-dir is only used with style 'auto'")
    if not args.style_dir:
        raise ColorkitError("style 'auto' needs --style-dir DIR (a folder of colour candidates)")
    config = config or Config()
    content = images.load(args.content)
    gray = color.to_gray(content)
    need = min_size(last_layer(config.content_layers + config.style_layers))
    style_size = max(1, round(config.size * config.style_size_ratio))
    rank_need = 2 * min_size(last_layer(retrieval.LAYERS))  # at least 2x2 positions for the channel statistics
    candidates, skipped = [], []
    for path in retrieval.list_candidates(args.style_dir):
        if same_file(path, args.content):
            skipped.append(path)
            continue
        try:
            cand = images.load(path)
        except ColorkitError as exc:
            print(f"notice: skipping candidate {exc}", file=sys.stderr)
            continue
        h, w = cand.shape[:2]
        small = min(h, w)
        if small < need or small * style_size / max(h, w) < need or small * retrieval.SIZE / max(h, w) < rank_need:
            print(f"notice: skipping candidate {path}: {w}x{h} px is too small (the network needs at least {need} "
                  f"px on each side at --size {config.size}, and {rank_need} px at the ranking's "
                  f"{retrieval.SIZE} px)", file=sys.stderr)
            continue
        if cand.shape == content.shape and np.abs(color.to_gray(cand) - gray).max() < 2 / 255:
            skipped.append(path)
        else:
            candidates.append(path)
    if skipped:
        print(f"notice: skipped {len(skipped)} candidate(s) that are the content's own original: "
              f"{', '.join(os.path.basename(p) for p in skipped)}", file=sys.stderr)
    if not candidates:
        raise ColorkitError(f"{args.style_dir}: no usable candidate images other than the content")
    ranking = retrieval.rank(content, candidates, device=getattr(args, "device", None) or config.device)
    for path, score in ranking:
        print(f"{score:.4f}  {os.path.basename(path)}", flush=True)
    return ranking[0][0], [{"path": os.path.abspath(p), "score": s} for p, s in ranking]
