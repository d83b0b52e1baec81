"""The command line, one entry point: `colorkit colorize|figures|sweep|data` (= `python -m colorlib …`).

Every error is one line `error: …` and exit 2; divergence exits 3, Ctrl-C 130 (after saving the run so far)."""
from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import warnings

from colorlib.app.profile_option import profile_of, profile_text
from colorlib.errors import (
    EXIT_DIVERGED,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ColorkitError,
    DivergenceError,
    Interrupted,
    one_line,
    stop_message,
)
from colorlib.experiments.profiles import FIGURE_PRESET, PROFILES
from colorlib.paper.config import INITS, LOSS_FORMS, OPTIMIZERS, PRECISIONS, PRESETS, Config


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not a usage wall
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def _device(text):
    """The devices the kit runs on; others torch knows (meta, xpu, ...) fail later with a traceback."""
    if not DEVICE_PATTERN.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"unknown device {text!r}; use auto, cpu, cuda, cuda:N or mps")
    return text.strip()


def _finite_float(text):
    import math

    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def add_colorize_parser(sub, preset: str) -> None:
    d = Config.from_preset(preset if preset in PRESETS else "paper")
    p = sub.add_parser("colorize", help="colorize a grayscale image from a colour reference",
                       description=f"Defaults shown are preset {d.preset!r}'s (see --preset); any option given "
                                   "explicitly overrides the preset. 'best' is the exemplar method: with "
                                   "--iterations N it adds N iterations of the paper's optimisation on top.")
    p.add_argument("content", help="grayscale (or colour, grayscaled first) image giving the content; '-' reads "
                                   "it from standard input")
    p.add_argument("style", help="colour image giving the colours (style), or 'auto' to pick it from --style-dir")
    p.add_argument("--style-dir", default=None, help="with style 'auto': folder of colour candidates, ranked by "
                   "VGG similarity to the content; prints the ranking with scores and uses the best")
    p.add_argument("-o", "--output", required=True, help="output image (.png/.jpg/.tif…); a .json is written "
                                                          "beside it")
    p.add_argument("--profile", choices=list(PROFILES), default=None,
                   help="exactly the settings with which that profile of `colorkit figures` draws Figure 1: preset "
                        f"{FIGURE_PRESET} (unless --preset is given) at "
                        + "; ".join(f"{name}: {profile_text(name)}" for name in PROFILES).replace("%", "%%"))
    p.add_argument("--preset", choices=list(PRESETS), default=None, metavar="PRESET",
                   help="starting set of defaults (default paper): " + "; ".join(
                       f"{name}: {preset.description}" for name, preset in PRESETS.items()).replace("%", "%%"))
    S = argparse.SUPPRESS  # so that only options given explicitly override the preset

    def opt(flag, help_text, **kw):
        field = flag.lstrip("-").replace("-", "_")
        value = getattr(d, field)
        shown = ",".join(value) if isinstance(value, tuple) else value
        p.add_argument(flag, default=S, help=f"{help_text} (default {shown})", **kw)

    opt("--size", "longer side in px", type=_positive_int)
    opt("--iterations", "iterations", type=_non_negative_int)
    opt("--optimizer", "optimizer", choices=OPTIMIZERS)
    p.add_argument("--lr", type=_finite_float, default=S, help="learning rate (default: L-BFGS 1, Adam 10, SGD 1)")
    opt("--momentum", "SGD momentum", type=_finite_float)
    opt("--content-weight", "α", type=_finite_float)
    opt("--style-weight", "β/α at --reference-size (rescaled to --size unless --no-size-normalise)",
        type=_finite_float)
    opt("--reference-size", "size at which --style-weight is the balance", type=_positive_int)
    p.add_argument("--no-size-normalise", dest="size_normalise", action="store_false", default=S,
                   help="use --style-weight as given at every size")
    opt("--tv-weight", "total variation weight", type=_finite_float)
    opt("--decay", "β/α cut per iteration, 0 = fixed", type=_finite_float)
    opt("--loss-form", "loss normalisation", choices=LOSS_FORMS)
    opt("--content-layers", "comma-separated VGG layers")
    opt("--style-layers", "comma-separated VGG layers")
    opt("--init", "initial image", choices=INITS)
    opt("--init-image", "image for --init image")
    opt("--seed", "random seed", type=int)
    opt("--device", "auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N, mps", type=_device)
    opt("--precision", "fp32, or bf16 autocast of the VGG features; auto = bf16 where the hardware has it",
        choices=PRECISIONS)
    opt("--weights", "'caffe' (bundled original VGG-19) or a torchvision vgg19 state-dict file")
    p.add_argument("--keep-luminance", action="store_true", default=S,
                   help=f"output lightness = input's CIELAB L*; only colour from the result (default "
                        f"{d.keep_luminance})")
    p.add_argument("--keep-best", action="store_true", default=S,
                   help=f"return the lowest-loss iterate, not the last one (default {d.keep_best})")
    p.add_argument("--save-every", type=_non_negative_int, default=0,
                   help="write a snapshot OUTPUT_<iteration>.png every K iterations")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser(argv=None) -> argparse.ArgumentParser:
    from colorlib.app.sweep_command import add_parser as add_sweep_parser

    parser = _Parser(prog="colorkit", description="colorkit: image colorization by neural style transfer "
                     "(Nguyen, Mori, Thawonmas 2016). Also `python -m colorlib`.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_colorize_parser(sub, _preset_in(argv))
    f = sub.add_parser("figures", help="regenerate the notebooks' figures and tables into results/ (papermill)",
                       add_help=False)
    f.add_argument("rest", nargs=argparse.REMAINDER)
    add_sweep_parser(sub)
    b = sub.add_parser("bench", help="speed benchmark (benchmarks/speed.py in a clone; --help for its options)",
                       add_help=False)
    b.add_argument("rest", nargs=argparse.REMAINDER)
    from colorlib.app.data_command import add_parser as add_data_parser

    add_data_parser(sub)
    return parser


def _preset_in(argv) -> str:
    """The --preset given on the command line (so that --help shows that preset's defaults)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(argv):
        if arg == "--preset" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--preset="):
            return arg.split("=", 1)[1]
    return "paper"


def config_from_args(args) -> Config:
    """The preset's Config with the profile's settings and the options given explicitly; ColorkitError for a
    combination of options that cannot take effect (it would be silently ignored)."""
    profile_fields, _ = profile_of(args)
    fields = {k: v for k, v in vars(args).items() if k in Config.__dataclass_fields__ and k != "preset"}
    for key in ("content_layers", "style_layers"):
        if key in fields:
            fields[key] = tuple(s.strip() for s in fields[key].split(",") if s.strip())
    base = Config.from_preset(args.preset, **profile_fields)
    weights = base.style_layer_weights
    if "style_layers" in fields and weights is not None:  # a per-layer weight the CLI has no option for
        if len(set(weights)) > 1:
            raise ColorkitError(f"--style-layers: preset {args.preset} weighs its style layers differently "
                                f"({', '.join(map(str, weights))}); the command line cannot give other weights")
        fields["style_layer_weights"] = (weights[0],) * len(fields["style_layers"])
    config = base.replace(**fields)
    _refuse_what_cannot_take_effect(fields, config, args.preset)
    return config


def _refuse_what_cannot_take_effect(given: dict, config: Config, preset: str) -> None:
    if PRESETS[preset].runner == "exemplar" and {"init", "init_image"} & set(given):
        raise ColorkitError(f"--preset {preset} starts from the exemplar method's result; --init and --init-image "
                            f"cannot change that")
    if "init_image" in given and config.init != "image":
        raise ColorkitError(f"--init-image is used only with --init image (the start is {config.init!r}); add "
                            f"--init image")
    if "momentum" in given and config.optimizer != "sgd":
        raise ColorkitError(f"--momentum is used only with --optimizer sgd (the optimizer is {config.optimizer})")


def cmd_colorize(args) -> int:
    from colorlib.app import colorize_command

    config = config_from_args(args)
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C always means "stop and save", even where the shell started us with SIGINT ignored (cmd &)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return colorize_command.run(args, config)


def cmd_figures(args) -> int:
    from colorlib.app import regenerate

    return regenerate.main(args.rest, handle_sigterm=True)


def cmd_sweep(args) -> int:
    from colorlib.app.sweep_command import cmd_sweep as run

    return run(args)


def cmd_data(args) -> int:
    from colorlib.app.data_command import run

    return run(args)


def cmd_bench(args) -> int:
    import subprocess

    script = os.path.join("benchmarks", "speed.py")
    if not os.path.isfile(script):
        raise ColorkitError(f"{script} not found here: the benchmarks come with a clone of the repository; run "
                            "`colorkit bench` from its root")
    return subprocess.call([sys.executable, script, *args.rest])


COMMANDS = {"colorize": cmd_colorize, "figures": cmd_figures, "sweep": cmd_sweep, "data": cmd_data,
            "bench": cmd_bench}
PASS_THROUGH = {"figures": cmd_figures, "bench": cmd_bench}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASS_THROUGH:  # their own parsers take every option after the command's name
        return _guarded(PASS_THROUGH[argv[0]], argparse.Namespace(rest=argv[1:]))
    try:
        args = build_parser(argv).parse_args(argv)
    except KeyboardInterrupt:
        print(stop_message(), file=sys.stderr)
        return EXIT_INTERRUPTED
    return _guarded(COMMANDS[args.command], args)


def _guarded(command, args) -> int:
    """Run a command: its expected failures become one line and an exit status, warnings become notices."""
    shown = set()

    def notice(message, *args, **kwargs):  # one line each, and once: an input read twice warns twice
        line = f"notice: {one_line(message)}"
        if line not in shown:
            shown.add(line)
            print(line, file=sys.stderr)

    with warnings.catch_warnings():  # restores the filters and showwarning afterwards (main() may run in-process)
        warnings.simplefilter("always")
        warnings.showwarning = notice
        try:
            from colorlib.app.environment import check_environment

            check_environment()
            return command(args)
        except ColorkitError as exc:
            print(f"error: {one_line(exc)}", file=sys.stderr)
            return EXIT_ERROR
        except MemoryError:
            print("error: out of memory; try a smaller --size", file=sys.stderr)
            return EXIT_ERROR
        except KeyboardInterrupt:
            print(stop_message(), file=sys.stderr)
            return EXIT_INTERRUPTED


__all__ = ["main", "build_parser", "config_from_args", "EXIT_OK", "EXIT_ERROR", "EXIT_DIVERGED",
           "EXIT_INTERRUPTED", "DivergenceError", "Interrupted"]
