"""Bounded HTTP: every answer from the network is cut at a size and a deadline."""

from __future__ import annotations

import base64
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

USER_AGENT = "distrust-deps/0.1 (+dependency verification)"


class FetchError(Exception):
    """The request did not produce an answer (unreachable, timed out, too large...)."""


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    truncated: bool = False


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """The URL without `user:password@`, and the Authorization header it carried."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, {}
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    clean = urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return clean, {"Authorization": f"Basic {token}"}


def redact(url: str) -> str:
    """A URL fit for messages: credentials removed."""
    return split_credentials(url)[0]


def fetch(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    accept: str = "application/json",
    data: bytes | None = None,
    allow_truncated: bool = False,
) -> Response:
    """GET (or POST when `data` is given) with a deadline for the whole exchange and a cap on
    the body. Error statuses are answers, not exceptions. A body over the cap raises unless
    `allow_truncated`, which returns what fitted."""
    clean, auth = split_credentials(url)
    scheme = urllib.parse.urlsplit(clean).scheme
    if scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL scheme {scheme!r}")
    headers = {"Accept": accept, "User-Agent": USER_AGENT, **auth}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(clean, data=data, headers=headers,
                                     method="POST" if data is not None else "GET")
    deadline = time.monotonic() + timeout
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        response = err
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise FetchError(f"{redact(url)}: {reason}") from None
    try:
        status = int(response.status or 0)
        content_type = str(response.headers.get("Content-Type", "") or "")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes and not allow_truncated:
            raise FetchError(f"{redact(url)}: answer of {declared} bytes is over the "
                             f"{max_bytes}-byte limit")
        chunks: list[bytes] = []
        size = 0
        truncated = False
        # read1 returns what has arrived, so a server that drips bytes meets the deadline
        read = getattr(response, "read1", None) or response.read
        while True:
            if time.monotonic() > deadline:
                raise FetchError(f"{redact(url)}: no complete answer within {timeout:g} s")
            chunk = read(min(65536, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                if not allow_truncated:
                    raise FetchError(f"{redact(url)}: answer over the {max_bytes}-byte limit")
                truncated = True
                break
        return Response(status, content_type, b"".join(chunks)[:max_bytes], truncated)
    except (OSError, ValueError) as err:
        raise FetchError(f"{redact(url)}: {err or 'connection failed'}") from None
    finally:
        response.close()
