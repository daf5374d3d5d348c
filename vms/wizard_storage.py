"""The wizard's draft, kept in the session encrypted so that no entered secret is readable there.

A draft (and the encrypted password in it) lives at most DRAFT_MAX_AGE_SECONDS after its last change: the token
stops decrypting then, and the session holding it is set to expire at the same moment. The worker's hourly jobs
delete expired sessions (portal/periodic.py) and uploads older than that (vms/periodic.py), so an abandoned draft is
gone from the database and the disk within a day.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from formtools.wizard.storage.base import BaseStorage

DRAFT_PRUNE_SECONDS = 60 * 60
DRAFT_MAX_AGE_SECONDS = 24 * 60 * 60 - DRAFT_PRUNE_SECONDS
KEY_PURPOSE = b"portal.vms.wizard-storage"


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_PURPOSE).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def draft_cipher() -> MultiFernet:
    """Return the cipher for wizard drafts, keyed from SECRET_KEY and able to read drafts made with its fallbacks."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


class EncryptedSessionStorage(BaseStorage):
    """Hold the wizard's steps in memory for a request and write them back to the session encrypted."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_data()
        self.loaded = b""
        token = self.request.session.get(self.prefix)
        if token:
            try:
                self.loaded = draft_cipher().decrypt(token.encode(), ttl=DRAFT_MAX_AGE_SECONDS)
                self.data = json.loads(self.loaded)
            except (InvalidToken, ValueError):
                self.loaded = b""
                self.init_data()

    def is_empty(self) -> bool:
        return not (self.data[self.step_data_key] or self.data[self.step_files_key] or self.data[self.extra_data_key])

    def update_response(self, response) -> None:
        session = self.request.session
        if self.is_empty() and self.current_step is None:
            if session.pop(self.prefix, None) is not None:
                session.set_expiry(None)  # back to the sign-in's usual lifetime
        else:
            plain = json.dumps(self.data, cls=DjangoJSONEncoder).encode()
            # An unchanged draft keeps its token, so a page that only shows the draft does not write the session.
            if plain != self.loaded:
                session[self.prefix] = draft_cipher().encrypt(plain).decode()
                # The session row holding the draft expires with it, so the hourly clean-up deletes both.
                session.set_expiry(DRAFT_MAX_AGE_SECONDS)
        super().update_response(response)
