"""A spec's `pairs` resolved to image files: explicit files, rows of the kit's pairs.csv, or retrieved styles."""
from __future__ import annotations

import os

from colorlib import data
from colorlib.errors import ColorkitError, first_line


def resolve_pairs(pairs, base: str) -> list[dict]:
    """The spec's `pairs` -> list of dict(name, content, style, content_sha256, style_sha256[, score]).

    Forms: a list of {content, style} (paths, relative to the spec's folder, or the manifest names);
    'manifest' or {manifest: [row indices]} (the kit's pairs.csv); {retrieved: {contents, candidates}} (each content
    with the best style that colorlib.evaluation.retrieval.rank finds among the candidates)."""
    if pairs is None:
        raise ColorkitError("spec: pairs is missing (a list of {content, style}, 'manifest' or {retrieved: ...})")
    if pairs == "manifest":
        pairs = {"manifest": "all"}
    if pairs == "retrieved":
        pairs = {"retrieved": {}}
    out = []
    if isinstance(pairs, list):
        if not pairs:
            raise ColorkitError("spec: pairs is empty")
        for i, row in enumerate(pairs):
            if not isinstance(row, dict) or set(row) - {"content", "style"} or not {"content", "style"} <= set(row):
                raise ColorkitError(f"spec: pairs[{i}] must be a mapping with exactly 'content' and 'style'")
            out.append((_path(row["content"], base, f"pairs[{i}].content"),
                        _path(row["style"], base, f"pairs[{i}].style"), None))
    elif isinstance(pairs, dict) and set(pairs) == {"manifest"}:
        rows = data.pairs()
        pick = pairs["manifest"]
        if pick == "all":
            pick = list(range(len(rows)))
        pick = pick if isinstance(pick, list) else [pick]
        if not pick:
            raise ColorkitError("spec: pairs.manifest is empty")
        for i in pick:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(rows):
                raise ColorkitError(f"spec: pairs.manifest: {i!r} is not a row of the kit's pairs.csv "
                                    f"(0..{len(rows) - 1})")
            out.append((data.find(rows[i]["content"]), data.find(rows[i]["style"]), None))
    elif isinstance(pairs, dict) and set(pairs) == {"retrieved"}:
        out = _retrieved(pairs["retrieved"] or {}, base)
    else:
        raise ColorkitError("spec: pairs must be a list of {content, style}, 'manifest', {manifest: [rows]} or "
                            "{retrieved: {contents, candidates}}")
    return [dict(name=f"{data.print_stem(c)}<-{data.print_stem(s)}", content=c, style=s,
                 content_name=file_name(c, base), style_name=file_name(s, base),
                 content_sha256=data.sha256_file(c), style_sha256=data.sha256_file(s),
                 **({"score": score} if score is not None else {}))
            for c, s, score in out]


def file_name(path: str, base: str) -> str:
    """How a sweep's results name an input file, never by an absolute path: a print of the manifest by its file
    name (relative to the data folder it was found in), any other file relative to the spec's folder."""
    name = os.path.basename(path)
    manifest = data.manifest()
    if name in manifest and data.sha256_file(path) == manifest[name]["sha256"].lower():
        return name
    return os.path.relpath(path, base)


def _retrieved(opts, base) -> list:
    from colorlib import color, images

    try:
        from colorlib.evaluation import retrieval
    except ImportError as exc:
        raise ColorkitError(f"spec: pairs 'retrieved' needs colorlib.evaluation.retrieval, which this install "
                            f"lacks ({first_line(exc)})") from None
    if not isinstance(opts, dict) or set(opts) - {"contents", "candidates"}:
        raise ColorkitError("spec: pairs.retrieved takes 'contents' and 'candidates' (lists, or 'manifest')")
    contents = opts.get("contents", "manifest")
    if contents == "manifest":
        contents = [data.find(row["content"]) for row in data.pairs()]
    else:
        contents = [_path(c, base, "pairs.retrieved.contents") for c in _as_list(contents, "contents")]
    candidates = opts.get("candidates", "manifest")
    if candidates == "manifest":
        candidates = [data.find(name) for name in data.manifest()]
    else:
        candidates = [_path(c, base, "pairs.retrieved.candidates") for c in _as_list(candidates, "candidates")]
    out = []
    for content in contents:
        others = [c for c in candidates if os.path.realpath(c) != os.path.realpath(content)]
        if not others:
            raise ColorkitError(f"spec: pairs.retrieved: no candidate style for {content}")
        ranked = retrieval.rank(color.to_gray(images.load(content)), others)
        best, score = ranked[0]
        out.append((content, os.fspath(best), float(score)))
    return out


def _as_list(value, name):
    value = value if isinstance(value, list) else [value]
    if not value:
        raise ColorkitError(f"spec: pairs.retrieved.{name} is empty")
    return value


def _path(value, base, where) -> str:
    value = os.path.expanduser(str(value))
    path = value if os.path.isabs(value) else os.path.join(base, value)
    if os.path.isfile(path):
        return os.path.abspath(path)
    if os.path.basename(value) == value and value in data.manifest():
        return data.find(value)
    raise ColorkitError(f"spec: {where}: {value}: file not found (nor a the manifest name)")
