"""`colorkit colorize`: check the output before any work, pick the style, run the preset, save image + JSON.

The jobs live in their own modules: output_checks (before any work), auto_style (style 'auto'), runners (how each
preset runs), progress (the bar), memory (out-of-memory messages)."""
from __future__ import annotations

import os
import sys

from colorlib import file_input, images, record
from colorlib.app.auto_style import auto_style
from colorlib.app.memory import needed, out_of_memory
from colorlib.app.output_checks import check_output
from colorlib.app.progress import Progress
from colorlib.app.runners import run_preset
from colorlib.errors import EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_OK, ColorkitError, DivergenceError, Interrupted
from colorlib.hashes import sha256_file
from colorlib.paper.config import Config


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
            raise ColorkitError(f"out of memory at --size {config.size}{needed(exc)}; try a smaller --size") \
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
