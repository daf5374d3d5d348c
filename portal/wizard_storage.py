"""A wizard run's draft, kept in a row of its own (WizardDraft), encrypted so that no entered secret is readable there.

Every run of a wizard has its own draft, named by a random id that the run's addresses carry (`?draft=<id>`): a
request reads and writes that run's row only, so two runs of one person never share or overwrite each other's state,
however their requests interleave. A draft is read only by the person who started it, for the wizard that started it.

A draft (and the encrypted password in it) lives at most DRAFT_MAX_AGE_SECONDS after its last change: its token
stops decrypting then and its row is no longer read. The worker's hourly jobs delete expired drafts
(portal/periodic.py) and uploads older than that (vms/periodic.py), so an abandoned draft is gone from the database
and the disk within a day. A run's uploaded files are kept in a folder named for its draft.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.serializers.json import DjangoJSONEncoder
from formtools.wizard.storage.base import BaseStorage
from formtools.wizard.storage.exceptions import NoFileStorageConfigured

from portal.selectors import wizard_draft_for
from portal.services import wizard_draft_delete, wizard_draft_save, wizard_draft_start

DRAFT_PRUNE_SECONDS = 60 * 60
DRAFT_MAX_AGE_SECONDS = 24 * 60 * 60 - DRAFT_PRUNE_SECONDS
KEY_PURPOSE = b"portal.vms.wizard-storage"
DRAFT_PARAMETER = "draft"


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_PURPOSE).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def draft_cipher() -> MultiFernet:
    """Return the cipher for wizard drafts, keyed from SECRET_KEY and able to read drafts made with its fallbacks."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


class DraftStorage(BaseStorage):
    """Hold one run's pages in memory for a request and write them back, encrypted, to that run's row alone."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_data()
        self.loaded = b""
        self.draft = wizard_draft_for(
            user=self.request.user, wizard=self.prefix, draft_id=self.request.GET.get(DRAFT_PARAMETER, "")
        )
        if self.draft is not None:
            try:
                self.loaded = draft_cipher().decrypt(self.draft.payload.encode(), ttl=DRAFT_MAX_AGE_SECONDS)
                self.data = json.loads(self.loaded)
            except (InvalidToken, ValueError):
                self.draft = None
                self.loaded = b""
                self.init_data()

    @property
    def found(self) -> bool:
        """Tell whether the request names a live draft of this person's for this wizard."""
        return self.draft is not None

    @property
    def draft_id(self) -> str:
        return str(self.draft.pk) if self.draft is not None else ""

    def start(self) -> None:
        """Begin a new run with an empty draft of its own; a draft the request named is left as it is."""
        self.init_data()
        self.loaded = self.plain()
        self.draft = wizard_draft_start(
            owner=self.request.user,
            wizard=self.prefix,
            payload=draft_cipher().encrypt(self.loaded).decode(),
            lifetime=DRAFT_MAX_AGE_SECONDS,
        )

    def plain(self) -> bytes:
        return json.dumps(self.data, cls=DjangoJSONEncoder).encode()

    def is_empty(self) -> bool:
        return not (self.data[self.step_data_key] or self.data[self.step_files_key] or self.data[self.extra_data_key])

    def set_step_files(self, step, files) -> None:
        """Keep a page's uploads in the run's own folder, so that runs never share a file."""
        if files and self.draft is None:
            raise SuspiciousOperation("A file was posted for a wizard draft that does not exist.")
        if files and not self.file_storage:
            raise NoFileStorageConfigured("The wizard needs a file_storage to keep uploaded files.")
        kept = self.data[self.step_files_key].setdefault(step, {})
        for field, field_file in (files or {}).items():
            kept[field] = {
                "tmp_name": self.file_storage.save(f"{self.draft_id}/{field_file.name}", field_file),
                "name": field_file.name,
                "content_type": field_file.content_type,
                "size": field_file.size,
                "charset": field_file.charset,
            }

    def update_response(self, response) -> None:
        ended = False
        if self.draft is not None:
            if self.is_empty() and self.current_step is None:
                wizard_draft_delete(draft_id=self.draft.pk)
                ended = True
            else:
                plain = self.plain()
                # An unchanged draft keeps its token, so a page that only shows the draft writes nothing.
                if plain != self.loaded:
                    wizard_draft_save(
                        draft_id=self.draft.pk,
                        payload=draft_cipher().encrypt(plain).decode(),
                        lifetime=DRAFT_MAX_AGE_SECONDS,
                    )
        super().update_response(response)
        if ended and self.file_storage is not None:
            # After the run's files are deleted (the callback added above runs first): its folder goes too.
            if hasattr(response, "render"):
                response.add_post_render_callback(lambda response: self.remove_folder())
            else:
                self.remove_folder()

    def remove_folder(self) -> None:
        """Remove the run's upload folder once it holds nothing."""
        try:
            if self.file_storage.exists(self.draft_id):
                self.file_storage.delete(self.draft_id)
        except OSError:  # not empty, or not there: the hourly prune of uploads takes what is left
            pass
