"""A real LDAP server for the tests: Debian's ``slapd`` (``install-system-deps.sh --test``).

Started in a temporary folder on a free loopback port with an ``mdb`` database, StartTLS
with a certificate made for the run (its CA file is :attr:`LdapServer.ca_file`), and a tree
of people (``ou=people``) and groups (``ou=groups``, ``groupOfNames``). The test tree is
loaded with ``slapadd`` before the server starts; tests add or change entries through the
admin connection (:meth:`LdapServer.admin`).
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.infra.ports import free_port, wait_for_port

BASE_DN = "dc=akte,dc=test"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "admin-secret-0123"
SLAPD_CANDIDATES = ("slapd", "/usr/sbin/slapd")


@dataclass
class LdapServer:
    url: str
    port: int
    ca_file: Path
    workdir: Path
    command: list[str]
    process: subprocess.Popen | None = None

    def start(self) -> None:
        log = (self.workdir / "slapd.log").open("ab")
        self.process = subprocess.Popen(
            self.command, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir
        )
        if not wait_for_port(self.port, 30):
            raise RuntimeError(f"slapd did not start; see {self.workdir / 'slapd.log'}")

    def stop(self) -> None:
        """Stop the server (the "directory is down" tests); :meth:`start` brings it back."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None

    def admin(self):
        """An ldap3 connection bound as the directory's administrator."""
        import ldap3

        conn = ldap3.Connection(ldap3.Server(self.url), user=ADMIN_DN, password=ADMIN_PASSWORD)
        conn.bind()
        return conn

    def add_person(self, uid: str, password: str, groups: tuple[str, ...] = ()) -> str:
        """A person ``uid=…,ou=people`` who is a member of ``groups`` (made when missing)."""
        dn = f"uid={uid},ou=people,{BASE_DN}"
        conn = self.admin()
        try:
            conn.add(
                dn, ["inetOrgPerson"], {"cn": f"Person {uid}", "sn": uid, "userPassword": password}
            )
            for group in groups:
                self.add_member(group, dn, conn)
        finally:
            conn.unbind()
        return dn

    def add_member(self, group: str, member_dn: str, conn=None) -> None:
        import ldap3

        own = conn is None
        conn = conn or self.admin()
        try:
            group_dn = f"cn={group},ou=groups,{BASE_DN}"
            if not conn.add(group_dn, ["groupOfNames"], {"cn": group, "member": member_dn}):
                conn.modify(group_dn, {"member": [(ldap3.MODIFY_ADD, [member_dn])]})
        finally:
            if own:
                conn.unbind()


def _certificate(workdir: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 (StartTLS with verification)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(subject: str, key, issuer_name, issuer_key, ca: bool):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(
                issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
            )
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
        return builder.sign(issuer_key or key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = build("akte test CA", ca_key, None, None, True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = build("127.0.0.1", key, ca_cert.subject, ca_key, False)
    pem = serialization.Encoding.PEM
    paths = workdir / "ca.pem", workdir / "server.pem", workdir / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


SEED = f"""dn: {BASE_DN}
objectClass: dcObject
objectClass: organization
dc: akte
o: akte test

dn: ou=people,{BASE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{BASE_DN}
objectClass: organizationalUnit
ou: groups
"""


def _slapd() -> str:
    for candidate in SLAPD_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise RuntimeError("slapd not found: ./scripts/install-system-deps.sh --test installs it")


@contextmanager
def ldap_server() -> Iterator[LdapServer]:
    slapd = _slapd()
    workdir = Path(tempfile.mkdtemp(prefix="akte-ldap-"))
    (workdir / "db").mkdir()
    ca, cert, key = _certificate(workdir)
    admin_hash = subprocess.run(
        ["slappasswd", "-s", ADMIN_PASSWORD], check=True, capture_output=True, text=True
    ).stdout.strip()
    conf = workdir / "slapd.conf"
    conf.write_text(f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {workdir}/slapd.pid
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by users read by * none
database mdb
maxsize 104857600
suffix "{BASE_DN}"
rootdn "{ADMIN_DN}"
rootpw {admin_hash}
directory {workdir}/db
""")
    subprocess.run(
        [shutil.which("slapadd") or "/usr/sbin/slapadd", "-f", str(conf)],
        input=SEED,
        text=True,
        check=True,
        capture_output=True,
    )
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    command = [slapd, "-d", "0", "-f", str(conf), "-h", url]
    server = LdapServer(url, port, ca, workdir, command)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
