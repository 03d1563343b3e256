"""A real OpenID provider for tests: panva's `oidc-provider` run by Node.js (oidc_provider/).

`make test` installs it (`npm ci` into tests/support/oidc_provider/node_modules); the fixture
installs it too when missing, so a lone `pytest` on a fresh checkout works.
"""

import asyncio
import contextlib
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import RSAKey

from ombuds_devstack.processes import free_port

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class ProviderUnderTest:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    # The provider's own signing key: tests sign wrong-but-valid tokens with it.
    key: RSAKey


def ensure_installed() -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the test OpenID provider (apt-get install npm)")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True, timeout=600
    )


@contextlib.asynccontextmanager
async def running_idp(
    redirect_uri: str, host: str = "127.0.0.1"
) -> AsyncIterator[ProviderUnderTest]:
    """The provider on a free port until the block ends, with one confidential client.
    `host` names it in the issuer URL (`localhost` puts it on another site than 127.0.0.1)."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed for the test OpenID provider")
    await asyncio.to_thread(ensure_installed)
    key = RSAKey.generate_key(2048, parameters={"kid": "test-idp-1", "use": "sig", "alg": "RS256"})
    port = free_port()
    idp = ProviderUnderTest(
        issuer=f"http://{host}:{port}",
        client_id="ombuds-cases",
        client_secret="a-client-secret-of-the-test-provider",
        redirect_uri=redirect_uri,
        key=key,
    )
    config = {
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "redirect_uri": redirect_uri,
        "jwk": key.as_dict(private=True),
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(PROVIDER_DIR / "idp.mjs"),
        str(port),
        host,
        json.dumps(config),
        cwd=PROVIDER_DIR,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), STARTUP_SECONDS)
        if line.strip() != b"ready":
            raise RuntimeError(f"the test OpenID provider did not start: {line!r}")
        yield idp
    finally:
        process.terminate()
        await process.wait()


@dataclass(frozen=True)
class Person:
    """Someone in the provider's directory; `approve_at_provider` puts them there first."""

    subject: str
    email: str | None = None
    email_verified: bool = True

    def claims(self) -> dict[str, Any]:
        if self.email is None:
            return {"sub": self.subject}
        return {"sub": self.subject, "email": self.email, "email_verified": self.email_verified}


_PROMPT = re.compile(r'name="prompt" value="(\w+)"')


async def approve_at_provider(browser: httpx.AsyncClient, url: str, person: Person) -> str:
    """Follow the provider from the authorization URL through its login and consent pages,
    as the browser would; returns the redirect back to the relying party (with the code)."""
    registered = await browser.post("/test/people", json=person.claims())
    assert registered.status_code == 204, registered.text
    location = url
    for _ in range(12):
        response = await browser.get(location)
        if response.status_code in (302, 303):
            location = response.headers["location"]
            if not location.startswith("/") and not location.startswith(str(browser.base_url)):
                return location
            continue
        prompt = _PROMPT.search(response.text)
        if response.status_code != 200 or prompt is None:
            raise AssertionError(f"unexpected page at the provider: {response.text[:500]}")
        form: dict[str, Any] = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            form |= {"login": person.subject, "password": "any"}
        posted = await browser.post(response.url.path, data=form)
        assert posted.status_code in (302, 303), posted.text[:500]
        location = posted.headers["location"]
        if not location.startswith("/") and not location.startswith(str(browser.base_url)):
            return location
    raise AssertionError("the provider never sent the browser back")
