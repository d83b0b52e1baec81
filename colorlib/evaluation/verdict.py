"""The evaluation's verdict in a few sentences, computed from its numbers (so it holds for whichever profile ran)."""
from __future__ import annotations

from colorlib.evaluation.retrieval_study import retrieval_summary
from colorlib.evaluation.runner import summarize

BASELINES = ("reinhard", "welsh")  # the classical baselines a one-reference `method` is compared with
POOLED_BASELINES = ("reinhard", "reinhard-pooled", "welsh")  # and one that votes with retrieved prints (best)
PAPER_ITERATIONS, PAPER_SIZE = 1000, 512  # the paper's recipe, below which a run may be unconverged


def verdict(rows: list[dict], retrieval_rows: list[dict] | None = None, method: str = "paper",
            baselines: tuple = BASELINES, ranking: bool = True) -> str:
    """The evaluation's verdict, computed from its numbers: where `method` stands against the gray input and
    `baselines`, and what the retrieval study found.

    Parameters
    ----------
    rows : list of dict
        One row per pair × method with ``method``, ``delta_e2000``, ``colourfulness_ratio``, ``iterations``,
        ``size`` (colorlib.evaluation.runner's rows).
    retrieval_rows : list of dict, optional
        The retrieval study's rows; adds a sentence on how often retrieval found the designated partner.
    method : str
        The method judged (default 'paper').
    baselines : tuple of str
        The classical baselines it is compared with; the best of those present is named.
    ranking : bool
        Start with a line ranking every method by mean ΔE2000.

    Returns
    -------
    str
        A few sentences, one per line; a warning line when the profile ran fewer iterations than the paper.
    """
    summary = {r["method"]: r for r in summarize(rows)}
    lines = ["Ranking by mean ΔE2000 (lower is better): "
             + ", ".join(f"{m} {s['delta_e2000']:.2f}" for m, s in summary.items()) + "."][:int(ranking)]
    if method in summary and "gray" in summary:
        lines += _against_gray_and_baselines(summary, method, baselines)
        mine = [r for r in rows if r["method"] == method]
        its = mine[0].get("iterations")
        if its is not None and its < PAPER_ITERATIONS:
            lines.append(f"This profile runs {int(its)} iterations at {int(mine[0]['size'])} px (the paper: "
                         f"{PAPER_ITERATIONS} at {PAPER_SIZE} px); the paper preset starts from noise, so these "
                         "numbers may be of an unconverged optimisation.")
    if retrieval_rows:
        lines.append(_retrieval_sentence(retrieval_rows))
    return "\n".join(lines)


def _against_gray_and_baselines(summary: dict, method: str, baselines: tuple) -> list[str]:
    me, gray = summary[method], summary["gray"]
    better = me["delta_e2000"] < gray["delta_e2000"]
    lines = [f"The {method} method is {'better' if better else 'WORSE'} than leaving the image gray "
             f"({me['delta_e2000']:.2f} vs {gray['delta_e2000']:.2f}; lower on {me['beats_gray']} pairs), "
             f"with {me['colourfulness_ratio']:.2f}x the true colourfulness."]
    base = [m for m in baselines if m in summary]
    if base:
        best = min(base, key=lambda m: summary[m]["delta_e2000"])
        gap = me["delta_e2000"] - summary[best]["delta_e2000"]
        lines.append(f"The best classical baseline, {best} ({summary[best]['delta_e2000']:.2f}), is "
                     + (f"better than {method} by {gap:.2f} ΔE." if gap > 0 else
                        f"worse than {method} by {-gap:.2f} ΔE."))
    return lines


def _retrieval_sentence(rows: list[dict]) -> str:
    s = retrieval_summary(rows)
    return (f"Retrieval picked the designated partner for {round(s['top1_agreement'] * s['n'])}/{s['n']} "
            f"ukiyo-e contents (top-1 agreement {s['top1_agreement']:.0%}); its pick gave a ΔE as low or lower "
            f"with {rows[0]['method']} in {round(s['as_good_rate'] * s['n'])}/{s['n']} (mean "
            f"{s['mean_delta_e_retrieved']:.2f} vs {s['mean_delta_e_designated']:.2f} with the partner).")
