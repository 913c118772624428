#!/usr/bin/env python3
"""Soak under load: a real `c360 serve` takes a mix of lookups (85%), appends (14%) and erasures (1%)
from several client processes for a bounded time, at a fixed fraction (default 80%) of the maximum
rate the same mix reached in a calibration run just before. It reports errors (any failed call is
one), the server's resident memory over time, and the lookup p99 per minute.

Each client process sends asynchronously (gRPC futures), so a slow call (an erasure compacts and
searches the data directory) does not hold back the calls behind it; at most `--window` calls of
each kind per process are in flight. Calibration keeps the windows full (closed loop, one sender
for the mix). The soak gives each kind a sender of its own on a fixed schedule (open loop) and
measures each call's latency from the time it was scheduled, so a server that falls behind shows it
instead of slowing the client down; lookups, appends and erasures come from different callers in
practice (a support agent's lookup does not wait for a privacy officer's erasure), so a full window
of erasures delays only later erasures. Latency per minute is reported for every kind.

Passes when: no errors; resident memory at the end at most the bound above its level after the
first minute (default 64 MiB: caches are bounded, so growth beyond that is a leak); every minute's
lookup p99 within 3x the first full minute's (or 5 ms above it, whichever is larger).
Usage: soak.py --c360 BIN [--minutes 10] [--fraction 0.8] [--workers 2] [--window 32] [--results FILE]
"""
import argparse
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import c360_server  # noqa: E402
import c360_stubs  # noqa: E402

CUSTOMERS = 5_000


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def make_event(stubs, event_id, customer, seconds):
    from google.protobuf.timestamp_pb2 import Timestamp
    e = stubs.event
    event = e.Event(event_id=event_id, customer_id=customer, source="soak", occurred_at=Timestamp(seconds=seconds))
    if hash(event_id) % 4 == 0:
        total = e.Money(minor_units=1000 + hash(event_id) % 9000, currency="GBP")
        event.order_placed.CopyFrom(e.OrderPlaced(order_id=event_id, channel=e.ORDER_CHANNEL_ONLINE, total=total,
                                                  items=[e.LineItem(product_id="sku_1", name="Thing", category="misc", quantity=1, unit_price=total)]))
    else:
        event.web_event.CopyFrom(e.WebEvent(type=e.WEB_EVENT_TYPE_PAGE_VIEW, session_id="s", page="/"))
    return event


