"""Command line: `python -m colorlib colorize CONTENT STYLE -o OUT [options]` (help states every default)."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import warnings

from .config import INITS, OPTIMIZERS, PRECISIONS, PRESETS, SCALINGS, Config
from .errors import ColorkitError, DivergenceError, Interrupted

EXIT_OK, EXIT_ERROR, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 2, 3, 130
_DEFAULTS = Config()


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not a usage wall
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m colorlib", description="colorkit: image colorization by neural style "
                     "transfer (Nguyen, Mori, Thawonmas 2016).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("colorize", help="colorize a grayscale image from a colour reference",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Defaults are the paper's (preset 'paper'); --preset changes them, and any "
                                   "option given explicitly overrides the preset.")
    p.add_argument("content", help="grayscale (or colour, grayscaled first) image giving the content")
    p.add_argument("style", help="colour image giving the colours (style), or 'auto' to pick it from --style-dir")
    p.add_argument("--style-dir", default=None, help="with style 'auto': folder of colour candidates, ranked by "
                   "VGG similarity to the content (colorlib.retrieval); prints the ranking, best first, then uses "
                   "the best")
    p.add_argument("-o", "--output", required=True, help="output image (.png/.jpg); a .json is written beside it")
    p.add_argument("--preset", choices=sorted(PRESETS), default="paper", help="starting set of defaults")
    S = argparse.SUPPRESS  # so that only options given explicitly override the preset
    p.add_argument("--size", type=_positive_int, default=S, help=f"longer side in px (default {_DEFAULTS.size})")
    p.add_argument("--iterations", type=int, default=S, help=f"iterations (default {_DEFAULTS.iterations})")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=S, help=f"(default {_DEFAULTS.optimizer})")
    p.add_argument("--lr", type=float, default=S, help="learning rate (default: L-BFGS 1, Adam 10, SGD 1)")
    p.add_argument("--momentum", type=float, default=S, help=f"SGD momentum (default {_DEFAULTS.momentum})")
    p.add_argument("--content-weight", type=float, default=S, help=f"α (default {_DEFAULTS.content_weight:g})")
    p.add_argument("--style-weight", type=float, default=S, help=f"β (default {_DEFAULTS.style_weight:g})")
    p.add_argument("--tv-weight", type=float, default=S, help=f"total variation weight (default {_DEFAULTS.tv_weight:g})")
    p.add_argument("--decay", type=float, default=S, help=f"β/α cut per iteration, 0 = fixed (default {_DEFAULTS.decay})")
    p.add_argument("--scaling", choices=SCALINGS, default=S, help=f"loss normalisation (default {_DEFAULTS.scaling})")
    p.add_argument("--content-layers", default=S, help="comma-separated (default conv4_2)")
    p.add_argument("--style-layers", default=S, help="comma-separated (default conv1_1,conv2_1,conv3_1,conv4_1,conv5_1)")
    p.add_argument("--init", choices=INITS, default=S, help=f"initial image (default {_DEFAULTS.init})")
    p.add_argument("--init-image", default=S, help="image for --init image")
    p.add_argument("--seed", type=int, default=S, help=f"random seed (default {_DEFAULTS.seed})")
    p.add_argument("--device", default=S, help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N, mps (default auto)")
    p.add_argument("--precision", choices=PRECISIONS, default=S, help=f"(default {_DEFAULTS.precision})")
    p.add_argument("--weights", default=S, help="'caffe' (bundled original VGG-19) or a torchvision vgg19 "
                                                "state-dict file (default caffe)")
    p.add_argument("--keep-luminance", action="store_true", default=S,
                   help="output lightness = input's (CIELAB L*); only colour is taken from the optimisation")
    p.add_argument("--save-every", type=int, default=0, help="write a snapshot OUTPUT_<iteration>.png every K iterations")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    from .sweep import add_parser as add_sweep_parser  # python -m colorlib sweep SPEC (colorlib/sweep.py)

    add_sweep_parser(sub)
    return parser


def _config(args) -> Config:
    fields = {k: v for k, v in vars(args).items() if k in Config.__dataclass_fields__ and k != "preset"}
    for key in ("content_layers", "style_layers"):
        if key in fields:
            fields[key] = tuple(s.strip() for s in fields[key].split(",") if s.strip())
    return Config.from_preset(args.preset, **fields)


def _check_output(path: str) -> None:
    """Fail before the run, not after it, when the output cannot be written."""
    from PIL import Image

    ext = os.path.splitext(path)[1].lower()
    if ext not in Image.registered_extensions():
        raise ColorkitError(f"{path}: unknown image extension {ext or '(none)'}; use .png or .jpg")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ColorkitError(f"{path}: is a directory; give an image file name")
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


def _auto_style(args) -> str:
    """Style 'auto': rank the images of --style-dir for the content, print their names best first, return the best."""
    from . import images, retrieval

    if args.style != "auto":
        raise ColorkitError("--style-dir is only used with style 'auto'")
    if not getattr(args, "style_dir", None):
        raise ColorkitError("style 'auto' needs --style-dir DIR (a folder of colour candidates)")
    content = images.load(args.content)
    cands = [p for p in retrieval.list_candidates(args.style_dir)
             if not (os.path.exists(args.content) and os.path.samefile(p, args.content))]
    if not cands:
        raise ColorkitError(f"{args.style_dir}: no candidate images other than the content")
    ranking = retrieval.rank(content, cands, device=getattr(args, "device", "auto"))
    for path, _ in ranking:
        print(os.path.basename(path), flush=True)
    return ranking[0][0]


def cmd_colorize(args) -> int:
    from . import results
    from .colorize import colorize

    config = _config(args)
    _check_output(args.output)
    if args.style == "auto" or getattr(args, "style_dir", None):
        args.style = _auto_style(args)
    # Ctrl-C always means "stop and save", even where the shell started us with SIGINT ignored (cmd &)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    bar = None
    stem, ext = os.path.splitext(args.output)

    def on_step(state):
        nonlocal bar
        if bar is None and not args.quiet:  # created at the first step, so errors before it stay one line
            from tqdm import tqdm

            bar = tqdm(total=config.iterations, unit="it", file=sys.stderr, dynamic_ncols=True)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(Lc=f"{state.content_loss:.3g}", Ls=f"{state.style_loss:.3g}", refresh=False)
        if args.save_every and state.iteration % args.save_every == 0 and state.iteration < state.iterations:
            from . import images

            images.save(state.image(), f"{stem}_{state.iteration}{ext}")

    inputs = {"content": os.path.abspath(args.content), "style": os.path.abspath(args.style)}
    if config.weights != "caffe" and os.path.isfile(config.weights):
        inputs["weights"] = os.path.abspath(config.weights)
    if config.init == "image" and config.init_image and os.path.isfile(config.init_image):
        inputs["init_image"] = os.path.abspath(config.init_image)
    inputs = _with_hashes(inputs)
    try:
        result = colorize(args.content, args.style, config, on_step=on_step)
    except Interrupted as exc:
        _close(bar)
        results.save(exc.result, args.output, paths=inputs)
        print(f"interrupted: the image so far is in {args.output} (JSON marked interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except DivergenceError as exc:
        _close(bar)
        if exc.result is not None:
            results.save(exc.result, args.output, paths=inputs)
        print(f"error: {exc}; saved to {args.output}", file=sys.stderr)
        return EXIT_DIVERGED
    _close(bar)
    image_path, json_path = results.save(result, args.output, paths=inputs)
    final = result.final
    print(f"wrote {image_path} and {json_path} ({len(result.history)} iterations, {result.run['seconds']:.1f} s"
          + (f", content loss {final['content_loss']:.4g}, style loss {final['style_loss']:.4g})" if final else ")"))
    return EXIT_OK


def _with_hashes(paths: dict) -> dict:
    """{"content": path, ...} plus "<name>_sha256" of each file's bytes (the run hashes decoded pixels)."""
    from .data import sha256_file

    out = dict(paths)
    for key, path in paths.items():
        try:
            out[f"{key}_sha256"] = sha256_file(path)
        except OSError:  # missing or unreadable: colorize() reports it with the file's name
            pass
    return out


def _close(bar):
    if bar is not None:
        bar.close()


def cmd_sweep(args) -> int:
    from .sweep import cmd_sweep as run

    return run(args)


COMMANDS = {"colorize": cmd_colorize, "sweep": cmd_sweep}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        saved_format = warnings.formatwarning  # catch_warnings does not restore it; main() may run in-process
        warnings.formatwarning = lambda msg, cat, *a, **k: f"notice: {msg}\n"
        try:
            return COMMANDS[args.command](args)
        except ColorkitError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        finally:
            warnings.formatwarning = saved_format
