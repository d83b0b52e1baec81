"""`colorkit colorize`: check the output before any work, pick the style, run the preset, save image + JSON."""
from __future__ import annotations

import os
import sys
import tempfile

from colorlib import images, record
from colorlib.data import sha256_file
from colorlib.errors import ColorkitError, DivergenceError, Interrupted
from colorlib.paper.config import Config

EXIT_OK, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 3, 130


def run(args, config: Config) -> int:
    inputs = {"content": args.content}
    if args.style != "auto":
        inputs["style"] = args.style
    if config.init == "image" and config.init_image and os.path.exists(config.init_image):
        inputs["init_image"] = config.init_image
    if config.weights != "caffe":
        inputs["weights"] = config.weights
    check_output(args.output, inputs.values())
    ranking = None
    if args.style == "auto" or args.style_dir:
        args.style, ranking = auto_style(args)
        check_output(args.output, [args.style])
    inputs["style"] = args.style
    paths = _with_hashes({k: os.path.abspath(v) for k, v in inputs.items()})
    extra = {"paths": paths, **({"style_ranking": ranking} if ranking else {})}
    bar = Progress(config.iterations, args.quiet)

    def on_step(state):
        bar.update(state)
        if args.save_every and state.iteration % args.save_every == 0 and state.iteration < state.iterations:
            stem, ext = os.path.splitext(args.output)
            images.save(state.image(), f"{stem}_{state.iteration}{ext}")

    try:
        result = run_preset(args.preset, args.content, args.style, config, on_step)
    except Interrupted as exc:
        bar.close()
        record.save(exc.result, args.output, **extra)
        print(f"interrupted: the image so far is in {args.output} (JSON marked interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except DivergenceError as exc:
        bar.close()
        if exc.result is not None:
            record.save(exc.result, args.output, **extra)
        print(f"error: {exc}; saved to {args.output}", file=sys.stderr)
        return EXIT_DIVERGED
    bar.close()
    image_path, json_path = record.save(result, args.output, **extra)
    final = result.final
    losses = (f", content loss {final['content_loss']:.4g}, style loss {final['style_loss']:.4g}"
              if final.get("content_loss") is not None else "")
    print(f"wrote {image_path} and {json_path} ({len(result.history)} iterations, {result.run['seconds']:.1f} s"
          f"{losses})")
    return EXIT_OK


def run_preset(preset: str, content, style, config: Config, on_step=None):
    """The Result of `preset`: the paper's loop, with speed-ups ('fast'), or the exemplar method ('best',
    optimised on top with --iterations N)."""
    from colorlib.paper.colorize import colorize

    if preset == "fast":
        from colorlib.speedups.staged import FAST, colorize_faster

        return colorize_faster(content, style, config, FAST, on_step=on_step)
    if preset == "best":
        from colorlib.exemplar.method import colorize_exemplar

        start = colorize_exemplar(images.as_array(content, "content"), images.as_array(style, "style"), config.size)
        if config.iterations:
            print(f"notice: preset best with --iterations {config.iterations}: the exemplar result is optimised "
                  f"further with the paper's objective", file=sys.stderr)
        result = colorize(content, style, config, on_step=on_step, init_image=start)
        if not config.iterations:
            result.image = start  # exactly the exemplar result, not its round trip through the network input
        return result
    return colorize(content, style, config, on_step=on_step)


def check_output(path: str, inputs) -> None:
    """Fail before the run, not after it: a format Pillow cannot write, a folder that cannot be written, or an
    output that is one of the inputs (which the result would destroy)."""
    images.writable_format(path)
    if os.path.isdir(path):
        raise ColorkitError(f"{path}: is a directory; give an image file name")
    targets = (path, record.json_path(path))
    for source in inputs:
        for target in targets:
            if _same_file(source, target):
                raise ColorkitError(f"{path}: the output would overwrite the input {source}; choose another name")
    folder = os.path.dirname(os.path.abspath(path))
    existing = folder  # missing folders are created when the result is saved; probe the nearest that exists
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise ColorkitError(f"{path}: {existing} is a file, not a folder")
    try:  # a real probe: os.access says yes to root even where writing fails (read-only mounts, /proc)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=existing)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise ColorkitError(f"{path}: cannot write in folder {folder} ({exc.strerror or exc})") from None


def _same_file(a, b) -> bool:
    try:
        return os.path.samefile(a, b)  # follows symlinks, compares device and inode
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def auto_style(args) -> tuple[str, list]:
    """Style 'auto': rank --style-dir's images for the content, print them with scores, return the best and the
    ranking. A candidate that is the content's own colour original (same pixels once grayscaled) is skipped."""
    import numpy as np

    from colorlib import color
    from colorlib.evaluation import retrieval

    if args.style != "auto":
        raise ColorkitError("--style-dir is only used with style 'auto'")
    if not args.style_dir:
        raise ColorkitError("style 'auto' needs --style-dir DIR (a folder of colour candidates)")
    content = images.load(args.content)
    gray = color.to_gray(content)
    candidates, skipped = [], []
    for path in retrieval.list_candidates(args.style_dir):
        if _same_file(path, args.content):
            skipped.append(path)
            continue
        try:
            cand = images.load(path)
        except ColorkitError as exc:
            print(f"notice: skipping candidate {exc}", file=sys.stderr)
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
    ranking = retrieval.rank(content, candidates, device=getattr(args, "device", "auto"))
    for path, score in ranking:
        print(f"{score:.4f}  {os.path.basename(path)}", flush=True)
    return ranking[0][0], [{"path": os.path.abspath(p), "score": s} for p, s in ranking]


def _with_hashes(paths: dict) -> dict:
    """{"content": path, ...} plus "<name>_sha256" of each file's bytes (the run hashes decoded pixels)."""
    out = dict(paths)
    for key, path in paths.items():
        try:
            out[f"{key}_sha256"] = sha256_file(path)
        except OSError:  # missing or unreadable: colorize() reports it with the file's name
            pass
    return out


class Progress:
    """A tqdm bar on stderr, created at the first step so that errors before it stay one line."""

    def __init__(self, total: int, quiet: bool):
        self.total, self.quiet, self.bar = total, quiet, None

    def update(self, state) -> None:
        if self.bar is None and not self.quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="it", file=sys.stderr, dynamic_ncols=True)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(Lc=f"{state.content_loss:.3g}", Ls=f"{state.style_loss:.3g}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
