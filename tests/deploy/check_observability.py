#!/usr/bin/python3
"""Every metric the alert rules (deploy/observability/alerts.yaml) and the
Grafana dashboard (deploy/observability/grafana-dashboard.json) name must be
one the daemons export: a rule or panel over a misspelt or renamed metric
would never fire or show anything, silently.

usage: check_observability.py ALERTS DASHBOARD METRICS_TEXT...
(METRICS_TEXT: a /metrics answer of sla-timerd or sla-notify, saved to a file)
Standard library and PyYAML (Debian python3-yaml).
"""
import json
import re
import sys

import yaml

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "inf", "nan", "le"}
IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr):
    """The metric names an expression selects (PromQL, roughly but safely:
    strings, label matchers, ranges, grouping clauses and variables removed;
    an identifier not followed by '(' is a metric)."""
    lv = re.match(r"\s*label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)", expr)
    if lv:
        return {lv.group(1)}
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    s = re.sub(r"\$\w+", " ", s)
    names = set()
    for m in IDENT.finditer(s):
        rest = s[m.end():].lstrip()
        word = m.group(0)
        if rest.startswith("(") or word.lower() in KEYWORDS:
            continue
        if m.start() > 0 and (s[m.start() - 1].isdigit() or s[m.start() - 1] == "."):
            continue  # a number's exponent or unit (1e-9)
        names.add(word)
    return names


def exported(paths):
    names = set()
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                if line.startswith("# TYPE "):
                    parts = line.split()
                    name, kind = parts[2], parts[3]
                    names.add(name)
                    if kind in ("histogram", "summary"):
                        names |= {name + "_bucket", name + "_sum", name + "_count"}
                elif line.strip() and not line.startswith("#"):
                    names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def main():
    alerts_path, dashboard_path, *texts = sys.argv[1:]
    have = exported(texts)
    if not have:
        print("FAIL: no metrics in", texts)
        return 1
    used = {}
    with open(alerts_path, encoding="utf-8") as f:
        for g in yaml.safe_load(f)["groups"]:
            for r in g["rules"]:
                for n in metric_names(r["expr"]):
                    used.setdefault(n, []).append(f"alert {r['alert']}")
    with open(dashboard_path, encoding="utf-8") as f:
        dash = json.load(f)
    for p in dash["panels"]:
        for t in p.get("targets", []):
            for n in metric_names(t["expr"]):
                used.setdefault(n, []).append(f"panel '{p['title']}'")
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict) and "query" in q:
            for n in metric_names(q["query"]):
                used.setdefault(n, []).append(f"variable {v['name']}")
    missing = {n: where for n, where in used.items() if n not in have}
    for n, where in sorted(missing.items()):
        print(f"FAIL: {n} (used by {', '.join(sorted(set(where)))}) is not exported")
    print(f"{len(used)} metric names used by the rules and the dashboard; {len(used) - len(missing)} exported")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
