"""Which service a client talks to, with which key: Runware (a key), a proxy (a URL), or the local backend.

    endpoint = choose_endpoint(api_key, base_url, backend)  # validated; nothing is started or sent
    url = endpoint.url or shared_local_url()                # the shared local backend, started on first use

Without a key and a URL the client uses the shared local backend, which starts on the client's first use
(``url`` is then ``None``): constructing a client has no side effect.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import RequestError
from ._secrets import Secret

DEFAULT_BASE_URL = "https://api.runware.ai/v1"  # [doc]
BACKENDS = ("runware", "local")
LOCAL_KEY = "local"  # what the local backend is sent instead of a key
NO_KEY = "none"  # a custom base URL without a key (a proxy that adds its own)


@dataclass(frozen=True)
class Endpoint:
    backend: str
    key: Secret
    url: str | None  # None: the shared local backend, started on first use
    upload_namespace: str  # uploads are remembered per service
    key_from: str = ""  # where the key came from, for the Runware notice (never the key)


def choose_endpoint(api_key: str | None, base_url: str | None, backend: str | None) -> Endpoint:
    """The service, key and URL from the arguments, else ``LUMAKIT_BACKEND`` / ``RUNWARE_API_KEY`` /
    ``RUNWARE_BASE_URL``; a missing Runware key is refused here, before anything is sent."""
    backend = backend or os.environ.get("LUMAKIT_BACKEND") or None
    if backend is not None and backend not in BACKENDS:
        raise RequestError("backend", backend, BACKENDS)
    key = api_key or os.environ.get("RUNWARE_API_KEY") or None
    url = base_url or os.environ.get("RUNWARE_BASE_URL") or None
    if backend is None:
        backend = "runware" if (key or url) else "local"
    if backend == "local":
        namespace = f"local:{base_url}"
        if base_url is None:
            from ..local import default_data_dir

            # the shared backend's uploads are remembered under its data folder, which outlives its port
            namespace = f"local:{default_data_dir().expanduser().resolve()}"
        key = api_key or LOCAL_KEY  # the local backend takes any key; the real one stays at home
        return Endpoint("local", _secret(key), base_url, namespace)
    url = url or DEFAULT_BASE_URL
    if not key:
        if url == DEFAULT_BASE_URL:
            raise RequestError(
                "api_key",
                None,
                "a Runware API key: pass api_key= or set RUNWARE_API_KEY (or use backend='local')",
                message="backend 'runware' needs an API key",
            )
        key = NO_KEY
    key_from = "api_key=" if api_key else "RUNWARE_API_KEY" if key != NO_KEY else "nowhere (no key)"
    return Endpoint("runware", _secret(key), url, f"runware:{url}", key_from)


def shared_local_url() -> str:
    """The shared local backend's task endpoint, started now if it is not running: on a client's first
    use. (It was announced where the client was made.)"""
    from ..local import shared_server

    return shared_server().url


def _secret(key: str) -> Secret:
    return Secret(key, placeholder=key in (LOCAL_KEY, NO_KEY))
