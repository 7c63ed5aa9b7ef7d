#!/usr/bin/env python3
"""Compares what sla-timerd produced with what `slactl replay` expects.

    check_outputs.py --expected replay.jsonl --actual tail.jsonl [--exactly-once]

replay.jsonl: `slactl replay` lines {"topic", "event"}; tail.jsonl:
`slactl tail` lines {"topic", "partition", "offset", "key", "event"} (other
topics than sla.escalations and sla.pages are ignored). An output is named by
its topic and deterministic id (`eventId`, or `pageId` for pages).

Passes when every expected output was produced, nothing else was, and every
copy of an output is identical to the expected one (at-least-once delivery:
a duplicate must carry the same id and the same content). With
--exactly-once, a duplicate fails too (a run without crashes).
Prints a summary line; on failure, the first differences.
"""
import argparse
import json
import sys
from collections import defaultdict

OUTPUT_TOPICS = ("sla.escalations", "sla.pages")


def key_of(topic, event):
    return topic, event.get("eventId") or event.get("pageId") or ""


def canonical(event):
    return json.dumps(event, sort_keys=True, separators=(",", ":"))


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            line = line.strip()
            if line:
                try:
                    yield n, json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{n}: not JSON: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--expected", required=True)
    ap.add_argument("--actual", required=True)
    ap.add_argument("--exactly-once", action="store_true")
    args = ap.parse_args()

    expected = {}
    for n, rec in read_lines(args.expected):
        k = key_of(rec["topic"], rec["event"])
        if k in expected:
            sys.exit(f"{args.expected}:{n}: replay printed {k} twice")
        expected[k] = canonical(rec["event"])

    actual = defaultdict(list)
    for _, rec in read_lines(args.actual):
        if rec.get("topic") in OUTPUT_TOPICS and "event" in rec:
            actual[key_of(rec["topic"], rec["event"])].append(canonical(rec["event"]))

    problems = []
    missing = [k for k in expected if k not in actual]
    unexpected = [k for k in actual if k not in expected]
    differing = [k for k, copies in actual.items() if k in expected and any(c != expected[k] for c in copies)]
    duplicated = {k: len(c) for k, c in actual.items() if len(c) > 1}
    for k in missing[:10]:
        problems.append(f"missing: {k[0]} {k[1]}")
    for k in unexpected[:10]:
        problems.append(f"unexpected: {k[0]} {k[1]}: {actual[k][0]}")
    for k in differing[:10]:
        got = next(c for c in actual[k] if c != expected[k])
        problems.append(f"differs: {k[0]} {k[1]}\n  expected {expected[k]}\n  produced {got}")
    if args.exactly_once:
        for k, n in list(duplicated.items())[:10]:
            problems.append(f"duplicated {n}x: {k[0]} {k[1]}")

    copies = sum(len(c) for c in actual.values())
    print(f"check_outputs: {len(expected)} expected, {len(actual)} distinct produced ({copies} records), "
          f"{len(missing)} missing, {len(unexpected)} unexpected, {len(differing)} differing, "
          f"{len(duplicated)} duplicated (identical copies)")
    if not expected:
        problems.append("nothing expected: the test input produced no outputs")
    fail = missing or unexpected or differing or (args.exactly_once and duplicated) or not expected
    if fail:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
