"""Import speed and memory of every source, in one run: a realistic export of each platform written
by bench/exports/<source>.py (its oddities included), imported into an empty data folder by
cxdash.importers.import_files in a fresh process each time; the median of the runs, records per second
and the peak memory of the importing process, against the goals (at least 150,000 records/s at a
million records, at most 1 GB).

    python bench/imports.py [--count N] [--runs R] [--sources a,b] [--json FILE]

Exports are written once to bench/out/exports/<source>-<N>/ and reused.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# this checkout's cxdash, not one an environment's path file names (a worktree of an older commit, run
# with another checkout's environment, would otherwise time that checkout's code)
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
SOURCES = {"amazon-connect": "amazon_connect", "asterisk": "asterisk", "csv": "csv_mapping",
           "genesys": "genesys", "talkdesk": "talkdesk", "zendesk": "zendesk"}
RATE_GOAL = 150_000  # records per second, at a million records
MEMORY_GOAL_MB = 1024


def _writer(source: str):
    """bench/exports/<module>.py, loaded by its path (not imported: bench/exports is no package)."""
    path = ROOT / "bench" / "exports" / f"{SOURCES[source]}.py"
    spec = importlib.util.spec_from_file_location(f"cxdash_bench_export_{SOURCES[source]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def export(source: str, count: int) -> tuple[list[Path], Path | None]:
    """The export of `count` records (written once), and its mapping file when the source needs one."""
    folder = OUT / "exports" / f"{source}-{count}"
    done = folder / "files.json"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        files = _writer(source).write(folder / "export", count)
        done.write_text(json.dumps([str(Path(f).relative_to(folder)) for f in files]))
    files = [folder / name for name in json.loads(done.read_text())]
    mappings = sorted((folder / "export").glob("*.toml"))
    return files, (mappings[0] if mappings else None)


def peak_mb() -> float:
    """This process's own peak memory (VmHWM). Not ru_maxrss: Linux carries a parent's peak across
    fork and exec, so a worker started after the bench wrote a large export would report the writer's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(source: str, target: Path, mapping: str, files: list[str]) -> dict:
    """One import into an empty folder, timed in this (fresh) process."""
    import tomllib

    import cxdash
    from cxdash.importers import import_files, parse_files
    from cxdash.settings import Settings

    shutil.rmtree(target, ignore_errors=True)
    settings = Settings()
    mapping_dict = tomllib.loads(Path(mapping).read_text()) if mapping else None
    paths = [Path(f) for f in files]
    started = time.perf_counter()
    summary = import_files(target, source, paths, settings, mapping_dict)
    seconds = time.perf_counter() - started
    peak = peak_mb()
    started = time.perf_counter()
    again = import_files(target, source, paths, settings, mapping_dict)  # nothing new: nothing written
    again_seconds = time.perf_counter() - started
    started = time.perf_counter()
    parse_files(source, paths, settings, mapping_dict)
    parse_seconds = time.perf_counter() - started
    shutil.rmtree(target, ignore_errors=True)
    return {"seconds": seconds, "parse_seconds": parse_seconds, "records": summary.records_read,
            "new": summary.new, "set_aside": summary.set_aside,
            "balanced": summary.balanced and again.balanced,
            "peak_mb": peak, "again_seconds": again_seconds, "again_new": again.new,
            "again_written": len(again.months_written), "code": str(Path(cxdash.__file__).parent)}


def measure(source: str, count: int, runs: int) -> dict:
    files, mapping = export(source, count)
    results = []
    for number in range(runs):
        command = [sys.executable, __file__, "--worker", source, str(OUT / f"import-{source}-{number}"),
                   str(mapping or ""), *map(str, files)]
        output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        result = json.loads(output.strip().splitlines()[-1])
        if Path(result["code"]) != ROOT / "cxdash":
            raise SystemExit(f"the worker timed the code in {result['code']}, not this checkout's "
                             f"{ROOT / 'cxdash'}")
        results.append(result)
    seconds = statistics.median(r["seconds"] for r in results)
    last = results[-1]
    return {"source": source, "records": last["records"], "seconds": seconds,
            "runs": [r["seconds"] for r in results],
            "parse_seconds": statistics.median(r["parse_seconds"] for r in results),
            "rate": last["records"] / seconds, "peak_mb": max(r["peak_mb"] for r in results),
            "new": last["new"], "set_aside": last["set_aside"],
            "balanced": all(r["balanced"] for r in results),
            "export_mb": sum(f.stat().st_size for f in files) / 1e6,
            "again_seconds": statistics.median(r["again_seconds"] for r in results),
            "again_new": last["again_new"], "again_written": last["again_written"]}


def report(result: dict) -> str:
    rate_ok = "met" if result["rate"] >= RATE_GOAL else "NOT met"
    memory_ok = "met" if result["peak_mb"] <= MEMORY_GOAL_MB else "NOT met"
    runs = ", ".join(f"{s:.1f}" for s in result["runs"])
    return (f"  {result['source']:<15} {result['records']:>9,} records ({result['export_mb']:.0f} MB): "
            f"{result['seconds']:.2f} s (runs {runs}; parse alone {result['parse_seconds']:.2f} s) = "
            f"{result['rate']:>9,.0f} records/s ({rate_ok}); peak {result['peak_mb']:.0f} MB ({memory_ok}); "
            f"{result['new']:,} contacts, {result['set_aside']:,} set aside, balanced: {result['balanced']}; "
            f"the same export again {result['again_seconds']:.2f} s, {result['again_new']} new, "
            f"{result['again_written']} month files written")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    print(f"imports into an empty data folder, {args.count:,} records per source, median of {args.runs} "
          f"fresh processes (goals: >= {RATE_GOAL:,} records/s, peak <= {MEMORY_GOAL_MB} MB):", flush=True)
    results = []
    for source in args.sources.split(","):
        result = measure(source, args.count, args.runs)
        print(report(result), flush=True)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], Path(sys.argv[3]), sys.argv[4], sys.argv[5:])))
    else:
        main()
