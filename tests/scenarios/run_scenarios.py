#!/usr/bin/python3
"""Golden scenarios: runs `slactl replay` over every tests/scenarios/<seed>/*.events.jsonl
with deploy/policies/<seed>.yaml and checks the output against <name>.expected.jsonl.

Expected file: `#` comment lines (the hand derivation) and blank lines are
ignored; every other line is one JSON object that must be a recursive subset
of the actual output line at the same position. The number of expected and
actual lines must be equal. RFC 3339 timestamps compare as instants, so
"2026-04-07T00:00:00Z" matches "2026-04-07T00:00:00.000Z".

An events file may carry a `# replay-until: <RFC3339 or YYYY-MM-DD>` comment
line; it is passed to slactl as `--until`. Anything else slactl says on
stderr (a rejected line, an ack of a page never sent) and any exit status but
0 fails the scenario; its note on events stamped after --until does not.

Standard library only. Exit status 1 when any scenario fails.
"""
import argparse
import datetime as dt
import difflib
import json
import os
import re
import subprocess
import sys

_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_UNTIL = re.compile(r"^\s*#\s*replay-until:\s*(\S+)\s*$")
_BEYOND = re.compile(r"^\d+ event\(s\) stamped after --until \S+ not applied$")


def _instant(s):
    if not isinstance(s, str) or not _TS.match(s):
        return None
    text = s.replace("Z", "+00:00")
    frac = re.search(r"\.(\d+)", text)
    if frac:  # fromisoformat before 3.11 takes at most 6 fraction digits
        text = text.replace(frac.group(0), "." + (frac.group(1) + "000000")[:6])
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def subset_mismatch(expected, actual, path="$"):
    """None when `expected` is a recursive subset of `actual`, else a reason."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {json.dumps(actual)}"
        for k, v in expected.items():
            if k not in actual:
                return f"{path}.{k}: missing in actual"
            r = subset_mismatch(v, actual[k], f"{path}.{k}")
            if r:
                return r
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            r = subset_mismatch(e, a, f"{path}[{i}]")
            if r:
                return r
        return None
    te, ta = _instant(expected), _instant(actual)
    if te is not None and ta is not None:
        return None if te == ta else f"{path}: expected {expected}, got {actual}"
    if expected != actual:
        return f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}"
    return None


def read_expected(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            try:
                out.append((n, json.loads(s)))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: bad JSON: {e}") from None
    return out


def replay_until(events_path):
    with open(events_path, encoding="utf-8") as f:
        for line in f:
            m = _UNTIL.match(line)
            if m:
                return m.group(1)
    return None


def run_one(slactl, policy, events, expected_path):
    """Returns a list of failure lines (empty: passed)."""
    try:
        expected = read_expected(expected_path)
    except (OSError, ValueError) as e:
        return [str(e)]
    cmd = [slactl, "replay", "--policy", policy, "--events", events]
    until = replay_until(events)
    if until:
        cmd += ["--until", until]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [f"cannot run {' '.join(cmd)}: {e}"]
    problems = []
    if proc.returncode == 3:
        problems.append("slactl exited 3: input lines undecodable, rejected, or acknowledging a page not sent")
    elif proc.returncode != 0:
        problems.append(f"slactl exited {proc.returncode}")
    # A rejected line or an ack of a page never sent would silently change the
    # story: each is named on stderr. Events stamped after a `replay-until`
    # are left out on purpose: that note alone is fine.
    said = [l for l in proc.stderr.strip().splitlines() if not (until and _BEYOND.match(l))]
    problems += ["slactl stderr: " + l for l in said]
    actual = []
    for n, line in enumerate(proc.stdout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            actual.append(json.loads(line))
        except json.JSONDecodeError as e:
            problems.append(f"actual output line {n} is not JSON ({e}): {line}")
    mismatches = []
    for i in range(min(len(expected), len(actual))):
        line_no, exp = expected[i]
        why = subset_mismatch(exp, actual[i])
        if why:
            mismatches.append((i, line_no, why))
    if len(expected) != len(actual):
        problems.append(f"count: expected {len(expected)} outputs, got {len(actual)}")
    if mismatches:
        i, line_no, why = mismatches[0]
        problems.append(f"first mismatch at output [{i}] (expected file line {line_no}): {why}")
    if len(expected) != len(actual) or mismatches:
        # A diff of one-line summaries shows insertions and omissions plainly;
        # a position that differs only in a field shows as -/+ of that line.
        def summary(o):
            ev = o.get("event", {}) if isinstance(o, dict) else {}
            return f"{ev.get('eventId') or ev.get('pageId') or '?'} firedAt={ev.get('firedAt', '?')}"
        exp_lines = [summary(e) for _, e in expected]
        act_lines = [summary(a) for a in actual]
        for i, _, _ in mismatches:  # same output, other field values: mark it
            if exp_lines[i] == act_lines[i]:
                act_lines[i] += "  <- fields differ"
        diff = difflib.unified_diff(exp_lines, act_lines, "expected", "actual", lineterm="", n=2)
        problems += ["  " + d for d in diff]
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slactl", required=True, help="path to the slactl binary")
    ap.add_argument("--root", required=True, help="tests/scenarios")
    ap.add_argument("--policies", required=True, help="deploy/policies")
    ap.add_argument("--only", action="append", default=[],
                    help="seed directory to run (repeatable, or comma-separated); default all")
    ap.add_argument("-k", dest="pattern", default="", help="run only scenarios whose name contains this")
    args = ap.parse_args(argv)

    only = {s for o in args.only for s in o.split(",") if s}
    seeds = sorted(d for d in os.listdir(args.root)
                   if os.path.isdir(os.path.join(args.root, d)) and not d.startswith((".", "_")))
    if only:
        unknown = only - set(seeds)
        if unknown:
            print(f"no scenario directory for: {', '.join(sorted(unknown))}")
            print("0 passed, 1 failed")
            return 1
        seeds = [s for s in seeds if s in only]

    passed = failed = 0
    for seed in seeds:
        policy = os.path.join(args.policies, seed + ".yaml")
        sdir = os.path.join(args.root, seed)
        names = sorted(f[: -len(".events.jsonl")] for f in os.listdir(sdir) if f.endswith(".events.jsonl"))
        if args.pattern:
            names = [n for n in names if args.pattern in n]
        elif not names:
            print(f"FAIL {seed}: no scenarios")
            failed += 1
            continue
        for name in names:
            label = f"{seed}/{name}"
            if not os.path.isfile(policy):
                problems = [f"no policy {policy}"]
            else:
                problems = run_one(args.slactl, policy, os.path.join(sdir, name + ".events.jsonl"),
                                   os.path.join(sdir, name + ".expected.jsonl"))
            if problems:
                failed += 1
                print(f"FAIL {label}")
                for p in problems:
                    print("  " + p)
            else:
                passed += 1
                print(f"ok   {label}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
