#!/usr/bin/python3
"""Verifies a compact JWS with two independent Python JOSE implementations: jwcrypto and PyJWT.

Reads one JSON object on stdin:
  {"jws": "<compact JWS>",
   "keys": <a JWK Set {"keys": [...]}, or a DID document with verificationMethod/assertionMethod>,
   "require": ["exp", "nbf", ...]}            (optional: claims PyJWT must find)
picks the key the JWS header's kid names (in a JWK Set: the kid itself or, for a DID URL kid,
its fragment; in a DID document: the verification method whose id is the DID URL, which must
also be an assertionMethod), checks the header alg is the key's alg and fits its key type, and
has each library verify the signature (and, where present, exp/nbf against the current time).

Writes one JSON object on stdout:
  {"kid": ..., "alg": ..., "key": <the JWK used>,
   "jwcrypto": {"ok": true, "header": {...}, "payload": {...}} | {"ok": false, "error": "..."},
   "pyjwt":    {"ok": true, "header": {...}, "payload": {...}} | {"ok": false, "error": "..."}}
or {"error": "..."} when no key can be chosen. Exit status 0 in both cases; 3 when a library is missing.
"""
import base64
import json
import sys

from key_choice import check_alg, choose_key

try:
    import jwt as pyjwt
    from jwcrypto import jwk as jc_jwk
    from jwcrypto import jwt as jc_jwt
except ImportError as e:  # the caller turns this into a clear test failure
    print(f"missing Python JOSE library: {e} (apt-get install -y python3-jwcrypto python3-jwt)", file=sys.stderr)
    sys.exit(3)


def b64url_json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def public_members(key):
    return {k: v for k, v in key.items() if k in ("kty", "crv", "x", "y", "kid", "alg", "use")}


def with_jwcrypto(token, key, alg):
    # check_claims=None: jwcrypto checks exp and nbf, when present, against time.time().
    t = jc_jwt.JWT(jwt=token, key=jc_jwk.JWK(**public_members(key)), algs=[alg])
    return {"ok": True, "header": json.loads(t.header), "payload": json.loads(t.claims)}


def with_pyjwt(token, key, alg, require):
    signing_key = pyjwt.PyJWK(public_members(key), algorithm=alg).key
    payload = pyjwt.decode(token, key=signing_key, algorithms=[alg], options={"require": require, "verify_aud": False})
    return {"ok": True, "header": pyjwt.get_unverified_header(token), "payload": payload}


def attempt(fn, *args):
    try:
        return fn(*args)
    except Exception as e:  # a refusal is a result, reported with the library's own exception
        return {"ok": False, "error": f"{type(e).__module__}.{type(e).__name__}: {e}"}


def main():
    request = json.load(sys.stdin)
    token = request["jws"]
    try:
        header = b64url_json(token.split(".")[0])
        kid, alg = header.get("kid"), header.get("alg")
        if not isinstance(kid, str):
            raise LookupError("the JWS header has no kid")
        key = choose_key(request["keys"], kid)
        check_alg(alg, key)
    except (LookupError, ValueError) as e:
        json.dump({"error": str(e)}, sys.stdout)
        return
    json.dump(
        {
            "kid": kid,
            "alg": alg,
            "key": key,
            "jwcrypto": attempt(with_jwcrypto, token, key, alg),
            "pyjwt": attempt(with_pyjwt, token, key, alg, request.get("require", [])),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