def worker(index, address, rate, seconds, window, erase_share, results, seed):
    """Runs the mix from one process for `seconds` and puts one list of (scheduled second, kind,
    latency, error). With `rate` 0 (calibration) one closed loop sends the mix with up to `window`
    calls of each kind in flight, so the rate reached is the most this mix sustains. Otherwise each
    kind has a sender of its own on a fixed schedule (open loop) at its share of `rate`, so a full
    window of slow erasures delays later erasures (and shows in their latency) but never the
    lookups and appends, which in practice come from other callers."""
    import collections
    import threading

    import grpc
    stubs = c360_stubs.generate()
    api = stubs.service_grpc.ProfileServiceStub(grpc.insecure_channel(address))
    in_flight = {kind: threading.BoundedSemaphore(window) for kind in ("lookup", "append", "erase")}
    lock = threading.Lock()
    records = []
    # Customers whose append was acknowledged, ready to be erased; named per phase and process so
    # that no phase appends for a customer an earlier one erased (the server rightly refuses that).
    erasable = collections.deque()
    counter = {"number": 0, "created": 0}
    start = time.monotonic()

    def finish(kind, scheduled, future, on_success=None):
        def done(_):
            latency = time.monotonic() - scheduled
            error = None
            try:
                response = future.result()
                if kind == "append" and any(result.WhichOneof("result") == "error" for result in response.results):
                    error = "an event was rejected: " + "; ".join(
                        f"{result.index}: {result.error.message}" for result in response.results if result.WhichOneof("result") == "error")
                elif on_success:
                    on_success()
            except Exception as failure:  # noqa: BLE001 - every failure counts as an error
                error = repr(failure)[:300]
            with lock:
                records.append((int(scheduled - start), kind, latency, error))
            in_flight[kind].release()
        future.add_done_callback(done)

    def send(kind, scheduled, rng):
        """Sends one call of `kind`; False if there is nothing to send (no customer to erase yet)."""
        with lock:
            counter["number"] += 1
            number = counter["number"]
        if kind == "lookup":
            request = stubs.service.GetProfileRequest(customer_id=f"soak_{rng.randint(1, CUSTOMERS)}")
            in_flight[kind].acquire()
            finish("lookup", scheduled, api.GetProfile.future(request, timeout=10))
        elif kind == "append":
            events = [make_event(stubs, f"soak-{seed}-{number}-{k}", f"soak_{rng.randint(1, CUSTOMERS)}", 1_767_225_600 + number)
                      for k in range(rng.randint(1, 10))]
            on_success = None
            if rng.random() < 0.1:
                with lock:
                    customer = f"soak_erase_{seed}_{counter['created']}"
                    counter["created"] += 1
                events.append(make_event(stubs, f"soak-{seed}-{number}-e", customer, 1_767_225_600 + number))
                on_success = lambda customer=customer: erasable.append(customer)  # noqa: E731
            in_flight[kind].acquire()
            finish("append", scheduled, api.AppendEvents.future(stubs.service.AppendEventsRequest(events=events), timeout=10), on_success)
        else:
            try:
                customer = erasable.popleft()
            except IndexError:
                return False
            request = stubs.service.EraseCustomerRequest(customer_id=customer, request_id=f"DSR-{customer}")
            in_flight[kind].acquire()
            finish("erase", scheduled, api.EraseCustomer.future(request, timeout=30))
        return True

    def closed_loop():
        rng = random.Random(seed)
        while time.monotonic() - start < seconds:
            roll = rng.random()
            kind = "lookup" if roll < 0.85 else "append" if roll < 1 - erase_share or not erasable else "erase"
            send(kind, time.monotonic(), rng)

    def open_loop(kind, kind_rate, kind_seed):
        rng = random.Random(kind_seed)
        next_send = start
        while next_send - start < seconds:
            now = time.monotonic()
            if now < next_send:
                time.sleep(next_send - now)
            send(kind, next_send, rng)
            next_send += 1.0 / kind_rate

    if rate:
        shares = {"lookup": 0.85, "append": 0.15 - erase_share, "erase": erase_share}
        senders = [threading.Thread(target=open_loop, args=(kind, rate * share, seed * 10 + n))
                   for n, (kind, share) in enumerate(shares.items()) if share > 0]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
    else:
        closed_loop()
    for semaphore in in_flight.values():
        for _ in range(window):
            semaphore.acquire()
    results.put((index, records))


