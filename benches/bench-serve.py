#!/usr/bin/env python3
"""Editor-loop benchmark for `switchboard serve` (release build): time from a
file save to the rebuilt page being served, and idle CPU with nothing changing.

    python3 benches/bench-serve.py              # example site and 1,000 x 10 departments
    python3 benches/bench-serve.py --quick      # example site only, fewer rounds

Each round saves a department file the way editors do (write a temp file,
rename it over the original) and polls the department's page over HTTP every
2 ms until the new text is served. Reported with the default debounce
(200 ms, what an editor gets) and with --debounce 10 (close to the bare
rebuild-and-swap cost). Idle CPU is user+system time of the serve process
over 10 s with nothing changing, native events and --poll. A benchmark, not
a test: nothing here fails on a slow machine.
"""
import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "switchboard")


def start(site, *flags):
    """Starts serve in `site`; returns (process, port) once it listens."""
    proc = subprocess.Popen(
        [BINARY, "serve", "--port", "0", *flags],
        cwd=site,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        match = re.search(r"Serving http://[^:]+:(\d+)/", line)
        if match:
            # Keep draining stdout so the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, int(match.group(1))
        if time.monotonic() > deadline:
            break
    proc.kill()
    sys.exit(f"serve did not start in {site}")


def fetch(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        return conn.getresponse().read().decode("utf-8", "replace")
    finally:
        conn.close()


def save_by_rename(path, text):
    temp = path + ".tmp"
    with open(temp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temp, path)


def latency_rounds(site, dept_file, dept_id, rounds, flags):
    """Median, p90 and max save-to-served latency in ms over `rounds` saves."""
    proc, port = start(site, *flags)
    path = os.path.join(site, "content", "departments", dept_file)
    page = f"/departments/{dept_id}/"
    original = open(path, encoding="utf-8").read()
    samples = []
    try:
        fetch(port, page)
        for n in range(rounds):
            marker = f"bench-{os.getpid()}-{n}"
            text = re.sub(r'^name = "(.*)"$', rf'name = "\1 {marker}"', original, count=1, flags=re.M)
            saved = time.perf_counter()
            save_by_rename(path, text)
            while marker not in fetch(port, page):
                time.sleep(0.002)
                if time.perf_counter() - saved > 60:
                    sys.exit(f"{marker} never served")
            samples.append((time.perf_counter() - saved) * 1000)
            time.sleep(0.3)  # let the debounce window close before the next save
    finally:
        save_by_rename(path, original)
        proc.terminate()
        proc.wait(timeout=30)
    samples.sort()
    p90 = samples[min(len(samples) - 1, int(len(samples) * 0.9))]
    return statistics.median(samples), p90, samples[-1]


def idle_cpu(site, flags, seconds=10.0):
    """CPU use of an idle serve, in percent of one core."""
    proc, port = start(site, *flags)
    try:
        fetch(port, "/")
        time.sleep(2)
        before = cpu_seconds(proc.pid)
        time.sleep(seconds)
        after = cpu_seconds(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return (after - before) / seconds * 100


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def example_site(tmp):
    site = os.path.join(tmp, "example")
    for name in ["content", "static", "templates", "themes"]:
        if os.path.isdir(os.path.join(ROOT, name)):
            shutil.copytree(os.path.join(ROOT, name), os.path.join(site, name))
    first = sorted(os.listdir(os.path.join(site, "content", "departments")))[0]
    dept_id = re.search(r'^id = "(.*)"$', open(os.path.join(site, "content", "departments", first)).read(), re.M).group(1)
    return site, first, dept_id


def synthetic_site(tmp, departments):
    site = os.path.join(tmp, f"synthetic-{departments}")
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "benches", "synth-org.py"), "--departments", str(departments), "--contacts", "10", site],
        check=True,
    )
    return site, "dept-00500.toml" if departments > 500 else "dept-00000.toml", "dept-00500" if departments > 500 else "dept-00000"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    rounds = 5 if args.quick else 15
    with tempfile.TemporaryDirectory() as tmp:
        sites = [("example", *example_site(tmp))]
        if not args.quick:
            sites.append(("1,000 departments x 10 contacts", *synthetic_site(tmp, 1000)))
        print("| site | debounce | save → served median | p90 | max | idle CPU (events) | idle CPU (--poll) |")
        print("|---|---|---|---|---|---|---|")
        for label, site, dept_file, dept_id in sites:
            idle = idle_cpu(site, [])
            idle_poll = idle_cpu(site, ["--poll"])
            for flags, shown in [([], "200 ms (default)"), (["--debounce", "10"], "10 ms")]:
                median, p90, worst = latency_rounds(site, dept_file, dept_id, rounds, flags)
                print(
                    f"| {label} | {shown} | {median:.0f} ms | {p90:.0f} ms | {worst:.0f} ms "
                    f"| {idle:.2f} % | {idle_poll:.2f} % |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
