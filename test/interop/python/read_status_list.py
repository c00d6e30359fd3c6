#!/usr/bin/python3
"""Reads one entry of a signed status list, sharing no code with the issuer: the standard
library (zlib, gzip, base64) decodes the list, jwcrypto verifies the signature.

Reads one JSON object on stdin:
  {"jws": "<compact JWS>",
   "keys": <a JWK Set {"keys": [...]}, or a DID document with verificationMethod/assertionMethod>,
   "format": "token" | "bitstring",
   "index": N,
   "purpose": "revocation" | "suspension",   (optional, bitstring: the statusPurpose the entry named)
   "now": <seconds since the epoch>}          (optional: the instant validity is judged at; default now)

token:     an IETF Token Status List token (draft-ietf-oauth-status-list): header typ statuslist+jwt,
           status_list {bits, lst}, lst = base64url(ZLIB(bytes)), index 0 in the least significant bits.
bitstring: a W3C Bitstring Status List v1.0 credential secured as vc+jwt: credentialSubject.encodedList
           = "u" + base64url(GZIP(bits)), one bit per entry, index 0 the most significant bit of byte 0.

Writes one JSON object on stdout:
  {"status": <int>, "size": <entries in the list>, "kid": ..., "claims": {...}}
or {"error": "..."} when the list is refused. Exit status 0 in both cases; 3 when jwcrypto is missing.
"""
import base64
import gzip
import json
import sys
import time
import zlib
from datetime import datetime

from key_choice import check_alg, choose_key

try:
    from jwcrypto import jwk, jws
except ImportError as e:
    print(f"missing Python JOSE library: {e} (apt-get install -y python3-jwcrypto)", file=sys.stderr)
    sys.exit(3)

# The algorithm comes from the key, never from the header alone: the header must agree with it.
TYP = {"token": "statuslist+jwt", "bitstring": "vc+jwt"}


class Refused(Exception):
    pass


def b64url_decode(text):
    # base64url without padding, as both formats carry it; the standard decoder wants the padding back.
    if not isinstance(text, str) or "=" in text:
        raise Refused("not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verified(token, keys, typ):
    """The header and claims of a JWS whose signature the key its kid names verifies."""
    header = json.loads(b64url_decode(token.split(".")[0]))
    kid, alg = header.get("kid"), header.get("alg")
    if not isinstance(kid, str):
        raise Refused("the JWS header has no kid")
    # RFC 7515 §4.1.9 lets typ omit the "application/" prefix; compare the media types without it.
    if str(header.get("typ", "")).lower().removeprefix("application/") != typ:
        raise Refused(f"header typ {header.get('typ')!r} is not {typ}")
    key = choose_key(keys, kid)
    check_alg(alg, key)
    public = {k: v for k, v in key.items() if k in ("kty", "crv", "x", "y")}
    signed = jws.JWS()
    signed.deserialize(token)
    try:
        signed.verify(jwk.JWK(**public), alg=alg)
    except jws.InvalidJWSSignature as e:
        raise Refused(f"signature: {e}") from e
    return kid, json.loads(signed.payload)


def instant(iso):
    return datetime.fromisoformat(iso).timestamp()


def read_token(claims, index, now):
    if "exp" in claims and claims["exp"] <= now:
        raise Refused("the status list token has expired")
    status_list = claims.get("status_list") or {}
    bits = status_list.get("bits")
    if bits not in (1, 2, 4, 8):
        raise Refused(f"status_list.bits {bits!r} is not 1, 2, 4 or 8")
    packed = zlib.decompress(b64url_decode(status_list.get("lst")))
    size = len(packed) * 8 // bits
    if not 0 <= index < size:
        raise Refused(f"index {index} is outside the list's {size} entries")
    # draft-ietf-oauth-status-list: statuses fill each byte from its least significant bits up.
    position = index * bits
    return (packed[position // 8] >> (position % 8)) & ((1 << bits) - 1), size


def read_bitstring(claims, index, now, purpose):
    if "validFrom" in claims and instant(claims["validFrom"]) > now:
        raise Refused("the status list credential is not valid yet")
    if "validUntil" in claims and instant(claims["validUntil"]) <= now:
        raise Refused("the status list credential has expired")
    if "BitstringStatusListCredential" not in claims.get("type", []):
        raise Refused("not a BitstringStatusListCredential")
    subject = claims.get("credentialSubject") or {}
    if subject.get("type") != "BitstringStatusList":
        raise Refused("the credential subject is not a BitstringStatusList")
    if purpose is not None and subject.get("statusPurpose") != purpose:
        raise Refused(f"statusPurpose {subject.get('statusPurpose')!r} is not {purpose!r}")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise Refused("encodedList is not multibase base64url")
    packed = gzip.decompress(b64url_decode(encoded[1:]))
    size = len(packed) * 8
    if not 0 <= index < size:
        raise Refused(f"index {index} is outside the list's {size} entries")
    # W3C Bitstring Status List: index 0 is the left-most (most significant) bit of byte 0.
    return (packed[index // 8] >> (7 - index % 8)) & 1, size


def main():
    request = json.load(sys.stdin)
    fmt, index = request["format"], request["index"]
    now = request.get("now", time.time())
    try:
        kid, claims = verified(request["jws"], request["keys"], TYP[fmt])
        if fmt == "token":
            status, size = read_token(claims, index, now)
        else:
            status, size = read_bitstring(claims, index, now, request.get("purpose"))
    except (Refused, LookupError, ValueError, TypeError, zlib.error, OSError) as e:
        # zlib.error and OSError (gzip's BadGzipFile) are corrupt lists; ValueError covers bad JSON and base64.
        json.dump({"error": f"{type(e).__name__}: {e}"}, sys.stdout)
        return
    json.dump({"status": status, "size": size, "kid": kid, "claims": claims}, sys.stdout)


if __name__ == "__main__":
    main()
