#!/usr/bin/env python3
"""Crash test: many clients append to a real `c360 serve` while it is killed with SIGKILL at random
moments, over and over. After each kill it checks, before and after restarting the server:

- projections: `c360 replay` on the data directory rebuilds every projection from the log and
  compares; any difference is a projection mismatch;
- acknowledged events: every batch acknowledged before the kill is sent again; each of its events
  must come back as a duplicate (present). One appended anew was lost;
- batches seen in part: every batch in flight at the kill (sent, not acknowledged) is sent again; its
  events must come back all duplicates (it was committed) or all new (it was not), never a mix;
- counts: each customer's `event_count` must equal the distinct events sent for it so far (exactly
  once: none missing, none twice).

All traffic is on 127.0.0.1; cycles are bounded in number and in total time.
Usage: chaos.py --c360 BIN [--cycles 100] [--clients 8] [--max-seconds 1800] [--results FILE]
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import c360_server  # noqa: E402
import c360_stubs  # noqa: E402

import grpc  # noqa: E402
from google.protobuf.timestamp_pb2 import Timestamp  # noqa: E402

CUSTOMERS_PER_CLIENT = 10


class Workload:
    """Each client's events: its own customers, event ids that never repeat, batches of 1 to 20."""

    def __init__(self, stubs, seed):
        self.stubs = stubs
        self.random = random.Random(seed)
        self.next_id = 0
        self.lock = threading.Lock()

    def batch(self, client):
        e = self.stubs.event
        with self.lock:
            size = self.random.randint(1, 20)
            first = self.next_id
            self.next_id += size
            customers = [self.random.randrange(CUSTOMERS_PER_CLIENT) for _ in range(size)]
        events = []
        for offset, customer in enumerate(customers):
            number = first + offset
            event = e.Event(event_id=f"chaos-{number}", customer_id=f"chaos_{client}_{customer}", source="chaos",
                            occurred_at=Timestamp(seconds=1_767_225_600 + number % 86_400))
            if number % 5 == 0:
                total = e.Money(minor_units=100 + number % 900, currency="GBP")
                event.order_placed.CopyFrom(e.OrderPlaced(
                    order_id=f"o-{number}", channel=e.ORDER_CHANNEL_ONLINE, total=total,
                    items=[e.LineItem(product_id=f"sku_{number % 7}", name="Item", category="misc", quantity=1, unit_price=total)]))
            else:
                event.web_event.CopyFrom(e.WebEvent(type=e.WEB_EVENT_TYPE_PAGE_VIEW, session_id=f"s{number % 13}", page="/"))
            events.append(event)
        return events


def append_until_stopped(stubs, address, client, workload, stop, sent):
    """Appends batches until `stop`; records each batch with whether it was acknowledged."""
    with grpc.insecure_channel(address) as channel:
        api = stubs.service_grpc.ProfileServiceStub(channel)
        while not stop.is_set():
            events = workload.batch(client)
            record = {"events": events, "acknowledged": False}
            sent.append(record)
            try:
                response = api.AppendEvents(stubs.service.AppendEventsRequest(events=events), timeout=5)
            except grpc.RpcError:
                # The server is gone (killed): this batch stays "in flight", decided after the restart.
                return
            if any(result.WhichOneof("result") == "error" for result in response.results):
                raise RuntimeError(f"a valid event was rejected: {response}")
            record["acknowledged"] = True


def replay_mismatches(binary, data):
    """`c360 replay` on the data directory: the number of projections that differed from the log's fold."""
    result = subprocess.run([binary, "replay", "--data", data], capture_output=True, text=True)
    if result.returncode == 0:
        return 0
    match = re.search(r"MISMATCH — (\d+) projections differed from the log's fold and (\d+) had no events", result.stderr)
    if not match:
        raise RuntimeError(f"c360 replay failed: {result.stderr[-2000:]}")
    return int(match.group(1)) + int(match.group(2))


def run(args):
    stubs = c360_stubs.generate()
    workdir = tempfile.mkdtemp(prefix="c360-chaos-")
    data = os.path.join(workdir, "data")
    workload = Workload(stubs, args.seed)
    pacing = random.Random(args.seed + 1)
    expected_counts = {}
    totals = dict(cycles=0, events_acknowledged=0, events_lost=0, batches_in_flight=0, batches_seen_in_part=0,
                  projection_mismatches=0, event_count_mismatches=0)
    started = time.monotonic()
    server = c360_server.start(args.c360, data)
    try:
        for cycle in range(args.cycles):
            if time.monotonic() - started > args.max_seconds:
                print(f"chaos: stopping after {cycle} cycles: the {args.max_seconds} s limit was reached", file=sys.stderr)
                break
            stop = threading.Event()
            sent = []
            threads = [threading.Thread(target=append_until_stopped, args=(stubs, server.address, client, workload, stop, sent))
                       for client in range(args.clients)]
            for thread in threads:
                thread.start()
            time.sleep(pacing.uniform(0.2, 1.2))
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait()
            server.process.stdout.close()
            stop.set()
            for thread in threads:
                thread.join(timeout=30)

            totals["projection_mismatches"] += replay_mismatches(args.c360, data)
            server = c360_server.start(args.c360, data)
            with grpc.insecure_channel(server.address) as channel:
                api = stubs.service_grpc.ProfileServiceStub(channel)
                touched = set()
                for record in sent:
                    events = record["events"]
                    response = api.AppendEvents(stubs.service.AppendEventsRequest(events=events), timeout=30)
                    kinds = [result.WhichOneof("result") for result in response.results]
                    if "error" in kinds:
                        raise RuntimeError(f"cycle {cycle}: a valid event was rejected on re-append: {response}")
                    if record["acknowledged"]:
                        totals["events_acknowledged"] += len(events)
                        totals["events_lost"] += kinds.count("seq")
                    else:
                        totals["batches_in_flight"] += 1
                        if len(set(kinds)) > 1:
                            totals["batches_seen_in_part"] += 1
                    for event in events:
                        expected_counts[event.customer_id] = expected_counts.get(event.customer_id, 0) + 1
                        touched.add(event.customer_id)
                for customer in sorted(touched):
                    profile = api.GetProfile(stubs.service.GetProfileRequest(customer_id=customer), timeout=10).profile
                    if profile.event_count != expected_counts[customer]:
                        totals["event_count_mismatches"] += 1
            totals["cycles"] = cycle + 1
            if (cycle + 1) % 10 == 0 or cycle + 1 == args.cycles:
                print(f"chaos: {cycle + 1} cycles, {totals['events_acknowledged']} events acknowledged, "
                      f"{totals['events_lost']} lost, {totals['batches_seen_in_part']} batches in part, "
                      f"{totals['projection_mismatches']} projection mismatches", file=sys.stderr, flush=True)
    finally:
        if server.process.poll() is None:
            c360_server.stop(server)
    # A last full check: the whole log replayed equals the projections served.
    totals["projection_mismatches"] += replay_mismatches(args.c360, data)
    totals["seconds"] = round(time.monotonic() - started, 1)
    totals["cycles_requested"] = args.cycles
    totals["clients"] = args.clients
    shutil.rmtree(workdir, ignore_errors=True)
    return totals


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--c360", required=True, help="the c360 binary")
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", help="write the totals here as JSON")
    args = parser.parse_args()
    totals = run(args)
    print(json.dumps(totals, indent=2))
    if args.results:
        with open(args.results, "w") as out:
            json.dump(totals, out, indent=2)
    failed = (totals["events_lost"] or totals["batches_seen_in_part"] or totals["projection_mismatches"]
              or totals["event_count_mismatches"] or totals["cycles"] < args.cycles)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
