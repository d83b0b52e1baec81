"""`colorkit colorize`: check the output before any work, pick the style, run the preset, save image + JSON."""
from __future__ import annotations

import os
import re
import sys
import tempfile

from colorlib import file_input, images, record
from colorlib.data import sha256_file
from colorlib.errors import ColorkitError, DivergenceError, Interrupted
from colorlib.paper.config import Config

EXIT_OK, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 3, 130


def run(args, config: Config) -> int:
    inputs = {"content": args.content}
    if args.style != "auto":
        inputs["style"] = args.style
    if config.init == "image" and config.init_image and (os.path.exists(config.init_image)
                                                         or file_input.is_stdin(config.init_image)):
        inputs["init_image"] = config.init_image
    if config.weights != "caffe":
        inputs["weights"] = config.weights
    check_output(args.output, inputs.values(), save_every=args.save_every, iterations=config.iterations)
    ranking = None
    if args.style == "auto" or args.style_dir:
        args.style, ranking = auto_style(args, config)
        check_output(args.output, [args.style], save_every=args.save_every, iterations=config.iterations)
    inputs["style"] = args.style
    extra = {**({"style_ranking": ranking} if ranking else {})}
    voters = []
    if ranking and args.preset == "best":  # the next-ranked candidates vote too, as in the evaluation's 'best'
        from colorlib.evaluation.registry import VOTERS

        voters = [r["path"] for r in ranking[1:1 + VOTERS]]
        extra["voters"] = voters
        print(f"notice: preset best: the next {len(voters)} candidates vote too", file=sys.stderr)

    def save(result):
        """Image + JSON as one unit; the JSON's hashes are of the very bytes the run decoded."""
        return record.save(result, args.output, paths=_with_hashes(inputs), **extra)

    bar = Progress(config.iterations, args.quiet)

    def on_step(state):
        bar.update(state)
        if args.save_every and state.iteration % args.save_every == 0 and state.iteration < state.iterations:
            stem, ext = os.path.splitext(args.output)
            images.save(state.image(), f"{stem}_{state.iteration}{ext}")

    try:
        result = run_preset(args.preset, args.content, args.style, config, on_step, references=voters)
    except Interrupted as exc:
        bar.close()
        save(exc.result)
        print(f"interrupted: the image so far is in {args.output} (JSON marked interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except DivergenceError as exc:
        bar.close()
        if exc.result is not None:
            save(exc.result)
        print(f"error: {exc}; saved to {args.output}", file=sys.stderr)
        return EXIT_DIVERGED
    except BaseException as exc:
        bar.close()
        if out_of_memory(exc):
            raise ColorkitError(f"out of memory at --size {config.size}{_needed(exc)}; try a smaller --size") \
                from None
        raise
    bar.close()
    image_path, json_path = save(result)
    final = result.final
    losses = (f", content loss {final['content_loss']:.4g}, style loss {final['style_loss']:.4g}"
              if final.get("content_loss") is not None else "")
    print(f"wrote {image_path} and {json_path} ({len(result.history)} iterations, {result.run['seconds']:.1f} s"
          f"{losses})")
    return EXIT_OK


def run_preset(preset: str, content, style, config: Config, on_step=None, references=()):
    """The Result of `preset`: the paper's loop, with speed-ups ('fast'), or the exemplar method ('best', with
    `references` voting beside `style`, optimised on top with --iterations N)."""
    from colorlib.paper.colorize import colorize

    if preset == "fast":
        from colorlib.speedups.staged import FAST, colorize_faster

        return colorize_faster(content, style, config, FAST, on_step=on_step)
    if preset == "best":
        from colorlib.exemplar.refine import colorize_from_exemplar

        if config.iterations:
            print(f"notice: preset best with --iterations {config.iterations}: the exemplar result is optimised "
                  f"further with the paper's objective", file=sys.stderr)
        return colorize_from_exemplar(images.as_array(content, "content"), images.as_array(style, "style"), config,
                                      [images.load(r) for r in references], on_step=on_step)
    return colorize(content, style, config, on_step=on_step)


def check_output(path: str, inputs, save_every: int = 0, iterations: int = 0) -> None:
    """Fail before the run, not after it: a format Pillow cannot write, a folder that cannot be written, a
    name too long for the filesystem (the image's, its JSON's or a snapshot's), a JSON name that is a folder,
    or an output — image, JSON or --save-every snapshot — that is one of the inputs (which the result would
    destroy; symlinks and hard links count: the comparison is by device and inode)."""
    images.writable_format(path)
    json_path = record.json_path(path)
    for target, what in ((path, "is a directory; give an image file name"),
                         (json_path, "is a directory, so the JSON beside the image cannot be written")):
        if os.path.isdir(target):
            raise ColorkitError(f"{target}: {what}")
    inputs = [os.fspath(i) for i in inputs]
    snapshots = _snapshots(path, save_every, iterations)
    for source in inputs:
        if file_input.is_stdin(source):
            continue
        for target in (path, json_path, *snapshots):
            if _same_file(source, target):
                what = "output" if target == path else f"output's {'JSON' if target == json_path else 'snapshot'}"
                raise ColorkitError(f"{path}: the {what} {target} would overwrite the input {source}; choose "
                                    f"another name")
    folder = os.path.dirname(os.path.abspath(path))
    existing = folder  # missing folders are created when the result is saved; probe the nearest that exists
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise ColorkitError(f"{path}: {existing} is a file, not a folder")
    name_max = _name_max(existing)
    longest = max((path, json_path, *snapshots[-1:]), key=lambda p: len(os.fsencode(os.path.abspath(p))))
    for part in os.path.abspath(longest).split(os.sep):
        if len(os.fsencode(part)) > name_max:
            raise ColorkitError(f"{path}: the name {part!r} is longer than this filesystem allows ({name_max} "
                                f"bytes); choose a shorter output name")
    if len(os.fsencode(os.path.abspath(longest))) >= _path_max(existing):
        raise ColorkitError(f"{path}: the path {longest} is longer than this system allows "
                            f"({_path_max(existing)} bytes)")
    try:  # a real probe: os.access says yes to root even where writing fails (read-only mounts, /proc)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=existing)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise ColorkitError(f"{path}: cannot write in folder {folder} ({exc.strerror or exc})") from None


def _snapshots(path: str, save_every: int, iterations: int) -> list:
    """The --save-every snapshot names a run writes, in order (the longest last)."""
    if not save_every or save_every < 1:
        return []
    stem, ext = os.path.splitext(path)
    return [f"{stem}_{i}{ext}" for i in range(save_every, iterations, save_every)]


def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _path_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return 4096


def _same_file(a, b) -> bool:
    try:
        return os.path.samefile(a, b)  # follows symlinks, compares device and inode
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def out_of_memory(exc: BaseException) -> bool:
    """An allocation failure: MemoryError, torch.OutOfMemoryError (CUDA, MPS) or the CPU allocator's
    RuntimeError."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(
        s in text for s in ("out of memory", "not enough memory", "can't allocate memory", "cannot allocate memory"))


def _needed(exc: BaseException) -> str:
    """', needing N more' from the allocator's message, when it says."""
    found = re.search(r"allocate\s+(?:memory:\s+)?(?:you tried to allocate\s+)?([\d.]+\s*(?:[KMGT]i?B|bytes))",
                      str(exc), re.IGNORECASE)
    if not found:
        return ""
    amount = found.group(1)
    if amount.endswith("bytes"):
        amount = _human(int(float(amount.split()[0])))
    return f" (one allocation of {amount} failed)"


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


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
        if _same_file(path, args.content):
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


def _with_hashes(paths: dict) -> dict:
    """{"content": path, ...} (absolute; standard input as given) plus "<name>_sha256" of each file's bytes: those
    the run decoded (images.input_sha256), else the file's as it is now (weights)."""
    out = {}
    for key, path in paths.items():
        path = os.fspath(path)
        out[key] = path if file_input.is_stdin(path) else os.path.abspath(path)
    for key, path in paths.items():
        digest = images.input_sha256(path)
        if digest is None and not file_input.is_stdin(path):
            try:
                digest = sha256_file(path)
            except OSError:  # missing or unreadable: colorize() reports it with the file's name
                digest = None
        if digest is not None:
            out[f"{key}_sha256"] = digest
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
