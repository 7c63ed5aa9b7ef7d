#!/usr/bin/python3
"""`slactl validate` over policies that misuse the round-2 keys (SPEC 3
"Additions (round 2)"): plan `rules:` (attributes, severity, targets),
escalation `match: {attributes}`, `at: {exchanges: N}`, `trigger: requested`
with its `calendar`, and `stop_on`. The real binary on real files: each
misuse is printed as `FILE:LINE:COL: message` at the token that is wrong,
every error of a file together, and the exit status is 1 when any file is
bad, 0 when all are good.

    validate_test.py SLACTL

Standard library only; one temporary directory, no servers.
"""
import os
import subprocess
import sys
import tempfile

failures = []

# A valid policy using every new key; each case below breaks one place.
GOOD = """version: 1
policy_id: round2
calendars:
  biz:
    timezone: America/Mexico_City
    hours: {mon-fri: ["09:00-18:00"]}
plans:
  pro:
    default_calendar: biz
    severities:
      P1: {response: {within: 1h}, resolution: {within: 8h}}
      P2: {response: {within: 4h}}
    rules:
      - match: {attributes: {channel: chat}}
        response: {within: 15m}
      - match: {attributes: {product: hardware}, severity: P1}
        workaround: {within: 4h}
escalations:
  - name: hardware
    match: {attributes: {product: hardware}, metric: workaround}
    steps:
      - {at: 1h, notify: [supplier]}
      - {at: 90%, notify: [supplier-lead]}
  - name: two-exchanges
    match: {metric: response}
    stop_on: [met]
    steps:
      - {at: {exchanges: 2}, notify: [t2]}
  - name: level4
    trigger: requested
    calendar: biz
    match: {plan: pro, metric: resolution}
    steps:
      - {at: 0m, notify: [management]}
"""

# (name, [(from, to), ...] applied to GOOD in order, [(token, occurrence, message), ...]):
# each expected error is at the start of the `occurrence`-th (0-based) match
# of `token` in the edited text and its message contains `message`.
CASES = [
    ("rule: unknown severity",
     [("severity: P1}\n        workaround", "severity: P7}\n        workaround")],
     [("P7", 0, "plans.pro.rules[1].match.severity: unknown severity 'P7' (plan pro has: P1, P2)")]),
    ("rule: empty attributes",
     [("{attributes: {channel: chat}}", "{attributes: {}}")],
     [("{}}", 0, "plans.pro.rules[0].match.attributes: an attribute test needs at least one attribute")]),
    ("rule: unknown match key",
     [("{attributes: {channel: chat}}", "{attrs: {channel: chat}}")],
     [("attrs", 0, "unknown key 'attrs' in plans.pro.rules[0].match")]),
    ("rule: no target",
     [("        response: {within: 15m}\n", "")],
     [("match: {attributes: {channel: chat}}", 0,
       "plans.pro.rules[0]: a rule must set at least one target")]),
    ("rule: no match",
     [("      - match: {attributes: {channel: chat}}\n        response", "      - response")],
     [("response: {within: 15m}", 0, "plans.pro.rules[0]: missing required key 'match'")]),
    ("rule: unknown calendar",
     [("response: {within: 15m}", "response: {within: 15m, calendar: bizz}")],
     [("bizz", 0, "plans.pro.rules[0].response.calendar: unknown calendar 'bizz'")]),
    ("rule target: steps out of order against it",
     [("workaround: {within: 4h}", "workaround: {within: 1h}")],
     [("90%", 0, "hardware: step 2 (at 90%) is not later than step 1 (at 1h) for "
                 "plans.pro.rules[1].workaround for P1 (1h)")]),
    ("escalation: attributes not a mapping",
     [("{attributes: {product: hardware}, metric", "{attributes: hardware, metric")],
     [("hardware, metric", 0, "escalations[0].match.attributes")]),
    ("escalation: attributes exclude every target of the metric",
     [("{attributes: {product: hardware}, metric", "{attributes: {product: software}, metric"),
      ("{attributes: {product: hardware}, severity: P1}", "{attributes: {product: hardware}}")],
     [("{attributes: {product: software}", 0, "escalations[0].match: matches no target")]),
    ("exchanges: zero",
     [("{exchanges: 2}", "{exchanges: 0}")],
     [("0}", 0, "escalations[1].steps[0].at.exchanges: 0 is out of range (1..255)")]),
    ("exchanges: another key",
     [("{exchanges: 2}", "{exchanges: 2, after: 1h}")],
     [("after", 0, "unknown key 'after' in escalations[1].steps[0].at")]),
    ("exchanges: more than one metric",
     [("match: {metric: response}", "match: {metric: [response, resolution]}")],
     [("{exchanges: 2}", 0, "escalations[1].steps[0].at: {exchanges: 2} fires once per clock it hangs on")]),
    ("exchanges: out of order",
     [("      - {at: {exchanges: 2}, notify: [t2]}\n",
       "      - {at: {exchanges: 2}, notify: [t2]}\n      - {at: {exchanges: 1}, notify: [t3]}\n")],
     [("{exchanges: 1}", 0, "two-exchanges: step 2 (at {exchanges: 1}) is not later than step 1")]),
    ("trigger: unknown",
     [("trigger: requested", "trigger: sometimes")],
     [("sometimes", 0, "escalations[2].trigger: unknown trigger 'sometimes'")]),
    ("trigger requested: unknown calendar",
     [("    calendar: biz\n    match: {plan: pro", "    calendar: bizz\n    match: {plan: pro")],
     [("bizz", 0, "escalations[2].calendar: unknown calendar 'bizz'")]),
    ("calendar without trigger: requested",
     [("    stop_on: [met]\n", "    stop_on: [met]\n    calendar: biz\n")],
     [("biz\n    steps:\n      - {at: {exchanges", 0,
       "escalations[1].calendar: only a `trigger: requested` escalation has a calendar")]),
    ("trigger requested: a percent step",
     [("{at: 0m, notify: [management]}", "{at: 50%, notify: [management]}")],
     [("50%", 0, "escalations[2].steps[0].at: '50%': the steps of a `trigger: requested` escalation are times")]),
    ("trigger requested: the update clock",
     [("{plan: pro, metric: resolution}", "{plan: pro, metric: update}")],
     [("{plan: pro, metric: update}", 0,
       "escalations[2].match.metric: a `trigger: requested` escalation cannot hang on the update clock")]),
    ("trigger requested: two metrics",
     [("{plan: pro, metric: resolution}", "{plan: pro, metric: [response, resolution]}")],
     [("{plan: pro, metric: [", 0, "escalations[2].match.metric: a `trigger: requested` escalation hangs on one clock")]),
    ("stop_on: unknown event",
     [("stop_on: [met]", "stop_on: [met, paged]")],
     [("paged", 0, "escalations[1].stop_on: unknown event 'paged'")]),
    # Several misuses in one file: every one is listed, in file order.
    ("several at once",
     [("severity: P1}\n        workaround", "severity: P7}\n        workaround"),
      ("stop_on: [met]", "stop_on: [paged]"),
      ("{exchanges: 2}", "{exchanges: 256}"),
      ("{at: 0m, notify: [management]}", "{at: breach, notify: [management]}")],
     [("P7", 0, "unknown severity 'P7'"),
      ("paged", 0, "unknown event 'paged'"),
      ("256", 0, "256 is out of range (1..255)"),
      ("breach, notify: [management]", 0, "the steps of a `trigger: requested` escalation are times")]),
]


