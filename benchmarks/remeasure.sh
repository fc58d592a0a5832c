#!/usr/bin/env bash
# Every issue-11 benchmark (the README's "At scale" table), one after the other, from this checkout,
# for a quiet machine: run it with nothing else running, in the environment where annotator is
# installed. Each script's output goes to OUT/NAME.txt (its stderr to NAME.err), the times and the
# load average of each step to OUT/log. About 40 minutes on 2 cores with the datasets built
# (benchmarks/synth.py builds them on first use, 1M in about 45 minutes).
#   OUT=DIR bash benchmarks/remeasure.sh [part...]   (parts: import export agree stats start longdoc)
set -uo pipefail
OUT=${OUT:-/tmp/remeasure/$(date +%Y%m%d-%H%M)}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
unset PYTHONPATH
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(import export agree stats start longdoc)
work=$(mktemp -d /tmp/remeasure-work.XXXX)
step() {  # name command...
    local name=$1; shift
    echo "== $(date +%T) $name: $* ($(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$OUT/log"
    "$@" > "$OUT/$name.txt" 2> "$OUT/$name.err"
    echo "   rc=$? $(date +%T)" | tee -a "$OUT/log"
}
for part in "${parts[@]}"; do
    case $part in
    import)
        step import-100k python benchmarks/bench_import.py 100000 --repeat 1 --work "$work"
        rm -rf "${work:?}"/*
        step import-1m python benchmarks/bench_import.py 1000000 --repeat 1 --only-a --work "$work"
        rm -rf "${work:?}"/*
        ;;
    export)
        step export-10k python benchmarks/bench_export.py 10000 --repeat 3 --out "$work"
        rm -rf "${work:?}"/*
        sleep 90  # ext4 skips inodes freed in the last minute: let the deletes settle
        step export-100k python benchmarks/bench_export.py 100000 --repeat 1 --out "$work"
        rm -rf "${work:?}"/*
        sleep 90
        ;;
    agree)
        step agree-1m python benchmarks/bench_agreement.py 1000000 --repeat 1 --files
        d=${ANNOTATOR_BENCH_DIR:-/tmp/annotator-bench}/synth-1000000  # built by bench_agreement above
        step f1-warm-1 /usr/bin/time -v python benchmarks/baseline.py f1 $d/a.jsonl $d/b.jsonl
        step agree-warm /usr/bin/time -v python -m annotator agreement $d/a.jsonl $d/b.jsonl --json
        step f1-warm-2 /usr/bin/time -v python benchmarks/baseline.py f1 $d/a.jsonl $d/b.jsonl
        ;;
    stats)
        step stats-1m python benchmarks/bench_stats.py 1000000
        step review-1m python benchmarks/bench_review.py 1000000
        step review-again-1m python benchmarks/bench_review_again.py 1000000
        ;;
    start)
        step annotate-1m python benchmarks/bench_annotate.py 1000000
        step start-cpu-1m python benchmarks/bench_start_cpu.py 1000000 --repeat 8
        ;;
    longdoc)
        step longdoc python benchmarks/bench_longdoc.py 500000 --repeat 2 --keys 60
        ;;
    esac
done
rm -rf "$work"
echo "== done $(date +%T)" | tee -a "$OUT/log"
