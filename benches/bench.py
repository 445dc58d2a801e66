#!/usr/bin/env python3
"""Build and router benchmarks: the figures in BENCHMARKS.md, one command.

    python3 benches/bench.py                 # example, 1,000 x 10, 10,000 x 10, router
    python3 benches/bench.py --quick         # example and 50 x 10, 3 runs, router on the fixture (CI)
    python3 benches/bench.py --runs 9        # more runs per row

For each site, a full `switchboard build` (release) runs `--runs` times in a
child process; reported are the median and fastest wall time, the median CPU
time (user + system: far less sensitive to other load on the machine than
wall time), the largest peak RSS, and the median of each phase
(`SWITCHBOARD_TIMINGS=1`). Two cases per site:

- "rebuild": into an existing output folder, what an editor runs again and
  again (unchanged files are kept, the previous tree is recycled);
- "fresh": into an empty folder, with no recycled tree (the first build, or
  a CI checkout).

Then the router: `cargo bench -p switchboard-router --bench pipeline` on
the 1,000-department manifest (parse, screen, validate, route, compose;
manifest load), and `--bench handler` (the whole handler with the durable
outbox and mail files, on /dev/shm and on disk).

Figures go to stdout as Markdown tables, ready for BENCHMARKS.md. A
benchmark, not a test: nothing fails on a slow machine.
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
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BINARY = os.path.join(TARGET, "release", "switchboard")


def run_once(site, out):
    """One build in a child process: dict of wall s, cpu s, peak MiB, phases."""
    env = dict(os.environ, SWITCHBOARD_TIMINGS="1")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [BINARY, "--root", site, "build", "--output", out, "--manifest", manifest_of(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    stderr = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"build of {site} failed:\n{stderr}")
    phases = {}
    for line in stderr.splitlines():
        if line.startswith("timing: "):
            name, _, ms = line[len("timing: "):].rpartition(": ")
            phases[name] = float(ms.split()[0])
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak": usage.ru_maxrss / 1024,
        "phases": phases,
    }


def manifest_of(site):
    return os.path.join(site, ".switchboard", "routing.json")


def summarise(label, samples):
    phases = {}
    for name in samples[0]["phases"]:
        phases[name] = statistics.median(s["phases"].get(name, 0.0) for s in samples)
    return {
        "label": label,
        "median": statistics.median(s["wall"] for s in samples),
        "min": min(s["wall"] for s in samples),
        "cpu": statistics.median(s["cpu"] for s in samples),
        "peak": max(s["peak"] for s in samples),
        "phases": phases,
        "runs": len(samples),
    }


def bench(label, site, runs):
    """Rebuild and fresh figures for `site`."""
    recycle = os.path.join(site, ".switchboard", "recycle")
    results = []
    with tempfile.TemporaryDirectory(dir=os.path.dirname(site)) as temp:
        out = os.path.join(temp, "public")
        run_once(site, out)  # warm the page cache and the output folder
        run_once(site, out)  # and leave a tree to recycle
        results.append(summarise(f"{label}, rebuild", [run_once(site, out) for _ in range(runs)]))
        # Nothing is deleted until the last fresh run: on this ext4 a large
        # deletion right before a build makes each new file cost many times
        # more (BENCHMARKS.md, "Issue 16"), which would time the deletion.
        aside = os.path.join(temp, "aside")
        os.makedirs(aside)
        samples = []
        for i in range(runs):
            fresh = os.path.join(temp, f"fresh-{i}")
            for name in ["recycle", "recycle.index", "recycle.tree-index"]:
                path = os.path.join(os.path.dirname(recycle), name)
                if os.path.exists(path):
                    os.rename(path, os.path.join(tempfile.mkdtemp(dir=aside), name))
            samples.append(run_once(site, fresh))
        results.append(summarise(f"{label}, fresh", samples))
    return results


def synth(temp, departments, contacts):
    site = os.path.join(temp, f"org-{departments}x{contacts}")
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "benches", "synth-org.py"), "--departments", str(departments), "--contacts", str(contacts), "--seed", "1", site],
        check=True,
    )
    return site


def cargo_bench(name, *args, env=None):
    """Runs a router bench, returns its output lines."""
    proc = subprocess.run(
        ["cargo", "bench", "--quiet", "-p", "switchboard-router", "--bench", name, "--", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, **(env or {})),
    )
    return [line for line in proc.stdout.splitlines() if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 runs: checks the benchmarks still work")
    parser.add_argument("--no-router", action="store_true", help="only the build rows")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "switchboard"], cwd=ROOT, check=True)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)\n")

    results = []
    router_manifest = None
    with tempfile.TemporaryDirectory() as temp:
        example = os.path.join(temp, "example")
        for part in ["content", "static"]:
            shutil.copytree(os.path.join(ROOT, part), os.path.join(example, part))
        results += bench("example site", example, runs)
        if args.quick:
            results += bench("synthetic 50 x 10", synth(temp, 50, 10), runs)
        else:
            big = synth(temp, 1000, 10)
            results += bench("synthetic 1,000 x 10", big, runs)
            results += bench("synthetic 10,000 x 10", synth(temp, 10000, 10), runs)
            router_manifest = os.path.join(temp, "routing-1000.json")
            shutil.copy(manifest_of(big), router_manifest)

        print("| site | median wall | fastest | median CPU (user+sys) | peak RSS | runs |")
        print("|---|---|---|---|---|---|")
        for r in results:
            print(f"| {r['label']} | {r['median'] * 1000:.0f} ms | {r['min'] * 1000:.0f} ms | {r['cpu'] * 1000:.0f} ms | {r['peak']:.1f} MiB | {r['runs']} |")
        print("\nmedian phases (ms):\n")
        names = list(results[0]["phases"])
        print("| site | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for r in results:
            print(f"| {r['label']} | " + " | ".join(f"{r['phases'].get(n, 0):.0f}" for n in names) + " |")
        by = {r["label"]: r for r in results}
        for case in ["rebuild", "fresh"]:
            small = by.get(f"synthetic 1,000 x 10, {case}")
            large = by.get(f"synthetic 10,000 x 10, {case}")
            if small and large:
                print(f"\ngrowth 10,000 / 1,000 departments ({case}): wall {large['median'] / small['median']:.1f}x, CPU {large['cpu'] / small['cpu']:.1f}x")

        if not args.no_router:
            print("\nrouter:\n")
            for line in cargo_bench("pipeline", *(["500"] if args.quick else ["5000"])):
                print(f"- fixture manifest: {line}")
            if router_manifest:
                for line in cargo_bench("pipeline", "5000", router_manifest):
                    print(f"- 1,000 x 10 manifest: {line}")
            n = "50" if args.quick else "300"
            if os.path.isdir("/dev/shm"):
                for line in cargo_bench("handler", n, env={"SWITCHBOARD_BENCH_DIR": "/dev/shm"}):
                    print(f"- whole handler, outbox on /dev/shm: {line}")
            for line in cargo_bench("handler", n):
                print(f"- whole handler, outbox on disk: {line}")


if __name__ == "__main__":
    main()
