#!/usr/bin/env python3
"""Benchmark harness: runs cci, ctags and rg on the same corpus in one run and prints medians
and ratios. Wall time is measured around each process; peak RSS comes from GNU time (%M)."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEARCH_TERMS = {
    "pystdlib": ["parse", "HTTPConnection", "urlopen"],
    "linux": ["kmalloc", "spin_lock_irqsave", "ext4_readdir"],
}


def timed(cmd, env=None, cwd=None):
    """Runs cmd under GNU time; returns (wall seconds, peak RSS bytes, stdout)."""
    with tempfile.NamedTemporaryFile("r") as tf:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd, env=env, cwd=cwd,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        if proc.returncode not in (0, 1):
            sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
        rss_kib = int(tf.read().strip().splitlines()[-1])
    return wall, rss_kib * 1024, proc.stdout


def dir_bytes(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def med(values):
    return statistics.median(values)


def bench_corpus(cci, name, corpus, runs):
    res = {"corpus": name, "path": str(corpus), "runs": runs}
    home = Path(tempfile.mkdtemp(prefix="cci-bench-"))
    env = dict(os.environ, CCI_HOME=str(home))
    try:
        walls, rss, report = [], [], None
        for _ in range(runs):
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            wall, peak, out = timed([cci, "index", str(corpus), "--quiet", "--json"], env=env)
            walls.append(wall)
            rss.append(peak)
            report = json.loads(out)
        db_dir = Path(report["database"]).parent
        res["index"] = {
            "wall_median_s": med(walls), "wall_min_s": min(walls), "wall_max_s": max(walls),
            "peak_rss_median_bytes": med(rss),
            "files": report["files"]["total"], "symbols": report["symbols"],
            "edges": report["edges"]["total"], "edges_by_kind": report["edges"]["by_kind"],
            "unresolved": report["edges"]["unresolved"],
            "bytes_parsed": report["bytes_parsed"], "phases_s": report["seconds"],
            "skipped": len(report["skipped"]), "db_bytes": dir_bytes(db_dir),
        }
        res["index"]["files_per_s"] = report["files"]["total"] / med(walls)
        res["index"]["mb_per_s"] = report["bytes_parsed"] / 1e6 / med(walls)

        rewalls = []
        for _ in range(runs):
            wall, _, _ = timed([cci, "index", str(corpus), "--quiet", "--json"], env=env)
            rewalls.append(wall)
        res["reindex_unchanged"] = {"wall_median_s": med(rewalls)}

        cwalls, tags = [], 0
        for _ in range(runs):
            tagfile = home / "tags"
            wall, peak, _ = timed(["ctags", "-R", "-f", str(tagfile), str(corpus)])
            cwalls.append(wall)
            tags = sum(1 for line in open(tagfile, errors="replace") if not line.startswith("!_"))
        res["ctags"] = {"wall_median_s": med(cwalls), "tags": tags, "peak_rss_bytes": peak}
        res["ratio_index_vs_ctags"] = med(walls) / med(cwalls)

        searches = []
        for term in SEARCH_TERMS.get(name, ["main"]):
            cw, rw = [], []
            hits = 0
            for _ in range(max(10, runs * 2)):
                wall, _, out = timed([cci, "search", term, "--limit", "10", "--json"], env=env, cwd=corpus)
                cw.append(wall)
                hits = len(json.loads(out)["results"])
                wall, _, _ = timed(["rg", "-w", "-n", "--no-heading", "-c", term, str(corpus)])
                rw.append(wall)
            searches.append({"term": term, "cci_median_ms": med(cw) * 1e3, "rg_median_ms": med(rw) * 1e3,
                             "cci_hits": hits, "speedup_vs_rg": med(rw) / med(cw)})
        res["search"] = searches
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return res


def print_result(r):
    i, c = r["index"], r["ctags"]
    print(f"\n== {r['corpus']} ({i['files']} files, {i['bytes_parsed'] / 1e6:.1f} MB parsed; n={r['runs']}) ==")
    print(f"cci index (full)    median {i['wall_median_s']:.2f} s  (min {i['wall_min_s']:.2f}, max {i['wall_max_s']:.2f})"
          f"  {i['files_per_s']:.0f} files/s  {i['mb_per_s']:.1f} MB/s  peak RSS {i['peak_rss_median_bytes'] / 2**20:.0f} MiB")
    print(f"                    phases {json.dumps({k: round(v, 2) for k, v in i['phases_s'].items()})}")
    print(f"                    {i['symbols']} symbols, {i['edges']} edges {i['edges_by_kind']}, "
          f"{i['unresolved']} unresolved; DB {i['db_bytes'] / 2**20:.1f} MiB")
    print(f"cci index (no-op)   median {r['reindex_unchanged']['wall_median_s']:.3f} s")
    print(f"ctags -R            median {c['wall_median_s']:.2f} s  ({c['tags']} tags)  -> cci/ctags = {r['ratio_index_vs_ctags']:.2f}")
    for s in r["search"]:
        print(f"search {s['term']:<20} cci {s['cci_median_ms']:.1f} ms   rg -w {s['rg_median_ms']:.1f} ms   "
              f"cci is {s['speedup_vs_rg']:.1f}x faster ({s['cci_hits']} hits)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cci", required=True)
    ap.add_argument("--corpus", action="append", required=True, help="name=path:runs")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    results = []
    for spec in args.corpus:
        name, rest = spec.split("=", 1)
        path, runs = rest.rsplit(":", 1)
        r = bench_corpus(args.cci, name, Path(path), int(runs))
        print_result(r)
        results.append(r)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    meta = {"cpus": os.cpu_count(), "uname": " ".join(os.uname()),
            "cci_version": subprocess.run([args.cci, "--version"], capture_output=True, text=True).stdout.strip()}
    (out / f"bench-{stamp}.json").write_text(json.dumps({"machine": meta, "results": results}, indent=2))
    print(f"\nwrote {out / f'bench-{stamp}.json'}")


if __name__ == "__main__":
    main()
