#!/usr/bin/env python3
"""Switchboard and Hugo side by side on the same synthetic organisation (issue 16).

    python3 benches/bench-hugo.py            # 1,000 departments x 10 contacts, 7 runs of each
    python3 benches/bench-hugo.py --quick    # 20 x 5, 2 runs: checks it still works (CI)

Generates the organisation with `synth-org.py`, prepares a Hugo site from the
same data (`benches/hugo/`, Debian's `hugo`; `scripts/install-peers.sh`
installs it), then times, alternating Switchboard and Hugo run by run (who
goes first swaps every run, so neither always gets the warmer cache), first
all the rebuilds, then all the cold builds:

- "rebuild": into the existing output folder (what an editor runs again
  and again);
- "cold": into a new, empty folder each time (all kept until the end), and for Switchboard with no
  `.switchboard/recycle` or its indexes (what a static host's CI does on every deploy). They are
  moved aside, not deleted, until the end: deleting a tree's ~1,000 folders right before a cold
  build makes ext4 (without a journal) skip their inodes while it allocates new ones, seconds of
  kernel time that a fresh checkout does not pay.

Each build is a fresh child process; its wall time is measured around it and
its peak RSS read with `os.wait4`. Printed: medians, the ratio
Switchboard / Hugo, and page weights (Switchboard's home, a department and
the form page on the synthetic organisation and on the example site in
`content/`, with the CSS and JS they load; Hugo's home page). Markdown, ready
for BENCHMARKS.md. A benchmark, not a test: nothing fails on a slow machine.
Space runs 5 minutes apart or give each a fresh TMPDIR: each run deletes
its ~150,000 files at the end, and ext4 without a journal skips freshly
deleted inodes while the next run's cold builds allocate theirs.
Switchboard also writes a vCard per contact; the Hugo site does not.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
DEFAULT_BINARY = os.path.join(TARGET, "release", "switchboard")
HUGO_SKELETON = os.path.join(ROOT, "benches", "hugo")


def timed(argv):
    """Runs argv in a fresh child: (wall s, cpu s, peak MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{stderr}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss / 1024}


def switchboard(binary, site, out):
    manifest = os.path.join(site, ".switchboard", "routing.json")
    return [binary, "--root", site, "build", "--output", out, "--manifest", manifest]


def hugo(site, out):
    return ["hugo", "--quiet", "--source", site, "--destination", out]


def toml_value(value):
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value).lower() if isinstance(value, bool) else str(value)


def prepare_hugo(org, site):
    """The Hugo site for the organisation in `org`: see benches/hugo/README.md."""
    shutil.copytree(HUGO_SKELETON, site, ignore=shutil.ignore_patterns("README.md"))
    content = os.path.join(org, "content")
    with open(os.path.join(content, "site.toml"), "rb") as f:
        conf = tomllib.load(f)
    org_conf = conf.get("organization", {})
    config = os.path.join(site, "hugo.toml")
    with open(config, encoding="utf-8") as f:
        base = f.read()
    with open(config, "w", encoding="utf-8") as f:
        # Top-level keys first: in TOML they would otherwise land in the last table.
        f.write(f"title = {toml_value(conf['site']['title'])}\n")
        f.write(f"baseURL = {toml_value(conf['site']['base_url'].rstrip('/') + '/')}\n")
        f.write(base)
        f.write("\n[params.organization]\n")
        for key in ["name", "phone"]:
            f.write(f"{key} = {toml_value(org_conf.get(key, ''))}\n")
        f.write(f"\n[params.form]\nendpoint = {toml_value(conf.get('form', {}).get('endpoint', ''))}\n")
    os.makedirs(os.path.join(site, "data"))
    shutil.copy(os.path.join(content, "topics.toml"), os.path.join(site, "data", "topics.toml"))
    departments = os.path.join(site, "content", "departments")
    os.makedirs(departments)
    for name in sorted(os.listdir(os.path.join(content, "departments"))):
        if name.endswith(".toml"):
            with open(os.path.join(content, "departments", name), encoding="utf-8") as f:
                front = f.read()
            with open(os.path.join(departments, name[:-5] + ".md"), "w", encoding="utf-8") as f:
                f.write("+++\n" + front + "+++\n")
    pages = os.path.join(content, "pages")
    for name in sorted(os.listdir(pages)) if os.path.isdir(pages) else []:
        with open(os.path.join(pages, name), encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"^menu = (\d+)$", r'weight = \1\nmenu = "main"', text, count=1, flags=re.M)
        with open(os.path.join(site, "content", name), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(site, "content", "contact.md"), "w", encoding="utf-8") as f:
        f.write('+++\ntitle = "Contact us"\nlayout = "contact"\n+++\nChoose the topic that fits best.\n')


