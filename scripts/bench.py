#!/usr/bin/env python3
"""Build benchmarks: wall time (median of N runs) and peak memory of a full
`switchboard build` (release) on the example site and synthetic organisations.

    python3 scripts/bench.py                 # example, 1,000 x 10, 10,000 x 10
    python3 scripts/bench.py --quick         # a small size only (what CI runs)

Figures go to stdout as a Markdown table, ready for BENCHMARKS.md.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "switchboard")


def run_once(site, out):
    """One build in a child process: (wall seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [BINARY, "--root", site, "build", "--output", out, "--manifest", os.path.join(site, ".switchboard", "routing.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"build of {site} failed:\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def bench(label, site, runs):
    with tempfile.TemporaryDirectory() as temp:
        out = os.path.join(temp, "public")
        run_once(site, out)  # warm the page cache and the output folder
        samples = [run_once(site, out) for _ in range(runs)]
    walls = [w for w, _ in samples]
    peak = max(m for _, m in samples)
    return {"label": label, "median": statistics.median(walls), "min": min(walls), "peak": peak}


def synth(temp, departments, contacts):
    site = os.path.join(temp, f"org-{departments}x{contacts}")
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "synth-org.py"), "--departments", str(departments), "--contacts", str(contacts), site],
        check=True,
    )
    return site


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one small size, 3 runs: checks the benchmark still works")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "switchboard"], cwd=ROOT, check=True)

    results = []
    with tempfile.TemporaryDirectory() as temp:
        example = os.path.join(temp, "example")
        for part in ["content", "static"]:
            shutil.copytree(os.path.join(ROOT, part), os.path.join(example, part))
        if args.quick:
            results.append(bench("example site", example, 3))
            results.append(bench("synthetic 50 x 10", synth(temp, 50, 10), 3))
        else:
            results.append(bench("example site", example, args.runs))
            results.append(bench("synthetic 1,000 x 10", synth(temp, 1000, 10), args.runs))
            results.append(bench("synthetic 10,000 x 10", synth(temp, 10000, 10), args.runs))

    print("| site | median wall | fastest | peak RSS |")
    print("|---|---|---|---|")
    for r in results:
        print(f"| {r['label']} | {r['median'] * 1000:.0f} ms | {r['min'] * 1000:.0f} ms | {r['peak']:.1f} MiB |")
    if len(results) == 3:
        growth = results[2]["median"] / results[1]["median"]
        print(f"\ngrowth 10,000 / 1,000 departments: {growth:.1f}x")


if __name__ == "__main__":
    main()
