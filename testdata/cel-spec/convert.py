#!/usr/bin/env python3
"""Converts cel-spec's simple conformance tests (textproto) into JSON that needs no protobuf.

Run once, from the repository root, against a git directory of github.com/google/cel-spec:

    python3 testdata/cel-spec/convert.py <cel-spec git dir> <commit>

It reads `tests/simple/testdata/<file>.textproto` at <commit> (with `git --git-dir=… show`) for
each file in FILES, keeps the tests that need no protobuf message (see `needs_protobuf`), and
writes `testdata/cel-spec/cases/<file>.json` plus `testdata/cel-spec/cases/SOURCE.json` (the
commit and, per file, how many tests were kept and left out). The format of the JSON is
described in testdata/cel-spec/README.md. Only the Python standard library is used.
"""

import base64
import json
import math
import os
import re
import subprocess
import sys

FILES = [
    "basic", "comparisons", "conversions", "fields", "fp_math", "integer_math",
    "lists", "logic", "macros", "macros2", "namespace", "optionals", "parse", "plumbing",
    "string", "string_ext", "timestamps", "type_deduction",
]

# Message types of the conformance protos and protobuf's own (besides Timestamp and Duration,
# which are CEL's built-in `timestamp` and `duration`).
PROTOBUF = re.compile(
    r"TestAllTypes|NestedTestAllTypes|TestRequired|GlobalEnum|NestedEnum|cel\.expr\.conformance"
    r"|\bproto[23]\b|google\.protobuf\.(?!Timestamp\b|Duration\b)\w+|\bNullValue\b")
# A container naming a protobuf package makes message names resolve in it.
PROTOBUF_CONTAINER = re.compile(r"google\.protobuf|proto[23]|conformance")
WELL_KNOWN_TIME = {
    "type.googleapis.com/google.protobuf.Timestamp": "timestamp",
    "type.googleapis.com/google.protobuf.Duration": "duration",
}


class NeedsProtobuf(Exception):
    """The test needs a protobuf message (or an enum), which this suite leaves out."""


# --- textproto ---------------------------------------------------------------------------------

class Reader:
    """A recursive-descent reader of protobuf text format into lists of (name, value) pairs."""

    def __init__(self, text):
        self.s, self.i = text, 0

    def ws(self):
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r\n,;":
                self.i += 1
            elif c == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
            else:
                break

    def peek(self):
        self.ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def message(self, close):
        fields = []
        while True:
            c = self.peek()
            if c == close or (close is None and c == ""):
                self.i += 1 if close else 0
                return fields
            if c == "":
                raise ValueError("unexpected end of text")
            name = self.name()
            if self.peek() == ":":
                self.i += 1
            fields.append((name, self.value()))

    def name(self):
        if self.s[self.i] == "[":
            end = self.s.index("]", self.i)
            name = "[" + self.s[self.i + 1:end].strip() + "]"
            self.i = end + 1
            return name
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.s, self.i)
        if not m:
            raise ValueError("field name expected at %d: %r" % (self.i, self.s[self.i:self.i + 30]))
        self.i = m.end()
        return m.group(0)

    def value(self):
        c = self.peek()
        if c in "{<":
            self.i += 1
            return self.message("}" if c == "{" else ">")
        if c == "[":
            self.i += 1
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.i += 1
            return ("list", items)
        if c in "\"'":
            data = b""
            while self.peek() in ("\"", "'") and self.peek() != "":
                data += self.string()
            return ("str", data)
        m = re.compile(r"[-+]?[A-Za-z0-9_.+-]+").match(self.s, self.i)
        if not m:
            raise ValueError("value expected at %d" % self.i)
        self.i = m.end()
        return ("tok", m.group(0))

    def string(self):
        quote = self.s[self.i]
        self.i += 1
        out = bytearray()
        simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
                  "\\": 92, "'": 39, "\"": 34, "?": 63}
        while True:
            c = self.s[self.i]
            if c == quote:
                self.i += 1
                return bytes(out)
            if c != "\\":
                out += c.encode("utf-8")
                self.i += 1
                continue
            e = self.s[self.i + 1]
            if e in simple:
                out.append(simple[e])
                self.i += 2
            elif e in "01234567":
                m = re.compile(r"[0-7]{1,3}").match(self.s, self.i + 1)
                out.append(int(m.group(0), 8) & 0xFF)
                self.i = m.end()
            elif e in "xX":
                m = re.compile(r"[0-9A-Fa-f]{1,2}").match(self.s, self.i + 2)
                out.append(int(m.group(0), 16))
                self.i = m.end()
            elif e == "u":
                out += chr(int(self.s[self.i + 2:self.i + 6], 16)).encode("utf-8")
                self.i += 6
            elif e == "U":
                out += chr(int(self.s[self.i + 2:self.i + 10], 16)).encode("utf-8")
                self.i += 10
            else:
                raise ValueError("unknown escape \\%s" % e)


def parse(text):
    return Reader(text).message(None)


def fields(msg, name):
    return [v for (n, v) in msg if n == name]


def one(msg, name, default=None):
    found = fields(msg, name)
    return found[-1] if found else default


def text(v):
    assert v[0] == "str", v
    return v[1].decode("utf-8")


def token(v):
    return v[1] if v[0] == "tok" else text(v)


def boolean(v):
    return token(v) in ("true", "True", "t", "1")


# --- cel.expr.Value -> JSON --------------------------------------------------------------------