def weight(out, page):
    """Bytes of a page's HTML, and of the HTML with the local CSS and JS it loads."""
    path = os.path.join(out, page, "index.html")
    with open(path, encoding="utf-8") as f:
        html = f.read()
    total = html_bytes = os.path.getsize(path)
    for ref in re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', html):
        if "://" in ref:
            continue
        local = os.path.normpath(os.path.join(os.path.dirname(path), ref.split("?")[0]) if not ref.startswith("/") else os.path.join(out, ref.lstrip("/")))
        if os.path.isfile(local):
            total += os.path.getsize(local)
    return html_bytes, total


def search_chunks(out):
    """The search index's files (`public/search/*.json`): count, total, median and largest."""
    folder = os.path.join(out, "search")
    sizes = sorted(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    return (f"{len(sizes)} file(s), {size(sum(sizes))} in all, median {size(int(statistics.median(sizes)))}, "
            f"largest {size(sizes[-1])}")


def size(n):
    """Exact bytes, and the rounded figure for a reader."""
    rounded = f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} KB"
    return f"{n:,} ({rounded})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="20 x 5, 2 runs: checks the benchmark still works")
    parser.add_argument("--switchboard", metavar="BINARY",
                        help="time this switchboard binary (another commit's) instead of building this tree's release binary")
    args = parser.parse_args()
    if args.quick:
        args.departments, args.contacts, args.runs = 20, 5, 2
    if not shutil.which("hugo"):
        sys.exit("hugo not found: run scripts/install-peers.sh (Debian's hugo)")
    binary = args.switchboard or DEFAULT_BINARY
    if not args.switchboard:
        subprocess.run(["nice", "cargo", "build", "--release", "--quiet", "--bin", "switchboard"], cwd=ROOT, check=True)
    hugo_version = subprocess.run(["hugo", "version"], capture_output=True, text=True, check=True).stdout.split()[1].split("+")[0]

    with tempfile.TemporaryDirectory() as temp:
        org = os.path.join(temp, "org")
        subprocess.run(
            [sys.executable, os.path.join(ROOT, "benches", "synth-org.py"), "--departments", str(args.departments),
             "--contacts", str(args.contacts), "--seed", "1", org],
            check=True,
        )
        hsite = os.path.join(temp, "hugo-site")
        prepare_hugo(org, hsite)
        state = os.path.join(org, ".switchboard")
        aside = os.path.join(temp, "aside")

        def forget_recycled():
            """Moves the recycled tree and its indexes aside (deleted at the end)."""
            os.makedirs(aside, exist_ok=True)
            for name in ["recycle", "recycle.index", "recycle.tree-index"]:
                if os.path.exists(os.path.join(state, name)):
                    os.rename(os.path.join(state, name), tempfile.mkdtemp(dir=aside) + "/" + name)

        builders = {
            "switchboard": (lambda out: switchboard(binary, org, out), forget_recycled),
            # No resource pipeline in the Hugo site, so resources/ stays empty; removed anyway.
            "hugo": (lambda out: hugo(hsite, out), lambda: shutil.rmtree(os.path.join(hsite, "resources"), ignore_errors=True)),
        }
        kept = {name: os.path.join(temp, f"{name}-public") for name in builders}
        for name, (argv, _) in builders.items():
            for _ in range(2):  # warm the page cache; leave an output (and a tree to recycle)
                timed(argv(kept[name]))
        print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs); "
              f"{args.departments} x {args.contacts}, {args.runs} runs each, hugo {hugo_version}\n")

        samples = {(name, case): [] for name in builders for case in ["rebuild", "cold"]}
        # All rebuilds first, then all cold builds: a Switchboard rebuild right
        # after a cold build finds no recycled tree for its output folder (it
        # compares and links every file instead), which is neither case
        # measured here (BENCHMARKS.md, issue 16 item 3).
        for case in ["rebuild", "cold"]:
            for run in range(args.runs):
                order = list(builders) if run % 2 == 0 else list(builders)[::-1]
                for name in order:
                    argv, forget = builders[name]
                    if case == "rebuild":
                        samples[(name, case)].append(timed(argv(kept[name])))
                    else:
                        fresh = os.path.join(temp, f"{name}-cold-{run}")
                        forget()
                        samples[(name, case)].append(timed(argv(fresh)))
        # Cold outputs are deleted only now: ext4 allocating ~11,000 inodes right
        # after as many were freed costs the next build seconds of kernel time.
        for name in builders:
            for run in range(args.runs):
                shutil.rmtree(os.path.join(temp, f"{name}-cold-{run}"), ignore_errors=True)
        shutil.rmtree(aside, ignore_errors=True)

        med = {k: {m: statistics.median(s[m] for s in v) for m in ["wall", "cpu", "peak"]} for k, v in samples.items()}
        print(f"| | Switchboard | Hugo {hugo_version} | ratio |")
        print("|---|---|---|---|")
        for case, label in [("rebuild", "rebuild into the existing output"), ("cold", "cold build into a new folder")]:
            s, h = med[("switchboard", case)], med[("hugo", case)]
            print(f"| {label}, wall | {s['wall']:.3f} s | {h['wall']:.3f} s | {s['wall'] / h['wall']:.2f}× |")
            print(f"| {label}, CPU (user+sys) | {s['cpu']:.3f} s | {h['cpu']:.3f} s | {s['cpu'] / h['cpu']:.2f}× |")
        for case in ["rebuild", "cold"]:
            s, h = med[("switchboard", case)], med[("hugo", case)]
            print(f"| peak memory ({case}) | {s['peak']:.1f} MiB | {h['peak']:.1f} MiB | {s['peak'] / h['peak']:.2f}× |")
        print(f"\nmedians of {args.runs} alternating runs each; ratio = Switchboard / Hugo\n")

        first = sorted(os.listdir(os.path.join(org, "content", "departments")))[0][:-5]
        example = os.path.join(temp, "example")
        for part in ["content", "static"]:
            if os.path.isdir(os.path.join(ROOT, part)):
                shutil.copytree(os.path.join(ROOT, part), os.path.join(example, part))
        example_out = os.path.join(temp, "example-public")
        timed(switchboard(binary, example, example_out))
        example_dept = sorted(os.listdir(os.path.join(example, "content", "departments")))[0][:-5]
        rows = [
            ("Switchboard", f"synthetic {args.departments} x {args.contacts}", kept["switchboard"], [("home", ""), (f"department ({first})", f"departments/{first}"), ("form", "contact"), ("people index", "people"), ("people index, page 1", "people/1"), ("every department", "departments")]),
            ("Hugo", f"synthetic {args.departments} x {args.contacts}", kept["hugo"], [("home", ""), (f"department ({first})", f"departments/{first}"), ("form", "contact")]),
            ("Switchboard", "example site (`content/`)", example_out, [("home", ""), (f"department ({example_dept})", f"departments/{example_dept}"), ("form", "contact"), ("people index", "people")]),
        ]
        print("| builder | site | page | HTML | HTML + CSS + JS |")
        print("|---|---|---|---|---|")
        for builder, site, out, pages in rows:
            for label, page in pages:
                if not os.path.isfile(os.path.join(out, page, "index.html")):
                    continue  # e.g. people/1/ when everyone fits on people/
                html, total = weight(out, page)
                print(f"| {builder} | {site} | {label} | {size(html)} | {size(total)} |")
        for site, out in [(f"synthetic {args.departments} x {args.contacts}", kept["switchboard"]), ("example site", example_out)]:
            print(f"\nSwitchboard's search index, {site}: {search_chunks(out)}")


if __name__ == "__main__":
    main()
