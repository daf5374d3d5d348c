"""The wizard's draft, kept in the session encrypted so that no entered secret is readable there."""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from formtools.wizard.storage.base import BaseStorage

DRAFT_MAX_AGE_SECONDS = 24 * 60 * 60
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
        if self.is_empty() and self.current_step is None:
            self.request.session.pop(self.prefix, None)
        else:
            plain = json.dumps(self.data, cls=DjangoJSONEncoder).encode()
            # An unchanged draft keeps its token, so a page that only shows the draft does not write the session.
            if plain != self.loaded:
                self.request.session[self.prefix] = draft_cipher().encrypt(plain).decode()
        super().update_response(response)
