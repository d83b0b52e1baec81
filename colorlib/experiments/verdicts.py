"""The sentences the figure notebooks print, computed from the numbers in a figure's record."""
from __future__ import annotations

STRUCTURE_KEPT = 0.5  # structure_ssim at or above which the print's layout counts as kept (the gray input: ~0.98)
COLOUR_CARRIED = 0.35  # colourfulness / the truth's at or above which the style's colours count as carried


def kept(row: dict) -> bool:
    """Does a result keep the print's structure while carrying the style's colours?"""
    return row["structure_ssim"] >= STRUCTURE_KEPT and row["colourfulness_ratio"] >= COLOUR_CARRIED


def figure1_verdict(record: dict) -> str:
    """Structure and colour first (what the paper shows), then ΔE2000 against leaving the input gray."""
    s, cols = record["summary"], record["columns"]
    n_kept = sum(kept(c) for c in cols)
    better = "beats" if s["mean_delta_e2000"] < s["mean_delta_e2000_gray"] else "does not beat"
    return (f"Profile {record['profile']}, preset {record['preset']}: {n_kept} of {len(cols)} results keep the "
            f"print's structure (mean structure SSIM {s['mean_structure_ssim']:.2f}, bar {STRUCTURE_KEPT}) while "
            f"carrying the style's colours (mean colourfulness {s['mean_colourfulness_ratio']:.2f}× the "
            f"original's, bar {COLOUR_CARRIED}). Against the true colours the method {better} the uncoloured gray "
            f"input (mean ΔE2000 {s['mean_delta_e2000']:.2f} vs {s['mean_delta_e2000_gray']:.2f}; closer than gray "
            f"on {s['columns_beating_gray']} of {len(cols)} prints).")


def ablation_verdict(record: dict) -> str:
    """Which readings of the paper keep the print, and which carries the most colour among those."""
    v = record["variants"]
    good = [k for k, row in v.items() if kept(row)]
    parts = [f"{row['label']}: structure {row['structure_ssim']:.2f}, colour ×{row['colourfulness_ratio']:.2f}"
             for row in v.values()]
    if not good:
        return "No reading keeps the print's structure with colour: " + "; ".join(parts) + "."
    most = max(good, key=lambda k: v[k]["colourfulness_ratio"])
    return (f"{len(good)} of {len(v)} readings keep the print's structure with colour; the most colourful of "
            f"them is '{v[most]['label']}'. " + "; ".join(parts) + ".")


def figure2_verdict(record: dict) -> str:
    """The paper's two claims against this run's numbers.

    Claim 1: L-BFGS needs no tuning and gives slightly better images than the best hand-tuned SGD: here, a lower
    total loss with fixed β/α, and with decaying β/α a structure at least as well kept.
    Claim 2: decaying β/α improves the images: here, a lower ΔE2000 to the true colours, per optimizer."""
    v, sweep = record["variants"], record["sgd_lr_sweep"]
    tried, failed = len(sweep["runs"]), sum(r["final_total_loss"] is None for r in sweep["runs"])
    lf, sf, ld, sd = v["lbfgs_fixed"], v["sgd_fixed"], v["lbfgs_decay"], v["sgd_decay"]
    lower = lf["total_loss"] is not None and sf["total_loss"] is not None and lf["total_loss"] < sf["total_loss"]
    kept_better = ld["structure_ssim"] >= sd["structure_ssim"]
    claim1 = "agrees" if lower and kept_better else "partly agrees" if lower or kept_better else "does not agree"
    out = [f"L-BFGS (no tuning, lr 1) vs SGD (lr {sweep['chosen_lr']:.2g}, best of {tried} rates tried, {failed} "
           f"diverged): with fixed β/α L-BFGS ends at total loss {_g(lf['total_loss'])} vs SGD's "
           f"{_g(sf['total_loss'])}; with decaying β/α structure {ld['structure_ssim']:.2f} vs "
           f"{sd['structure_ssim']:.2f}, so this run {claim1} with the paper's claim that L-BFGS is better."]
    helped = [k for k in ("sgd", "lbfgs") if v[f"{k}_decay"]["delta_e2000"] < v[f"{k}_fixed"]["delta_e2000"]]
    claim2 = {2: "agrees", 1: "partly agrees", 0: "does not agree"}[len(helped)]
    out.append(f"Decaying β/α changes ΔE2000 from {sf['delta_e2000']:.2f} to {sd['delta_e2000']:.2f} (SGD) and "
               f"from {lf['delta_e2000']:.2f} to {ld['delta_e2000']:.2f} (L-BFGS), so this run {claim2} with the "
               f"paper's claim that decaying the style weight helps.")
    for row in v.values():
        note = "" if kept(row) else " — does not keep the print with colour"
        out.append(f"{row['label']}: structure {row['structure_ssim']:.2f}, colour ×{row['colourfulness_ratio']:.2f}"
                   f", ΔE2000 {row['delta_e2000']:.2f}{note}.")
        if row.get("diverged"):
            out.append(f"{row['label']} diverged ({row['diverged']}); its last finite image is shown.")
    return " ".join(out)


def _g(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"
