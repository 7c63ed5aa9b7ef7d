#!/usr/bin/python3
"""The golden report test: replays golden/<name>.events.jsonl through
`slactl replay` with deploy/policies/<policy>.yaml, runs `slactl report
--format json` over the output for every case of golden/<name>.expected.jsonl
and checks the hand-derived figures (a recursive subset, as the golden
scenarios compare; see tests/scenarios/README.md).

Each case is run twice: over the log as replayed, and over the log written
twice in reverse order (every record duplicated and out of order, as
at-least-once delivery and a restart's re-emission deliver it): the figures
must not change.

usage: check_report_month.py SLACTL SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

CASES = [("trading-bot-2026-04", "trading-bot",
          ["--from", "2026-04-01T00:00:00+02:00", "--to", "2026-05-01T00:00:00+02:00"])]


def read_cases(path):
    out = []
    buf = ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            buf += s
            try:
                out.append(json.loads(buf))
                buf = ""
            except json.JSONDecodeError:
                continue  # a case spans several lines
    if buf:
        raise ValueError(f"{path}: unterminated JSON case")
    return out


def main():
    slactl, src = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.join(src, "tests", "scenarios"))
    from run_scenarios import subset_mismatch  # the scenarios' comparison rules

    golden = os.path.join(src, "tests", "unit", "report", "golden")
    failures = 0
    for name, policy, period in CASES:
        log = subprocess.run([slactl, "replay", "--policy", os.path.join(src, "deploy", "policies", policy + ".yaml"),
                              "--events", os.path.join(golden, name + ".events.jsonl")],
                             check=True, capture_output=True, text=True).stdout
        lines = log.splitlines()
        if not lines:
            print(f"FAIL {name}: the replay printed nothing")
            return 1
        with tempfile.TemporaryDirectory() as tmp:
            once = os.path.join(tmp, "once.jsonl")
            twice = os.path.join(tmp, "twice.jsonl")
            with open(once, "w", encoding="utf-8") as f:
                f.write(log)
            with open(twice, "w", encoding="utf-8") as f:
                f.write("\n".join(list(reversed(lines)) + lines) + "\n")
            for n, case in enumerate(read_cases(os.path.join(golden, name + ".expected.jsonl")), 1):
                for variant, path in (("as replayed", once), ("duplicated and reordered", twice)):
                    out = subprocess.run([slactl, "report", *period, *case["args"], "--format", "json",
                                          "--events", path], check=True, capture_output=True, text=True).stdout
                    why = subset_mismatch(case["expect"], json.loads(out))
                    if why:
                        failures += 1
                        print(f"FAIL {name} case {n} ({' '.join(case['args'])}; {variant}): {why}")
                    else:
                        print(f"ok   {name} case {n} ({' '.join(case['args'])}; {variant})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
