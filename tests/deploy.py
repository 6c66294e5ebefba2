"""The pieces of a real deployment that tests start for themselves: a self-signed certificate,
Redis, and nginx running the site in ``deploy/nginx-parsurvey.conf`` on loopback."""
from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .servers import REPO, _free_port

NGINX_SITE = REPO / "deploy" / "nginx-parsurvey.conf"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 and localhost; returns (certificate, key) files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "parsurvey test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return cert_file, key_file


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class Redis:
    """A throwaway Redis on loopback (Debian's redis-server, which make test installs)."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)], stdout=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Nginx:
    """nginx in the foreground, as root, with the shipped site rewritten for loopback ports.

    The site file is used as a person would copy it: only the listening ports, the certificate,
    the log folder and the app servers are replaced (each must be found, so the file's shape is
    checked too)."""

    def __init__(self, folder: Path, app_ports: list[int], certificate: tuple[Path, Path]):
        self.folder, self.app_ports, self.certificate = folder, app_ports, certificate
        self.https_port, self.http_port = _free_port(), _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def access_log(self) -> Path:
        return self.folder / "parsurvey.access.log"

    def site(self) -> str:
        text = NGINX_SITE.read_text()
        servers = "".join(f"    server 127.0.0.1:{port};\n" for port in self.app_ports)
        for old, new in (
            ("    server 127.0.0.1:8000;\n", servers),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            ("listen 443 ssl;", f"listen 127.0.0.1:{self.https_port} ssl;"),
            ("/etc/ssl/khaosat.pem", str(self.certificate[0])),
            ("/etc/ssl/khaosat.key", str(self.certificate[1])),
            ("/var/log/nginx/", f"{self.folder}/"),
        ):
            assert old in text, f"{old!r} not in {NGINX_SITE.name}"
            text = text.replace(old, new)
        return text

    def start(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "site.conf").write_text(self.site())
        temp = self.folder / "temp"
        temp.mkdir(exist_ok=True)
        (self.folder / "nginx.conf").write_text(f"""
daemon off;
pid {self.folder}/nginx.pid;
error_log {self.folder}/error.log warn;
user root;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.folder}/site.conf;
}}
""")
        check = subprocess.run([nginx, "-t", "-c", str(self.folder / "nginx.conf")], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        with open(self.folder / "stderr.log", "ab") as stderr:
            self.proc = subprocess.Popen([nginx, "-c", str(self.folder / "nginx.conf")], stdout=subprocess.DEVNULL,
                                         stderr=stderr)
        wait_for_port(self.https_port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
