"""A sweep spec (YAML, TOML or a dict) read and validated into its runs: pairs × grid × seeds, each a full Config.

Every problem is a one-line ColorkitError raised here, before anything runs."""
from __future__ import annotations

import dataclasses
import math
import os
import sys
from itertools import product

from colorlib.errors import ColorkitError, first_line
from colorlib.experiments.profiles import profile
from colorlib.experiments.sweep.pairs import resolve_pairs
from colorlib.paper.config import Config

SPEC_KEYS = ("name", "pairs", "profile", "preset", "config", "grid", "seeds", "out", "resources")
CONFIG_FIELDS = {f.name: f for f in dataclasses.fields(Config)}
SCALARS = (str, int, float, bool, type(None))


def load_spec(spec) -> tuple[dict, str]:
    """A spec as a dict plus the folder its relative paths are resolved against (a dict: the current folder)."""
    if isinstance(spec, dict):
        return dict(spec), os.getcwd()
    path = os.fspath(spec)
    if not os.path.isfile(path):
        raise ColorkitError(f"{path}: spec file not found")
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".yaml", ".yml", ".toml"):
        raise ColorkitError(f"{path}: spec must be .yaml, .yml or .toml, not {ext or '(no extension)'}")
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
        if ext == ".toml":
            if sys.version_info < (3, 11):  # tomllib is new in 3.11
                raise ValueError("TOML needs Python 3.11 or newer; write the spec as .yaml")
            else:
                import tomllib

                data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError
        raise ColorkitError(f"{path}: cannot parse spec ({first_line(exc)})") from None
    if not isinstance(data, dict):
        raise ColorkitError(f"{path}: spec must be a mapping of keys ({', '.join(SPEC_KEYS)})")
    return data, os.path.dirname(os.path.abspath(path))


def expand(spec) -> tuple[list[dict], dict]:
    """Resolve a spec (path or dict) into (runs, info), validating everything; run ids are added by plan().

    Each run: pair, content, style, content_sha256, style_sha256, params (what varies), config (the full
    resolved Config as a dict)[, retrieval_score]. info: name, out, profile, resources, grid_keys."""
    data, base = load_spec(spec)
    unknown = sorted(set(data) - set(SPEC_KEYS))
    if unknown:
        raise ColorkitError(f"spec: unknown field(s) {', '.join(unknown)}; known: {', '.join(SPEC_KEYS)}")
    fixed = {}
    if data.get("profile") is not None:
        fixed.update(profile(str(data["profile"])))
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ColorkitError("spec: config must be a mapping of Config fields")
    fixed.update({k: _coerce(k, v, "config") for k, v in config.items()})
    preset = str(data.get("preset", fixed.pop("preset", "paper")))
    combos = _grid(data.get("grid", None))
    grid_keys = list(dict.fromkeys(k for combo in combos for k in combo))
    seeds = data.get("seeds")
    if seeds is None:
        seeds = [fixed.pop("seed", 0)]
    elif "seed" in fixed or "seed" in grid_keys:
        raise ColorkitError("spec: give seeds either as 'seeds' or in config/grid, not both")
    seeds = seeds if isinstance(seeds, list) else [seeds]
    if not seeds:
        raise ColorkitError("spec: seeds is empty")
    seeds = [_coerce("seed", s, "seeds") for s in seeds]
    pairs = resolve_pairs(data.get("pairs"), base)

    runs, seen = [], set()
    for pair, combo, seed in product(pairs, combos, seeds):
        try:
            cfg = Config.from_preset(preset, **{**fixed, **combo, "seed": seed}).to_dict()
        except ColorkitError as exc:
            raise ColorkitError(f"spec: {exc} (in {_show(combo) or 'config'})") from None
        same = (pair["content_sha256"], pair["style_sha256"], repr(sorted(cfg.items())))
        if same in seen:  # the same run listed twice (e.g. a pair repeated) is run once
            continue
        seen.add(same)
        runs.append(dict(pair=pair["name"], content=pair["content"], style=pair["style"],
                         content_name=pair["content_name"], style_name=pair["style_name"],
                         content_sha256=pair["content_sha256"], style_sha256=pair["style_sha256"],
                         params={**combo, "seed": seed}, config=cfg, retrieval_score=pair.get("score")))
    name = str(data.get("name") or (os.path.splitext(os.path.basename(os.fspath(spec)))[0]
                                    if not isinstance(spec, dict) else "sweep"))
    resources = data.get("resources")
    if resources is None and any(str(r["config"]["device"]).startswith("cuda") for r in runs):
        resources = {"GPU": 1}  # one GPU runs one task at a time
    if resources is not None and not isinstance(resources, dict):
        raise ColorkitError("spec: resources must be a mapping such as {GPU: 1}")
    info = dict(name=name, out=data.get("out") or os.path.join("results", "sweeps", name),
                profile=data.get("profile"), resources=resources, grid_keys=grid_keys + ["seed"])
    return runs, info


