#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/corpus from the ircdocs parser test vectors (CC0).

Run it again when the vectors change: python3 Fuzz/make_corpus.py
Each seed is one file named after the SHA-1 of its bytes, as libFuzzer names its own.
  FuzzIRCParser:  every msg-split input line, and every msg-join `matches` line
  FuzzIRCTags:    the tag section (without '@') of every line that has one
  FuzzLineFramer: two header bytes (limit, stop) and then the lines joined by CR LF or LF
"""
import hashlib
import os
import shutil

import yaml

root = os.path.dirname(os.path.abspath(__file__))
vectors = os.path.join(root, "..", "Tests", "ParleyUnitTests", "Fixtures", "irc-parser-tests")


def load(name):
    with open(os.path.join(vectors, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["tests"]


lines = [test["input"] for test in load("msg-split.yaml")]
lines += [match for test in load("msg-join.yaml") for match in test["matches"]]
lines = [line.encode("utf-8") for line in dict.fromkeys(lines)]

seeds = {
    "FuzzIRCParser": lines,
    "FuzzIRCTags": [line[1:].split(b" ", 1)[0] for line in lines if line.startswith(b"@")],
    # Limit bytes: 47 (a limit of 48, above most lines) and 19 (20: some lines are too long);
    # stop byte 0 never closes the connection early, 3 closes it at the third line.
    "FuzzLineFramer": [
        bytes([47, 0]) + b"\r\n".join(lines) + b"\r\n",
        bytes([19, 0]) + b"\n".join(lines) + b"\n",
        bytes([47, 3]) + b"\r\n".join(lines[:8]) + b"\r\npartial",
    ],
}

for target, inputs in seeds.items():
    folder = os.path.join(root, "corpus", target)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for data in dict.fromkeys(inputs):
        with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as handle:
            handle.write(data)
    print(f"{target}: {len(set(inputs))} seeds")