def where(text, token, occurrence):
    off = -1
    for _ in range(occurrence + 1):
        off = text.find(token, off + 1)
        if off < 0:
            return None
    line = text.count("\n", 0, off) + 1
    col = off - (text.rfind("\n", 0, off) + 1) + 1
    return line, col


def validate(slactl, *files):
    p = subprocess.run([slactl, "validate", *files], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def fail(name, why, out):
    failures.append(f"FAIL {name}: {why}\n{out}")


def main():
    slactl = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, "good.yaml")
        with open(good, "w", encoding="utf-8") as f:
            f.write(GOOD)
        code, out, err = validate(slactl, good)
        if code != 0 or not out.startswith(f"ok: {good}: "):
            fail("the good policy", f"exit {code}", out + err)
        else:
            print("ok   the good policy")

        for i, (name, edits, expected) in enumerate(CASES):
            text = GOOD
            for old, new in edits:
                if old not in text:
                    fail(name, f"the test's edit {old!r} matches nothing", "")
                    break
                text = text.replace(old, new, 1)
            path = os.path.join(tmp, f"bad{i}.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            # A bad file among good ones still fails the whole run.
            code, out, err = validate(slactl, good, path)
            lines = out.splitlines()
            ok = True
            if code != 1:
                fail(name, f"exit {code}, expected 1", out + err)
                ok = False
            if not lines or not lines[0].startswith(f"ok: {good}: "):
                fail(name, "the good file was not reported ok first", out)
                ok = False
            errors = [l for l in lines if l.startswith(path + ":")]
            positions = []
            for token, occurrence, message in expected:
                pos = where(text, token, occurrence)
                if pos is None:
                    fail(name, f"token {token!r} not in the edited policy", text)
                    ok = False
                    continue
                want = f"{path}:{pos[0]}:{pos[1]}: "
                hit = [l for l in errors if l.startswith(want) and message in l]
                if not hit:
                    fail(name, f"no line starting {want!r} containing {message!r}", out + err)
                    ok = False
                positions.append(pos)
            if positions != sorted(positions):
                fail(name, "the test lists its errors out of file order", "")
            elif len(expected) > 1:
                got = [tuple(int(x) for x in l[len(path) + 1:].split(":")[:2]) for l in errors]
                if [p for p in got if p in positions] != positions:
                    fail(name, "errors not listed in file order", out)
                    ok = False
            if ok:
                print(f"ok   {name}")

    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
