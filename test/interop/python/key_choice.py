"""Which published key a JWS names, shared by the Python verifiers in this folder.

The rules a relying party applies: in a DID document, the verification method whose id is the
header's kid (a DID URL), which must also be listed under assertionMethod; in a JWK Set, the key
whose kid is the header's kid or, for a DID URL kid, its fragment. Raises LookupError otherwise.
"""

# The algorithms a verifier here accepts, and the key type and curve each must come with.
KEY_TYPES = {"ES256": ("EC", "P-256"), "EdDSA": ("OKP", "Ed25519")}


def choose_key(keys, kid):
    if "verificationMethod" in keys:
        did = keys["id"]
        absolute = lambda ref: did + ref if ref.startswith("#") else ref  # noqa: E731
        methods = [m for m in keys.get("verificationMethod", []) if absolute(m["id"]) == kid]
        if len(methods) != 1:
            raise LookupError(f"the DID document has no verification method {kid}")
        assertion = [absolute(a if isinstance(a, str) else a["id"]) for a in keys.get("assertionMethod", [])]
        if kid not in assertion:
            raise LookupError(f"{kid} is not an assertionMethod of {did}")
        return methods[0]["publicKeyJwk"]
    fragment = kid.split("#", 1)[1] if "#" in kid else kid
    found = [k for k in keys.get("keys", []) if k.get("kid") in (kid, fragment)]
    if len(found) != 1:
        raise LookupError(f"the JWK Set has no key {kid}")
    return found[0]


def check_alg(alg, key):
    """Refuses an algorithm outside KEY_TYPES, or one that does not fit the key."""
    if alg not in KEY_TYPES:
        raise LookupError(f"algorithm {alg!r} is not one a verifier here accepts")
    if key.get("alg", alg) != alg or (key.get("kty"), key.get("crv")) != KEY_TYPES[alg]:
        raise LookupError(f"header alg {alg} does not fit key {key.get('kty')}/{key.get('crv')} alg {key.get('alg')}")
