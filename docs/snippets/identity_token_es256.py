# Verity identity token signed ES256 with your own private key, in Python 3 (with `cryptography`:
# pip install cryptography, or Debian's python3-cryptography).
# Usage: python3 identity_token_es256.py PRIVATE_KEY_PEM_FILE KID USER_ID
# The key: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out private.pem
import base64
import json
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def part(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


pem_file, kid, user_id = sys.argv[1], sys.argv[2], sys.argv[3]
with open(pem_file, "rb") as f:
    key = serialization.load_pem_private_key(f.read(), password=None)
iat = int(time.time())
signing_input = part({"alg": "ES256", "typ": "JWT", "kid": kid}) + "." + part({"user_id": user_id, "iat": iat, "exp": iat + 600})
# JWS wants the raw r||s signature (32 bytes each), not the DER that sign() returns.
r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
print(signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
