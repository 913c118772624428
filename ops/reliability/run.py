#!/usr/bin/env python3
"""Runs the parts of the reliability suite one after another (see run.sh), collects their figures
and prints the summary. Every part runs even if an earlier one failed."""
import argparse
import atexit
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
PARTS = ["crash", "disk_full", "fuzz", "soak", "erasure", "security"]
MODES = {
    "short": dict(cycles=5, fuzz_seconds=30, soak_minutes=1, soak_seed_events=50_000, soak_calibration_seconds=30, histories=20),
    "full": dict(cycles=100, fuzz_seconds=300, soak_minutes=10, soak_seed_events=500_000, soak_calibration_seconds=60, histories=200),
}


def run(name, command, env=None):
    print(f"[reliability {time.strftime('%H:%M:%S')}] {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        # The part's own report is read from its output; a failure shows where it failed.
        failing = [line for line in result.stdout.splitlines() if "✘" in line or "FAIL" in line or "rror" in line]
        print(f"[reliability] {name} failed (exit {result.returncode}); its failing lines, then its last lines:", file=sys.stderr)
        print("\n".join(failing[:40] + ["..."] + result.stdout.splitlines()[-30:]), file=sys.stderr, flush=True)
    return result.returncode, result.stdout, round(time.monotonic() - started, 1)


def json_at_end(text):
    start = text.rfind("\n{")
    return json.loads(text[start + 1:] if start >= 0 else text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=MODES, default="full")
    parser.add_argument("--c360", required=True)
    parser.add_argument("--only", nargs="+", choices=PARTS, help="run these parts again and keep the others' last results (each part records when it ran)")
    args = parser.parse_args()
    settings = MODES[args.mode]
    results = ROOT / "ops" / "reliability" / "results" / f"reliability-{args.mode}.json"
    previous = json.loads(results.read_text()) if args.only and results.exists() else {"parts": {}}
    missing = [part for part in PARTS if args.only and part not in args.only and part not in previous["parts"]]
    if missing:
        parser.error(f"--only keeps the other parts' last results from {results.relative_to(ROOT)}, which has none for "
                     f"{', '.join(missing)}: run the {args.mode} suite once without --only first")
    work = tempfile.mkdtemp(prefix="c360-reliability-")
    # Each part's results are copied into `results` below; the directory goes when the run ends.
    atexit.register(shutil.rmtree, work, True)
    parts = {name: {"ran_at": previous["time"], **part} for name, part in previous["parts"].items()}

    def wanted(part):
        return not args.only or part in args.only

    def ran():
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    if wanted("crash"):
        status, _, seconds = run("crash cycles", [sys.executable, "ops/chaos/chaos.py", "--c360", args.c360, "--cycles", str(settings["cycles"]),
                                                  "--results", f"{work}/chaos.json"])
        parts["crash"] = {"ran_at": ran(), "passed": status == 0, "seconds": seconds, **json.load(open(f"{work}/chaos.json"))}

    if wanted("disk_full"):
        status, _, seconds = run("full disk", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "Tests/interop/test_disk_full.py"],
                                 env={"C360_BIN": args.c360})
        parts["disk_full"] = {"ran_at": ran(), "passed": status == 0, "seconds": seconds}

    if wanted("fuzz"):
        status, output, seconds = run("fuzzing", ["ops/fuzz/run.sh", str(settings["fuzz_seconds"]), "--results", f"{work}/fuzz.json"])
        fuzz = json.load(open(f"{work}/fuzz.json")) if os.path.exists(f"{work}/fuzz.json") else {}
        parts["fuzz"] = {"ran_at": ran(), "passed": status == 0, "seconds": seconds, "targets": fuzz}

    if wanted("soak"):
        status, _, seconds = run("soak", [sys.executable, "ops/soak/soak.py", "--c360", args.c360, "--minutes", str(settings["soak_minutes"]),
                                          "--seed-events", str(settings["soak_seed_events"]), "--calibration-seconds", str(settings["soak_calibration_seconds"]),
                                          "--results", f"{work}/soak.json"])
        parts["soak"] = {"ran_at": ran(), "passed": status == 0, "seconds": seconds, **(json.load(open(f"{work}/soak.json")) if os.path.exists(f"{work}/soak.json") else {})}

    if wanted("erasure"):
        status, _, seconds = run("erasure property", ["swift", "test", "--filter", "ErasurePropertyTests|ErasureTests|ErasedIdentityTests"],
                                 env={"C360_ERASURE_HISTORIES": str(settings["histories"])})
        parts["erasure"] = {"ran_at": ran(), "passed": status == 0, "seconds": seconds, "random_histories": settings["histories"]}

    if wanted("security"):
        status, _, seconds = run("access control", ["swift", "test", "--filter", "AccessControlTests"])
        python_status, _, python_seconds = run("TLS and tokens (Python grpcio)",
                                               [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "Tests/interop/test_security.py"],
                                               env={"C360_BIN": args.c360})
        parts["security"] = {"ran_at": ran(), "passed": status == 0 and python_status == 0, "seconds": round(seconds + python_seconds, 1)}

    summary = {"mode": args.mode, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": os.cpu_count(),
               "machine": platform.platform(), "parts": parts, "passed": all(part["passed"] for part in parts.values())}
    results.write_text(json.dumps(summary, indent=2) + "\n")

    crash, soak, fuzz = parts["crash"], parts["soak"], parts["fuzz"]["targets"]
    lines = [
        f"reliability suite ({args.mode}) — {'PASSED' if summary['passed'] else 'FAILED'}",
        f"  crash cycles survived:      {crash.get('cycles', 0)} of {crash.get('cycles_requested', settings['cycles'])} (SIGKILL, {crash.get('clients', '?')} clients appending)",
        f"  events acknowledged:        {crash.get('events_acknowledged', 0)}",
        f"  events lost:                {crash.get('events_lost', '?')} (must be 0)",
        f"  batches seen in part:       {crash.get('batches_seen_in_part', '?')} of {crash.get('batches_in_flight', '?')} in flight at a kill (must be 0)",
        f"  projection mismatches:      {crash.get('projection_mismatches', '?')} (must be 0); event-count mismatches {crash.get('event_count_mismatches', '?')}",
        f"  full disk:                  {'passed' if parts['disk_full']['passed'] else 'FAILED'} (RESOURCE_EXHAUSTED, nothing stored, lookups served, resumes)",
    ]
    for target, figures in sorted(fuzz.items()):
        lines.append(f"  fuzz {target + ':':<22}{figures['executions']} executions in {figures['seconds']} s, {figures['crashes']} crashes (must be 0)")
    lines += [
        f"  soak:                       {soak.get('minutes', '?')} min at {soak.get('target_calls_per_second', '?')} calls/s "
        f"({round(100 * soak.get('target_calls_per_second', 0) / max(1, soak.get('maximum_calls_per_second', 1)))}% of {soak.get('maximum_calls_per_second', '?')}), "
        f"{soak.get('calls', '?')} calls, {soak.get('errors', '?')} errors",
        f"  soak memory:                {soak.get('rss_mib_after_first_minute', '?')} MiB after 1 min -> {soak.get('rss_mib_final', '?')} MiB "
        f"(growth {soak.get('rss_growth_mib', '?')} MiB, bound {soak.get('memory_bound_mib', '?')}); lookup p99 per minute {soak.get('lookup_p99_ms_per_minute', '?')} ms",
        f"  erasure property:           {'passed' if parts['erasure']['passed'] else 'FAILED'} over {settings['histories']} random histories",
        f"  access control:             {'passed' if parts['security']['passed'] else 'FAILED'} (TLS, mTLS, scopes, redaction, audit log)",
        f"  results: {results.relative_to(ROOT)}",
    ]
    print("\n".join(lines))
    sys.exit(0 if summary["passed"] else 1)


if __name__ == "__main__":
    main()
