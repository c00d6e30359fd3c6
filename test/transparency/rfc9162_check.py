"""An independent check of launchproof's transparency-log proofs, written from RFC 9162 §2.1
with nothing but Python's hashlib: it hashes the entries itself, computes every tree head, and
verifies the inclusion and consistency proofs the service produced.

Reads JSON on stdin: {"entries": [hex, ...], "inclusion": [{"index", "size", "proof": [hex]}],
"consistency": [{"first", "second", "proof": [hex]}]}. Writes JSON on stdout: the root of every
size from 0 to len(entries), and true or false for each proof, in order.
"""
import hashlib
import json
import sys


def sha256(data):
    return hashlib.sha256(data).digest()


def leaf(entry):
    return sha256(b"\x00" + entry)


def node(left, right):
    return sha256(b"\x01" + left + right)


def mth(entries):
    """MTH(D[n]) by its recursive definition (RFC 9162 §2.1.1)."""
    n = len(entries)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf(entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node(mth(entries[:k]), mth(entries[k:]))


def verify_inclusion(index, size, leaf_hash, path, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, path):
    """RFC 9162 §2.1.4.2, for 0 < first < second."""
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash


def main():
    request = json.load(sys.stdin)
    entries = [bytes.fromhex(e) for e in request["entries"]]
    roots = [mth(entries[:n]) for n in range(len(entries) + 1)]
    inclusion = [
        verify_inclusion(c["index"], c["size"], leaf(entries[c["index"]]), [bytes.fromhex(p) for p in c["proof"]], roots[c["size"]])
        for c in request["inclusion"]
    ]
    consistency = [
        verify_consistency(c["first"], c["second"], roots[c["first"]], roots[c["second"]], [bytes.fromhex(p) for p in c["proof"]])
        for c in request["consistency"]
    ]
    json.dump({"roots": [r.hex() for r in roots], "inclusion": inclusion, "consistency": consistency}, sys.stdout)


main()
