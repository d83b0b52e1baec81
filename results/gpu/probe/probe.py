"""Scratch: where a graphed 512-px iteration's time goes, and channels_last on CUDA."""
import os, sys, time
sys.path.insert(0, os.getcwd())
import torch
from colorlib.experiments import runs
from colorlib.paper import colorize as C
from colorlib.speedups.backend import tune_backend
pair = runs.pair_at(0, 512)
dev = torch.device("cuda")
tune_backend(dev, "fp32")
orig = C.extractor

def run(precision, nhwc, iterations=1000, form="cuda-graph"):
    C.extractor = lambda layers, w, p, s, d, cl: orig(layers, w, p, s, d, nhwc)
    cfg = runs.settings("paper", "cuda", precision=precision, iterations=iterations, lbfgs_form=form)
    r = C.colorize(pair["content"], pair["style"], cfg)
    C.extractor = orig
    return r

for prec in ("fp32", "bf16"):
    for nhwc in (False, True):
        run(prec, nhwc, 10)
        r = run(prec, nhwc)
        print(f"{prec} nhwc={nhwc}: {r.run['seconds']:.2f} s", runs.score(r.image, pair["truth"]), flush=True)

# the objective alone (forward + backward), graphed, against the whole iteration
from torch.profiler import profile, ProfilerActivity
for prec, nhwc in (("fp32", False), ("bf16", True)):
    run(prec, nhwc, 10)
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        run(prec, nhwc, 60)
    print(f"== profile {prec} nhwc={nhwc}, 60 iterations (3 eager + replays)")
    for key in ("self_device_time_total", "self_cuda_time_total"):
        try:
            print(prof.key_averages().table(sort_by=key, row_limit=22, max_name_column_width=70), flush=True)
            break
        except Exception as e:
            print("sort", key, "failed", e)
