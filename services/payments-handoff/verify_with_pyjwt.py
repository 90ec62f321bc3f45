#!/usr/bin/python3
"""Verify a hand-off assertion with PyJWT, a JWT library independent of the
portal, against the key set published at a URL, as a provider would.

Usage: verify_with_pyjwt.py JWKS_URL TOKEN AUDIENCE ISSUER
Prints the token's jti and exits 0, or exits 1 with the reason.
"""
import sys

import jwt


def main():
    jwks_url, token, audience, issuer = sys.argv[1:5]
    try:
        key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["EdDSA"],
            audience=audience,
            issuer=issuer,
            options={"require": ["iss", "aud", "sub", "iat", "exp", "jti"]},
        )
    except jwt.PyJWTError as error:
        print(f"rejected: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(claims["jti"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
