"""HTTPS for a non-loopback bind: the configuration refuses a bind off loopback without a
certificate, and with one the engine's HTTP server speaks TLS (and its session cookie is
Secure)."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from callcenter.api.server import ApiServer, private_responses, tls_context
from callcenter.config.models import ApiSettings
from callcenter.errors import EngineControlError


def test_off_loopback_needs_a_certificate() -> None:
    with pytest.raises(ValidationError, match="not loopback"):
        ApiSettings(host="192.0.2.10")
    with pytest.raises(ValidationError, match="go together"):
        ApiSettings(tls_cert="cert.pem")
    ApiSettings(host="192.0.2.10", tls_cert="cert.pem", tls_key="key.pem")
    ApiSettings(host="127.0.0.1")


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


async def test_the_server_speaks_tls(tmp_path: Path, unused_tcp_port: int) -> None:
    cert, key = _certificate(tmp_path)
    seen: list[bool] = []

    async def hello(request: web.Request) -> web.Response:
        seen.append(request.secure)
        response = web.json_response({"ok": True})
        response.set_cookie("cc_session", "x", httponly=True, samesite="Strict",
                            secure=request.secure)
        return response

    app = web.Application(middlewares=[private_responses])
    app.router.add_get("/", hello)
    server = ApiServer(app, "127.0.0.1", unused_tcp_port, tls=(cert, key))
    await server.start()
    try:
        client_context = ssl.create_default_context(cafile=str(cert))
        client_context.check_hostname = False
        async with aiohttp.ClientSession() as http:
            async with http.get(f"https://127.0.0.1:{unused_tcp_port}/",
                                ssl=client_context) as r:
                assert r.status == 200 and "Secure" in r.headers["Set-Cookie"]
                assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
            with pytest.raises(aiohttp.ClientError):  # plain HTTP is not answered
                async with http.get(f"http://127.0.0.1:{unused_tcp_port}/") as r:
                    await r.read()
    finally:
        await server.stop()
    assert seen == [True]


def test_a_missing_certificate_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EngineControlError, match="cannot use the API's certificate"):
        tls_context(tmp_path / "no.pem", tmp_path / "no.key")
