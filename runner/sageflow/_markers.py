"""A write's marker text: derived from its idempotency key, the same on every retry and resume.

Packs put it in a searchable field of a create (a reference, a note) so that a create whose
outcome is unknown is found again instead of repeated (see ``sageflow._execute``).
"""

from __future__ import annotations

import hashlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def marker_text(token: str, length: int = 8) -> str:
    """A write's marker: ``length`` upper-case letters and digits derived from its key.

    Eight characters (about 41 bits) because the shortest field it goes into, a contact's
    ``reference``, takes 8 in the sandbox (10 reported for Sage, [I-byte8]); upper case because
    Sage compares contact references without case.
    """
    number = int.from_bytes(hashlib.sha256(b"sageflow-marker:" + token.encode()).digest(), "big")
    out = []
    for _ in range(length):
        number, digit = divmod(number, len(_ALPHABET))
        out.append(_ALPHABET[digit])
    return "".join(out)
