"""Style 'auto': rank --style-dir's images for the content and pick the best, skipping what cannot be used (and
saying why): the content's own colour original, found by structure (retrieval.is_own_original), an unreadable
file, one too small for the network or for ranking."""
from __future__ import annotations

import os
import sys

from colorlib import images
from colorlib.app.output_checks import same_file
from colorlib.errors import ColorkitError
from colorlib.paper.config import Config


def candidates(args) -> list[str]:
    """The --style-dir images style 'auto' may read (all of them: every one is an input the output must not
    overwrite); ColorkitError for 'auto' without --style-dir or --style-dir without 'auto'."""
    if args.style != "auto" and args.style_dir:
        raise ColorkitError("--style-dir is only used with style 'auto'")
    if args.style != "auto":
        return []
    if not args.style_dir:
        raise ColorkitError("style 'auto' needs --style-dir DIR (a folder of colour candidates)")
    from colorlib.evaluation import retrieval

    return retrieval.list_candidates(args.style_dir)


def auto_style(args, config: Config | None = None, found: list | None = None) -> tuple[str, list]:
    """Rank the candidates (`found`, default candidates(args)) for the content, print them with scores, return
    the best and the ranking [{"path", "score"}] best first. Skipped with a notice that says why: the content's
    own colour original (or the content itself), a file that cannot be read, one too small for the network at
    the run's size or for ranking."""
    from colorlib.evaluation import retrieval
    from colorlib.paper.vgg import last_layer, min_size

    found = candidates(args) if found is None else found
    config = config or Config()
    content = images.load(args.content)
    need = min_size(last_layer(config.content_layers + config.style_layers))
    style_size = max(1, round(config.size * config.style_size_ratio))
    rank_need = 2 * min_size(last_layer(retrieval.LAYERS))  # at least 2x2 positions for the channel statistics
    usable, own = [], []
    for path in found:
        if same_file(path, args.content):
            own.append(f"{os.path.basename(path)} (the content file)")
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
        score = retrieval.own_original_score(content, cand)
        if score is not None and score >= retrieval.OWN_ORIGINAL:
            own.append(f"{os.path.basename(path)} ({score:.3f})")
        else:
            usable.append(path)
    if own:
        print(f"notice: skipped {len(own)} candidate(s) as the content's own colour original (same aspect "
              f"ratio, lightness correlation at {retrieval.SCENE_SIDE}x{retrieval.SCENE_SIDE} px >= "
              f"{retrieval.OWN_ORIGINAL}): {', '.join(own)}", file=sys.stderr)
    if not usable:
        raise ColorkitError(f"{args.style_dir}: no usable candidate images other than the content")
    ranking = retrieval.rank(content, usable, device=getattr(args, "device", None) or config.device)
    for path, score in ranking:
        print(f"{score:.4f}  {os.path.basename(path)}", flush=True)
    return ranking[0][0], [{"path": p, "score": s} for p, s in ranking]