def _grid(grid) -> list[dict]:
    """Grid mapping -> list of combos. Lists are crossed; each `zip` group (mapping of equal-length lists, or a
    list of such mappings) varies together."""
    if grid is None:
        return [{}]
    if not isinstance(grid, dict):
        raise ColorkitError(f"spec: grid must be a mapping of Config fields to lists of values, got {grid!r}")
    if not grid:
        raise ColorkitError("spec: grid is empty; give at least one Config field with a list of values, "
                            "or leave grid out for one run per pair")
    axes = []  # each axis: list of partial combos
    for key, values in grid.items():
        if key == "zip":
            groups = values if isinstance(values, list) else [values]
            for group in groups:
                if not isinstance(group, dict) or not group:
                    raise ColorkitError("spec: grid.zip must be a mapping of Config fields to equal-length lists")
                lists = {k: _values(k, v, "grid.zip") for k, v in group.items()}
                lengths = {len(v) for v in lists.values()}
                if len(lengths) != 1:
                    raise ColorkitError(f"spec: grid.zip lists differ in length "
                                        f"({', '.join(f'{k}: {len(v)}' for k, v in lists.items())})")
                axes.append([dict(zip(lists, row, strict=True)) for row in zip(*lists.values(), strict=True)])
        else:
            axes.append([{key: v} for v in _values(key, values, "grid")])
    return [{k: v for part in parts for k, v in part.items()} for parts in product(*axes)]


def _values(key, values, where) -> list:
    if not isinstance(values, list):
        values = [values]
    if not values:
        raise ColorkitError(f"spec: {where}.{key} has no values (empty grid)")
    return [_coerce(key, v, where) for v in values]


def _coerce(key, value, where):
    """Check that `key` is a Config field and `value` one plain value for it (a list only for the list fields),
    finite, converted from YAML's strings ('1e4') to the field's type."""
    if key not in CONFIG_FIELDS:
        raise ColorkitError(f"spec: {where}: unknown Config field {key!r}")
    label = f"spec: {where}.{key}"
    kind = str(CONFIG_FIELDS[key].type)
    if isinstance(value, (list, tuple)):
        if not kind.startswith("tuple"):
            raise ColorkitError(f"{label}: {value!r} is a list; {key} takes one value "
                                f"(list the values to sweep, not a list of lists)")
        return tuple(_scalar(v, label) for v in value)
    _scalar(value, label)
    default = CONFIG_FIELDS[key].default
    if value is None or isinstance(value, bool) or isinstance(default, bool):
        return value
    try:
        if isinstance(default, float) or kind.startswith("float"):
            return _scalar(float(value), label)
        if isinstance(default, int):
            as_float = _scalar(float(value), label)
            if as_float != int(as_float):
                raise ValueError("not a whole number")
            return int(as_float)
    except (TypeError, ValueError):
        raise ColorkitError(f"{label}: {value!r} is not a number") from None
    return value


def _scalar(value, label):
    """`value` if it is one finite plain value (text, number, true/false, null); else a one-line error."""
    if not isinstance(value, SCALARS):
        raise ColorkitError(f"{label}: {value!r} is not a plain value (a number, text or true/false)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ColorkitError(f"{label}: {value} is not a finite number")
    return value


def _show(combo) -> str:
    return ", ".join(f"{k}={v}" for k, v in combo.items())