def run_phase(address, workers, rate, seconds, window, erase_share, seed, on_second=None):
    """Runs the workers and returns, per scheduled second, the lookup latencies, calls, errors by
    kind, latencies of each kind and the first errors."""
    results = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=worker, args=(i, address, rate / workers if rate else 0, seconds, window, erase_share, results, seed + i))
                 for i in range(workers)]
    for process in processes:
        process.start()
    collected = []
    while len(collected) < workers:
        try:
            collected.append(results.get(timeout=0.5))
        except Exception:  # noqa: BLE001 - queue.Empty: nothing yet
            if not any(process.is_alive() for process in processes) and results.empty():
                raise RuntimeError("a load process ended without reporting")
        if on_second:
            on_second()
    for process in processes:
        process.join()
    per_second = {}
    for _, records in collected:
        for second, kind, latency, error in records:
            entry = per_second.setdefault(second, {"latencies": [], "calls": 0, "errors": 0, "first_error": None, "by_kind": {}})
            entry["calls"] += 1
            entry["by_kind"].setdefault(kind, []).append(latency)
            if kind == "lookup":
                entry["latencies"].append(latency)
            if error:
                entry["errors"] += 1
                entry["first_error"] = entry["first_error"] or f"{kind}: {error}"
    return per_second


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def soak(args, workdir):
    """Loads the seed events into a store in `workdir`, serves it, and runs the calibration and
    the soak against it; returns each second's calls, the memory samples, the maximum rate found
    and the rate run at."""
    import subprocess
    data = os.path.join(workdir, "data")
    seed_file = os.path.join(workdir, "seed.ndjson")
    subprocess.run([args.c360, "generate", "--customers", str(CUSTOMERS), "--events", str(args.seed_events), "--seed", "3", "--out", seed_file], check=True)
    subprocess.run(["sed", "-i", "s/\"cust_/\"soak_/g", seed_file], check=True)
    subprocess.run([args.c360, "ingest", seed_file, "--data", data], check=True, capture_output=True)
    server = c360_server.start(args.c360, data)
    try:
        # Long enough for erasures to be made physical in batches, with their rests, several times
        # over: the rate measured is one the server sustains with that work going on.
        calibration = run_phase(server.address, args.workers, 0, args.calibration_seconds, args.window, args.erase_share, seed=100)
        measured = [entry["calls"] for second, entry in calibration.items() if second >= args.calibration_seconds // 2]
        maximum = sum(measured) / max(1, args.calibration_seconds - args.calibration_seconds // 2)
        rate = maximum * args.fraction
        print(f"soak: maximum {maximum:.0f} calls/s for this mix; running at {rate:.0f} calls/s for {args.minutes} min", file=sys.stderr, flush=True)
        samples = []
        started = time.monotonic()

        def sample():
            if not samples or time.monotonic() - samples[-1][0] - started >= 5:
                samples.append((time.monotonic() - started, rss_mib(server.process.pid)))

        per_second = run_phase(server.address, args.workers, rate, args.minutes * 60, args.window, args.erase_share, seed=200, on_second=sample)
        sample()
    finally:
        c360_server.stop(server)
    return per_second, samples, maximum, rate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--c360", required=True)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--fraction", type=float, default=0.8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--erase-share", type=float, default=0.01, help="the share of calls that are erasures (appends make up the rest to 15%%)")
    parser.add_argument("--calibration-seconds", type=int, default=60, help="the closed-loop run measuring the maximum rate; its second half counts")
    parser.add_argument("--seed-events", type=int, default=500_000, help="events loaded before the soak (for 5,000 customers)")
    parser.add_argument("--window", type=int, default=32, help="calls of each kind in flight per client process, at most")
    parser.add_argument("--memory-bound-mib", type=float, default=64)
    parser.add_argument("--results")
    args = parser.parse_args()

    # Removed at the end whatever happens: each run's seed file and store are tens of megabytes.
    workdir = tempfile.mkdtemp(prefix="c360-soak-")
    try:
        per_second, samples, maximum, rate = soak(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    minutes = {}
    for second, entry in per_second.items():
        minute = minutes.setdefault(second // 60, {"latencies": [], "calls": 0, "errors": 0, "by_kind": {}})
        minute["latencies"] += entry["latencies"]
        for kind, values in entry["by_kind"].items():
            minute["by_kind"].setdefault(kind, []).extend(values)
        minute["calls"] += entry["calls"]
        minute["errors"] += entry["errors"]
    errors = sum(entry["errors"] for entry in per_second.values())
    by_kind = {}
    for entry in per_second.values():
        for kind, values in entry["by_kind"].items():
            by_kind.setdefault(kind, []).extend(values)
    first_errors = [entry["first_error"] for entry in per_second.values() if entry["first_error"]]
    after_first_minute = [rss for at, rss in samples if at >= 60] or [rss for _, rss in samples]
    baseline = after_first_minute[0]
    final = samples[-1][1]
    p99s = [round(percentile(minute["latencies"], 0.99) * 1000, 2) for _, minute in sorted(minutes.items())]
    full_minutes = [p for m, p in zip(sorted(minutes), p99s) if minutes[m]["calls"] > rate * 50]
    reference = full_minutes[0] if full_minutes else 0
    report = {
        "minutes": args.minutes, "maximum_calls_per_second": round(maximum), "target_calls_per_second": round(rate),
        "calls": sum(entry["calls"] for entry in per_second.values()), "errors": errors, "first_errors": first_errors[:3],
        "rss_mib_after_first_minute": round(baseline, 1), "rss_mib_final": round(final, 1),
        "rss_mib_peak": round(max(rss for _, rss in samples), 1), "rss_growth_mib": round(final - baseline, 1),
        "memory_bound_mib": args.memory_bound_mib, "lookup_p99_ms_per_minute": p99s,
        "latency_ms_by_kind": {kind: {"calls": len(values), "p50": round(percentile(values, 0.5) * 1000, 2),
                                      "p99": round(percentile(values, 0.99) * 1000, 2), "max": round(max(values) * 1000, 2)}
                               for kind, values in sorted(by_kind.items())},
        "p99_ms_per_minute_by_kind": {kind: [round(percentile(minute["by_kind"].get(kind, []), 0.99) * 1000, 2) for _, minute in sorted(minutes.items())]
                                      for kind in sorted(by_kind)},
    }
    stable = all(p <= max(3 * reference, reference + 5) for p in full_minutes)
    report["p99_stable"] = stable
    print(json.dumps(report, indent=2))
    if args.results:
        with open(args.results, "w") as out:
            json.dump(report, out, indent=2)
    ok = errors == 0 and final - baseline <= args.memory_bound_mib and stable
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
