#!/usr/bin/python3
"""Writes the codec target's seeds for the round-2 input fields
(`opened.attributes`, `attributes_changed`, `customer_replied`,
`escalation_requested`) into tests/fuzz/codec/seeds/, each as protobuf
binary (`.pb`, encoded by `protoc --encode` from the checked-in schema) and
as proto3-JSON (`.json`), in the target's input layout (tests/fuzz/README.md):
byte 0 = flags (bit 0 proto3-JSON, bit 1 an explicit key follows as a length
byte and the key), then the payload. Some are over the codec's bounds
(codec::Limits: 32 attributes, keys of 128 bytes, values of 256, a reason of
1024) or break its rules (a key both set and removed, an empty key), so the
rejections are seeds too.

    make_seeds.py [PROTOC]     # from anywhere; rewrites the files it owns

Standard library only.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
SEEDS = os.path.join(HERE, "seeds")
PROTO = os.path.join(ROOT, "proto")

T1 = "2026-04-06T11:00:00Z"   # the target's `now` is 2026-04-06T12:00:00Z
T2 = "2026-04-06T11:20:00Z"


def base(eid, at=T1, ticket="T1"):
    return {"eventId": eid, "ticketId": ticket, "tenantId": "acme", "occurredAt": at}


def opened(eid, attributes, severity="P1", plan="pro"):
    e = base(eid)
    e["opened"] = {"plan": plan, "severity": severity, "attributes": attributes}
    return e


def changed(eid, set_=None, removed=None):
    e = base(eid, T2)
    body = {}
    if set_ is not None:
        body["set"] = set_
    if removed is not None:
        body["removed"] = removed
    e["attributesChanged"] = body
    return e


def replied(eid):
    e = base(eid, T2)
    e["customerReplied"] = {}
    return e


def requested(eid, by, reason):
    e = base(eid, T2)
    e["escalationRequested"] = {"by": by, "reason": reason}
    return e


def text_format(obj, indent=""):
    """proto3-JSON (as written here) -> protobuf text format for protoc --encode."""
    names = {"eventId": "event_id", "ticketId": "ticket_id", "tenantId": "tenant_id",
             "attributesChanged": "attributes_changed", "customerReplied": "customer_replied",
             "escalationRequested": "escalation_requested"}
    out = []
    for k, v in obj.items():
        name = names.get(k, k)
        if k == "occurredAt":
            import datetime
            t = datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
            out.append(f"{indent}occurred_at {{ seconds: {int(t.timestamp())} }}")
        elif isinstance(v, dict) and k in ("attributes", "set", "labels"):
            for mk, mv in v.items():
                out.append(f"{indent}{name} {{ key: {json.dumps(mk)} value: {json.dumps(mv)} }}")
        elif isinstance(v, dict):
            out.append(f"{indent}{name} {{")
            out.append(text_format(v, indent + "  "))
            out.append(f"{indent}}}")
        elif isinstance(v, list):
            for item in v:
                out.append(f"{indent}{name}: {json.dumps(item)}")
        else:
            out.append(f"{indent}{name}: {json.dumps(v)}")
    return "\n".join(l for l in out if l)


def encode(protoc, obj):
    p = subprocess.run([protoc, f"-I{PROTO}", "--encode=sla.v1.TicketEvent", "sla/v1/ticket_event.proto"],
                       input=text_format(obj).encode(), capture_output=True, check=True)
    return p.stdout


def many(n):
    return {f"k{i:02d}": f"v{i}" for i in range(n)}


# name -> (event, key or None). Keyed seeds carry the record key explicitly.
SEED_EVENTS = {
    "opened_attributes": (opened("e10", {"channel": "chat", "product": "hardware"}), None),
    "opened_attributes_keyed": (opened("e11", {"channel": "whatsapp"}, severity="P2"), "T1"),
    "opened_32_attributes": (opened("e12", many(32)), None),            # the most allowed
    "opened_33_attributes": (opened("e13", many(33)), None),            # one too many
    "opened_attribute_key_129": (opened("e14", {"k" * 129: "v"}), None),  # key over 128 bytes
    "opened_attribute_value_257": (opened("e15", {"channel": "v" * 257}), None),  # value over 256 bytes
    "opened_attribute_empty_key": (opened("e16", {"": "chat"}), None),
    "attributes_changed": (changed("e20", {"channel": "email", "region": "eu"}, ["product"]), None),
    "attributes_changed_removed_only": (changed("e21", None, ["channel", "product"]), "T1"),
    "attributes_changed_set_and_removed": (changed("e22", {"channel": "chat"}, ["channel"]), None),
    "attributes_changed_33_set": (changed("e23", many(33)), None),
    "attributes_changed_33_removed": (changed("e24", None, [f"k{i}" for i in range(33)]), None),
    "attributes_changed_key_129": (changed("e25", None, ["r" * 129]), None),
    "customer_replied": (replied("e5"), None),
    "customer_replied_keyed": (replied("e6"), "T1"),
    "escalation_requested": (requested("e4", "cfo@acme", "ESCALATION: outage"), None),
    "escalation_requested_keyed": (requested("e7", "ops-manager", "Level 4: management"), "T1"),
    "escalation_requested_reason_1024": (requested("e8", "cfo@acme", "r" * 1024), None),  # the most allowed
    "escalation_requested_reason_1025": (requested("e9", "cfo@acme", "r" * 1025), None),  # one byte over
    "escalation_requested_by_257": (requested("e3", "b" * 257, "why"), None),            # `by` is an id
}


def record(flags_json, key, payload):
    flags = (1 if flags_json else 0) | (2 if key is not None else 0)
    head = bytes([flags])
    if key is not None:
        head += bytes([len(key)]) + key.encode()
    return head + payload


def main():
    protoc = sys.argv[1] if len(sys.argv) > 1 else "protoc"
    # The two JSON seeds of these events committed before this script lacked
    # the flag byte (so they decoded as a keyed record of garbage); they are
    # rewritten in the right layout under the same names.
    for name, (event, key) in SEED_EVENTS.items():
        js = json.dumps(event, separators=(",", ":")).encode()
        with open(os.path.join(SEEDS, name + ".json"), "wb") as f:
            f.write(record(True, key, js))
        with open(os.path.join(SEEDS, name + ".pb"), "wb") as f:
            f.write(record(False, key, encode(protoc, event)))
    print(f"wrote {2 * len(SEED_EVENTS)} seeds to {SEEDS}")


if __name__ == "__main__":
    main()
