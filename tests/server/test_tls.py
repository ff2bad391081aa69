"""HTTPS with a given certificate: the console answers, cookies are Secure, HSTS is sent."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.server import PASSWORD, ServerProcess, csrf_of


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        ), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return cert_path, key_path


def test_https_with_a_given_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server = ServerProcess(
        tmp_path / "s", scheme="https",
        extra_env={"COUPDEMAIN_TLS_CERT": str(cert), "COUPDEMAIN_TLS_KEY": str(key)},
    )
    server.create_user("alice", "Alice Martin", "Entraide")
    try:
        server.start()
        trust = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=server.url, verify=trust) as client:
            page = client.get("/login")
            assert page.headers["strict-transport-security"] == "max-age=31536000"
            response = client.post("/login", data={
                "username": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text),
            })
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert "cdm_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    finally:
        server.stop()
