"""The real classic SDK, unmodified, talking to the portal in-process through Django's test client."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import requests
from azure.servicemanagement import ServiceManagementService
from django.test import Client, TestCase
from django.utils import timezone
from requests.adapters import BaseAdapter

from credentials.services import api_token_create

HOST = "localhost:8443/sms"


class DjangoTestClientAdapter(BaseAdapter):
    """A requests transport that hands each request to Django's test client: no sockets, no TLS."""

    def __init__(self, client: Client, remote_addr: str = "127.0.0.1") -> None:
        super().__init__()
        self.client = client
        self.remote_addr = remote_addr
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        self.requests.append(request)
        url = urlsplit(request.url)
        headers = {
            name: value for name, value in request.headers.items() if name.lower() not in {"content-length", "host"}
        }
        content_type = headers.pop("Content-Type", "application/octet-stream")
        path = url.path + (f"?{url.query}" if url.query else "")
        # The test's transaction never commits: run what the request would hand the worker at its commit.
        with TestCase.captureOnCommitCallbacks(execute=True):
            answer = self.client.generic(
                request.method,
                path,
                data=request.body or b"",
                content_type=content_type,
                secure=url.scheme == "https",
                headers=headers,
                SERVER_NAME=url.hostname,
                SERVER_PORT=str(url.port or 443),
                REMOTE_ADDR=self.remote_addr,
            )
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.reason_phrase
        response._content = answer.content
        response.headers.update({name: value for name, value in answer.items()})
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def make_token(user, subscription) -> str:
    """Return the raw text of a new API token for user in subscription, good for 30 days."""
    _, raw = api_token_create(
        user=user, subscription=subscription, name="scripts", expires_at=timezone.now() + timedelta(days=30)
    )
    return raw


def make_sdk(
    client: Client, token: str, subscription_id: str
) -> tuple[ServiceManagementService, DjangoTestClientAdapter]:
    """The classic SDK sending with a bearer token through the test client, and the transport it sends through."""
    session = requests.Session()
    adapter = DjangoTestClientAdapter(client)
    session.mount("https://", adapter)
    session.headers["Authorization"] = f"Bearer {token}"
    sms = ServiceManagementService(subscription_id=subscription_id, request_session=session, host=HOST)
    return sms, adapter


def sdk_with_certificate(client, subscription, header_value: str, remote: str = "127.0.0.1"):
    """The SDK as a caller behind the trusted TLS proxy, which names the client certificate's thumbprint in a header."""
    session = requests.Session()
    adapter = DjangoTestClientAdapter(client, remote_addr=remote)
    session.mount("https://", adapter)
    session.headers["X-Client-Cert-Thumbprint"] = header_value
    return ServiceManagementService(
        subscription_id=str(subscription.subscription_id), request_session=session, host=HOST
    )


def wait(sms: ServiceManagementService, result) -> None:
    """Wait for an asynchronous call as scripts do; the test fabric finishes operations at once."""
    status = sms.wait_for_operation_status(
        result.request_id, timeout=5, sleep_interval=0.01, progress_callback=None, success_callback=None
    )
    assert status.status == "Succeeded"
