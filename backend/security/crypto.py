"""Encryption at rest for tokens and signing secrets: MultiFernet over TOKEN_ENCRYPTION_KEYS.

The first key encrypts; every key decrypts, so keys rotate by prepending a new one, running
`rotate()` over stored values (python -m backend rotate-keys), then dropping the old key.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from backend.errors import AppError


class DecryptionError(AppError):
    """A stored secret cannot be decrypted with any configured key (a key was dropped too early)."""


class Cipher:
    def __init__(self, keys: Sequence[str]):
        if not keys:
            raise ValueError("at least one Fernet key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise DecryptionError(
                "a stored secret could not be decrypted with any key in TOKEN_ENCRYPTION_KEYS"
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt under the first (newest) key."""
        return self._fernet.rotate(token.encode()).decode()