def number(tok):
    """A double as text (`repr`, which reads back to the same double), or NaN/±Infinity: JSON
    readers do not all round decimal numbers correctly, so doubles are not written as numbers."""
    t = tok.lower()
    if t in ("inf", "infinity", "+inf", "+infinity"):
        return "Infinity"
    if t in ("-inf", "-infinity"):
        return "-Infinity"
    if t == "nan":
        return "NaN"
    x = float(tok.rstrip("fF")) if not re.fullmatch(r"[-+]?\d+", tok) else float(int(tok))
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(x)


def integer(tok):
    return int(tok, 0)


def value(msg):
    """A cel.expr.Value as {"<kind>": …} (see README.md)."""
    if not isinstance(msg, list):
        raise ValueError("value message expected: %r" % (msg,))
    if not msg:
        raise ValueError("empty value")
    name, v = msg[0]
    if name == "null_value":
        return {"null": None}
    if name == "bool_value":
        return {"bool": boolean(v)}
    if name == "int64_value":
        return {"int": integer(token(v))}
    if name == "uint64_value":
        return {"uint": integer(token(v))}
    if name == "double_value":
        return {"double": number(token(v))}
    if name == "string_value":
        return {"string": text(v)}
    if name == "bytes_value":
        return {"bytes": base64.b64encode(v[1]).decode("ascii")}
    if name == "type_value":
        return {"type": text(v)}
    if name == "list_value":
        return {"list": [value(x) for x in fields(v, "values")]}
    if name == "map_value":
        return {"map": [[value(one(e, "key")), value(one(e, "value"))] for e in fields(v, "entries")]}
    if name == "object_value":
        (url, body), = v
        kind = WELL_KNOWN_TIME.get(url.strip("[]"))
        if kind is None:
            raise NeedsProtobuf(url)
        seconds = integer(token(one(body, "seconds", ("tok", "0"))))
        nanos = integer(token(one(body, "nanos", ("tok", "0"))))
        return {kind: {"seconds": seconds, "nanos": nanos}}
    if name == "enum_value":
        raise NeedsProtobuf("enum")
    raise ValueError("unknown value kind " + name)


def expectation(test):
    if one(test, "value") is not None:
        return {"value": value(one(test, "value"))}
    typed = one(test, "typed_result")
    if typed is not None:
        if one(typed, "result") is None:
            return {"deduced_type_only": True}
        return {"value": value(one(typed, "result"))}
    for name in ("eval_error", "any_eval_errors"):
        found = one(test, name)
        if found is not None:
            messages = [text(one(e, "message")) for s in ([found] + fields(found, "errors"))
                        for e in fields(s, "errors") if one(e, "message") is not None]
            return {"error": messages}
    if one(test, "unknown") is not None or one(test, "any_unknowns") is not None:
        return {"unknown": True}
    return {"value": {"bool": True}}


def needs_protobuf(test):
    """Whether a test needs a protobuf message or enum: by its expression, container or types."""
    if PROTOBUF.search(text(one(test, "expr"))):
        return True
    container = one(test, "container")
    if container is not None and PROTOBUF_CONTAINER.search(text(container)):
        return True
    decls = repr(fields(test, "type_env"))
    return "message_type" in decls or "'enum'" in decls


def convert_test(test):
    if needs_protobuf(test):
        raise NeedsProtobuf("expression")
    out = {"name": text(one(test, "name")), "expr": text(one(test, "expr"))}
    for flag in ("disable_macros", "disable_check", "check_only"):
        if one(test, flag) is not None and boolean(one(test, flag)):
            out[flag] = True
    if one(test, "container") is not None:
        out["container"] = text(one(test, "container"))
    bindings = {}
    for b in fields(test, "bindings"):
        expr_value = one(b, "value")
        if one(expr_value, "value") is None:
            raise NeedsProtobuf("binding that is not a value")
        bindings[text(one(b, "key"))] = value(one(expr_value, "value"))
    if bindings:
        out["bindings"] = bindings
    out["expect"] = expectation(test)
    return out


def convert_file(text_):
    doc = parse(text_)
    kept = dropped = 0
    sections = []
    for section in fields(doc, "section"):
        tests = []
        for test in fields(section, "test"):
            try:
                tests.append(convert_test(test))
                kept += 1
            except NeedsProtobuf:
                dropped += 1
        if tests:
            sections.append({"name": text(one(section, "name")), "tests": tests})
    return {"name": text(one(doc, "name")), "sections": sections}, kept, dropped


def main():
    git_dir, commit = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(here, "cases")
    os.makedirs(out_dir, exist_ok=True)
    source = {"repository": "https://github.com/google/cel-spec", "commit": commit, "files": {}}
    for name in FILES:
        path = "tests/simple/testdata/%s.textproto" % name
        raw = subprocess.run(["git", "--git-dir", git_dir, "show", "%s:%s" % (commit, path)],
                             check=True, capture_output=True).stdout.decode("utf-8")
        converted, kept, dropped = convert_file(raw)
        converted["source"] = path
        with open(os.path.join(out_dir, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(converted, f, indent=1, ensure_ascii=False)
            f.write("\n")
        source["files"][name] = {"kept": kept, "left_out_needing_protobuf": dropped}
        print("%-16s kept %4d, left out %4d (protobuf)" % (name, kept, dropped))
    with open(os.path.join(out_dir, "SOURCE.json"), "w", encoding="utf-8") as f:
        json.dump(source, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
