"""`colorkit colorize`: check the output and the inputs before any work, pick the style, run the preset, save
image + JSON.

The jobs live in their own modules: output_checks and input_checks (before any work), auto_style (style 'auto'),
runners (how each preset runs, and the one finishing step), progress (the bar), memory (estimates and
out-of-memory messages). The run's inputs are protected while it runs (colorlib.atomic.run_inputs)."""
from __future__ import annotations

import os
import sys
from typing import Any

from colorlib import atomic, file_input, images, record
from colorlib.app.auto_style import auto_style, candidates
from colorlib.app.input_checks import check_inputs, colour_content_notice
from colorlib.app.memory import needed, out_of_memory
from colorlib.app.output_checks import check_output
from colorlib.app.profile_option import profile_of
from colorlib.app.progress import Progress
from colorlib.app.runners import run_preset, runner_of
from colorlib.errors import (
    EXIT_DIVERGED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ColorkitError,
    DivergenceError,
    Interrupted,
    one_line,
    stop_message,
)
from colorlib.hashes import sha256_file
from colorlib.paper.config import Config


def run(args, config: Config) -> int:
    """Run `colorkit colorize` with the parsed `args` and their Config; the exit status."""
    found = candidates(args)  # style 'auto': every --style-dir image is an input the output must not overwrite
    inputs = {"content": args.content}
    if args.style != "auto":
        inputs["style"] = args.style
    if config.init == "image" and config.init_image and runner_of(args.preset) != "exemplar":
        inputs["init_image"] = config.init_image
    if config.weights != "caffe":
        inputs["weights"] = config.weights
    check_output(args.output, [*inputs.values(), *found], save_every=args.save_every, iterations=config.iterations)
    with atomic.run_inputs([*inputs.values(), *found]):
        return _colorize(args, config, inputs, found)


def _colorize(args, config: Config, inputs: dict, found: list) -> int:
    _, colour = check_inputs(args, config, inputs)
    extra: dict[str, Any] = {}
    voters: list = []
    if found:
        args.style, ranking = auto_style(args, config, found)
        inputs["style"] = args.style
        extra.update(style_dir=args.style_dir, style_ranking=[
            {**_file(r["path"], os.path.relpath(r["path"], args.style_dir)), "score": r["score"]} for r in ranking])
        if runner_of(args.preset) == "exemplar":  # the next-ranked candidates vote too, as in the evaluation
            from colorlib.evaluation.registry import VOTERS

            voters = [r["path"] for r in ranking[1:1 + VOTERS]]
            print(f"notice: preset {args.preset}: the next {len(voters)} candidates vote too", file=sys.stderr)
    if colour:
        colour_content_notice(args.content)

    def save(result):
        """Image + JSON as one unit; the JSON's hashes are of the very bytes the run decoded."""
        files = {key: _file(path) for key, path in inputs.items()}
        return record.save(result, args.output, files={**files, **({"voters": [_file(p) for p in voters]}
                                                                   if voters else {})}, **extra)

    schedule = profile_of(args)[1]
    bar = Progress(config.iterations, args.quiet)

    def on_step(state):
        bar.update(state)
        if args.save_every and state.iteration % args.save_every == 0 and state.iteration < state.iterations:
            stem, ext = os.path.splitext(args.output)
            images.save(state.image(), f"{stem}_{state.iteration}{ext}")

    try:
        result = run_preset(args.preset, args.content, args.style, config, on_step, references=voters,
                            schedule=schedule)
    except Interrupted as exc:
        bar.close()
        save(exc.result)
        print(stop_message(f"the image so far is in {one_line(args.output)} (JSON marked interrupted)"),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except DivergenceError as exc:
        bar.close()
        if exc.result is not None:
            save(exc.result)
        print(f"error: {one_line(exc)}; saved to {one_line(args.output)}", file=sys.stderr)
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


def _file(path, name: str | None = None) -> dict:
    """{"name": the file as given (or `name`), "sha256": of the bytes the run decoded (images.input_sha256), else
    of the file as it is now (weights); None if unreadable}."""
    path = os.fspath(path)
    digest = images.input_sha256(path)
    if digest is None and not file_input.is_stdin(path):
        try:
            digest = sha256_file(path)
        except OSError:
            digest = None
    return {"name": name if name is not None else path, "sha256": digest}
