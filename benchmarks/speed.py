"""Speed benchmark: our iteration against this machine's matmul roofline and against pastiche, peak
memory per size, time-to-quality of the paper recipe against preset 'fast', and (opt-in) torch.compile.

The full run (about 12 min on an idle 2-core CPU; add --threads 1 on a shared, oversubscribed machine):

    nice -n 10 .venv/bin/python benchmarks/speed.py --compile

A check that it runs end to end (seconds):

    nice -n 10 .venv/bin/python benchmarks/speed.py --threads 1 --compile --sizes 48 --pastiche-sizes 48 \
        --timed 2 --matmul 256 --ttq-size 48 --paper-iterations 4 --every 2 --pairs motorcycle \
        --out /tmp/speed-check

Everything that is compared is measured side by side in one run and calls the library as a user would: our
iterations are colorize() itself (an on_step clock), taking turns with pastiche 1.6's PasticheArtist.draw() at
equal size, layers and steps and with the fp32/bf16 matmul roofline, block by block, so a change in the
machine's load hits them alike (benchmarks/speed_throughput.py). Time-to-quality runs colorize() and
colorize_faster() (benchmarks/speed_quality.py); peak memory runs colorize() in a fresh process per size.
Writes OUT/speed.json (after each section, with versions, CPU flags and thread count), throughput.png and
time_to_quality.png; `--replot OUT/speed.json` redraws the figures only.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # colorlib from this checkout
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))  # the speed_* helpers beside this file

import torch  # noqa: E402

from colorlib import Config, colorize, data, hardware, record  # noqa: E402
from speed_quality import plot_all, time_to_quality  # noqa: E402
from speed_throughput import throughput  # noqa: E402

OUT = "results/benchmarks"
FLAGS = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile")


def machine(device) -> dict:
    """What the numbers were measured on: CPU, its relevant flags, threads, device and the precisions chosen."""
    flags = hardware.cpu_flags()
    out = dict(cpu=hardware.cpu_model(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
               cpu_flags={f: f in flags for f in FLAGS}, torch=torch.__version__, device=str(device),
               default_precision=dict(zip(("precision", "reason"),
                                          hardware.resolve_precision(Config().precision, device), strict=True)),
               auto_precision=dict(zip(("precision", "reason"), hardware.resolve_precision("auto", device),
                                           strict=True)))
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
    return out


# ------------------------------------------------------------------------------------- memory
def _status_mib(field: str) -> float | None:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MiB; None where there is no such file."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) / 1024 for line in fh if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return None


def rss_child(size: int, precision: str, device: str, threads: int):
    """Runs in a fresh process: 3 iterations of colorize() at `size`; prints its peak memory as JSON."""
    if threads:
        torch.set_num_threads(threads)
    pair = data.motorcycle_pair()
    dev = hardware.resolve_device(device)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    before = _status_mib("VmRSS")
    try:  # Linux: reset the peak (VmHWM) to the current RSS, so the peak below is the run's own
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    colorize(pair["content"], pair["style"], Config.from_preset("paper", size=size, iterations=3,
                                                                precision=precision, device=device))
    peak = _status_mib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    out = dict(peak_rss_mib=peak, rss_before_run_mib=before)
    if dev.type == "cuda":
        out["cuda_max_memory_allocated_mib"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(out))


def memory(args) -> list:
    rows = []
    for size in args.sizes:
        for precision in ("fp32", "bf16"):
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--rss-child", str(size), precision,
                                   args.device, str(args.threads)], capture_output=True, text=True)
            if proc.returncode != 0:
                rows.append(dict(size=size, precision=precision, error=proc.stderr.strip().splitlines()[-1:]))
                print(f"{size:4d} px {precision}: failed: {rows[-1]['error']}", flush=True)
                continue
            row = dict(size=size, precision=precision, **json.loads(proc.stdout.strip().splitlines()[-1]))
            rows.append(row)
            print(f"{size:4d} px {precision}: peak RSS {row['peak_rss_mib']:.0f} MiB "
                  f"({row['peak_rss_mib'] - (row['rss_before_run_mib'] or 0):.0f} MiB above the process before "
                  "the run, "
                  "weights loading included)"
                  + (f", CUDA {row['cuda_max_memory_allocated_mib']:.0f} MiB" if "cuda_max_memory_allocated_mib" in row
                     else ""), flush=True)
    return rows


# ------------------------------------------------------------------------------------- main
def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="128,256,512", help="image sizes of the throughput and memory sections")
    parser.add_argument("--pastiche-sizes", default="128,256,512", help="sizes at which pastiche is timed too")
    parser.add_argument("--timed", type=int, default=10, help="timed iterations per runner and size")
    parser.add_argument("--block", type=int, default=5, help="iterations per turn (one colorize() call of block+1)")
    parser.add_argument("--matmul", type=int, default=2048, help="side of the roofline matmul")
    parser.add_argument("--compile", action="store_true",
                        help="also time colorize() with its feature extractor torch.compile'd (inductor, "
                        "from an empty cache)")
    parser.add_argument("--ttq-size", type=int, default=128)
    parser.add_argument("--paper-iterations", type=int, default=1000)
    parser.add_argument("--every", type=int, default=10, help="ΔE2000 checkpoint every N iterations")
    parser.add_argument("--pairs", default="motorcycle,0", help="'motorcycle' and/or ukiyo-e pair indices (pairs.csv)")
    parser.add_argument("--sections", default="throughput,ttq,memory")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default); 1 is "
                        "steadier on an oversubscribed machine, where spinning OpenMP threads wait on each other")
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--rss-child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--replot", metavar="SPEED_JSON", help="only redraw the figures from a speed.json")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.pastiche_sizes = [int(s) for s in args.pastiche_sizes.split(",") if s]
    return args


def main(argv=None):
    args = parse(argv)
    if args.replot:
        with open(args.replot, encoding="utf-8") as fh:
            return plot_all(json.load(fh), os.path.dirname(args.replot))
    if args.rss_child:
        size, precision, device, threads = args.rss_child
        return rss_child(int(size), precision, device, int(threads))
    if args.threads:
        torch.set_num_threads(args.threads)
    device = hardware.resolve_device(args.device)
    args.default_precision = hardware.resolve_precision(Config().precision, device)[0]
    pairs = [data.motorcycle_pair() if p == "motorcycle" else data.load_pair(int(p)) for p in args.pairs.split(",")]
    sections = args.sections.split(",")
    report = dict(command=record.command_line(), args=record.portable_args(args),
                  machine=machine(device), versions=record.versions(), load_average_start=os.getloadavg())
    print(json.dumps(report["machine"]), f"load average {report['load_average_start']}", flush=True)
    t0 = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "speed.json")
    with tempfile.TemporaryDirectory() as folder:
        if args.compile:  # an empty inductor cache, so the compile time measured is a first compile's
            os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(folder, "inductor")
        jobs = {"throughput": ("throughput", lambda: throughput(args, device, pairs[0], folder)),
                "ttq": ("time_to_quality", lambda: time_to_quality(args, pairs)),
                "memory": ("memory", lambda: memory(args))}
        for name in sections:
            key, fn = jobs[name]
            start = time.perf_counter()
            report[key] = fn()
            report.setdefault("section_seconds", {})[name] = round(time.perf_counter() - start, 1)
            report["load_average_end"] = os.getloadavg()
            report["seconds"] = round(time.perf_counter() - t0, 1)
            record.write_json(report, path)  # after each section, so a cut-short run keeps what it measured
    print(f"wrote {path} in {report['seconds']:.0f} s; load average at the end {report['load_average_end']}")
    plot_all(report, args.out)


if __name__ == "__main__":
    main()
