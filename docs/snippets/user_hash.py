# Verity user hash in Python 3 (standard library only).
# Usage: python3 user_hash.py SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
import hashlib
import hmac
import sys

secret, identifier = sys.argv[1], sys.argv[2]
print(hmac.new(secret.encode("utf-8"), identifier.encode("utf-8"), hashlib.sha256).hexdigest())
