"""Slow salted PIN verifiers: what the staff list and the cached access list keep instead of a PIN.

scrypt with a salt per entry, written ``scrypt$n$r$p$salt$hash``. Checking one costs tens of
milliseconds on purpose, so that a stolen list cannot be searched for PINs quickly.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
# The only cost accepted: lower would let a stolen list be searched for PINs faster (a central system
# sending N = 2^10 makes every verifier 16 times cheaper to attack), higher passes hashlib's memory cap.
MIN_SCRYPT_N = MAX_SCRYPT_N = SCRYPT_N


def pin_verifier(pin: str, *, n: int = SCRYPT_N) -> str:
    """A slow salted verifier of a PIN (scrypt, per-entry salt): ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, verifier: str) -> bool:
    try:
        kind, n, r, p, salt, digest = verifier.split("$")
        if kind != "scrypt" or not (MIN_SCRYPT_N <= int(n) <= MAX_SCRYPT_N and int(r) == 8 and int(p) == 1):
            return False
        candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=8, p=1, dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)
