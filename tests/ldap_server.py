"""A real, throwaway OpenLDAP server for the test suite.

`SlapdServer` runs Debian's `slapd` from a temporary `slapd.conf` on two free
loopback ports (LDAP with StartTLS, and LDAPS), with a throwaway CA made by the
`openssl` CLI, and loads `tests/ldap/directory.ldif` over the protocol with
`ldapadd`, so that the memberof and refint overlays run. See
/work/shared/ldap-test-server.md and TRUST.md section 1.

    with SlapdServer() as slapd:
        conn = slapd.admin_connection()
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import ldap3
from ldap3.core.exceptions import LDAPException

LDAP_DIR = Path(__file__).resolve().parent / "ldap"
SYSTEM_SCHEMA = Path("/etc/ldap/schema")
SLAPD = "/usr/sbin/slapd"
SLAPTEST = "/usr/sbin/slaptest"
START_TIMEOUT = 10.0

OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = Ting test
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

SLAPD_CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {schema}/nis.schema
include {ad_schema}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload refint
pidfile {tmp}/slapd.pid
TLSCACertificateFile {tmp}/ca.pem
TLSCertificateFile {tmp}/server.pem
TLSCertificateKeyFile {tmp}/server.key
database mdb
maxsize 104857600
suffix "{base_dn}"
rootdn "{admin_dn}"
rootpw {admin_password}
directory {tmp}/data
index objectClass,uid,cn,mail,member eq
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by users read
  by * none
overlay memberof
overlay refint
refint_attributes member
"""


def _free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str, cwd: Path | None = None) -> None:
    """Run a command; on failure raise with its output."""
    env = {**os.environ, "LDAPNOINIT": "1"}  # ignore ~/.ldaprc and /etc/ldap/ldap.conf
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def _check_tools() -> None:
    """Fail clearly when OpenLDAP's server or client tools are not installed."""
    missing = [tool for tool in (SLAPD, SLAPTEST) if not os.access(tool, os.X_OK)]
    missing += [tool for tool in ("ldapadd", "openssl") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(
            f"Missing {', '.join(missing)}: the LDAP tests need a real OpenLDAP. "
            "Run `make test`, which installs slapd and ldap-utils."
        )


class SlapdServer:
    """A slapd child process with the test directory loaded; `start()`/`stop()` or `with`."""

    base_dn = "dc=example,dc=com"
    admin_dn = "cn=admin,dc=example,dc=com"
    admin_password = "adminpw"
    service_dn = "cn=svc-ting,ou=services,dc=example,dc=com"
    service_password = "svc-pw"

    def __init__(self, ldif: Path = LDAP_DIR / "directory.ldif") -> None:
        self.ldif = ldif
        self.tmp: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.ldap_url = ""
        self.ldaps_url = ""
        self.ca_file = ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def log_file(self) -> Path:
        """slapd's stdout and stderr."""
        assert self.tmp is not None, "server not started"
        return self.tmp / "slapd.log"

    def start(self) -> None:
        """Make the certificates and config, start slapd, wait for it, load the LDIF."""
        _check_tools()
        self.tmp = Path(tempfile.mkdtemp(prefix="ting-slapd-"))
        try:
            self._make_certificates()
            conf = self._write_config()
            _run(SLAPTEST, "-Q", "-u", "-f", str(conf))
            for attempt in range(3):  # a "free" port may be taken before slapd binds it
                self._launch(conf)
                try:
                    self._wait_until_ready()
                    break
                except RuntimeError:
                    if attempt == 2 or "errno=98" not in self.log_file.read_text(errors="replace"):
                        raise
                    self._terminate()
            _run(
                "ldapadd", "-x", "-H", self.ldap_url, "-D", self.admin_dn,
                "-w", self.admin_password, "-f", str(self.ldif),
            )  # fmt: skip
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate slapd and remove the temporary directory (safe to call twice)."""
        self._terminate()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def admin_connection(self) -> ldap3.Connection:
        """A connection bound as the rootdn, to add, move or modify entries in tests."""
        server = ldap3.Server(self.ldap_url, connect_timeout=5)
        return ldap3.Connection(
            server,
            self.admin_dn,
            self.admin_password,
            auto_bind=ldap3.AUTO_BIND_NO_TLS,
            receive_timeout=5,
        )

    def _launch(self, conf: Path) -> None:
        """Start slapd in the foreground on two free loopback ports, logging to `log_file`."""
        self.ldap_url = f"ldap://127.0.0.1:{_free_port()}"
        self.ldaps_url = f"ldaps://127.0.0.1:{_free_port()}"
        # -d none: stay in the foreground, and print startup errors (-d 0 prints nothing).
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [SLAPD, "-f", str(conf), "-h", f"{self.ldap_url}/ {self.ldaps_url}/", "-d", "none"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _terminate(self) -> None:
        """Stop the slapd process, if any."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _make_certificates(self) -> None:
        """A throwaway CA and a server certificate for 127.0.0.1 and localhost, signed by it."""
        assert self.tmp is not None
        (self.tmp / "openssl.cnf").write_text(OPENSSL_CNF)
        key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
        key += ("-config", "openssl.cnf")
        _run("openssl", "req", "-x509", *key, "-extensions", "ca", "-days", "2",
             "-subj", "/CN=Ting test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=self.tmp)  # fmt: skip
        _run("openssl", "req", "-new", *key, "-subj", "/CN=localhost",
             "-keyout", "server.key", "-out", "server.csr", cwd=self.tmp)  # fmt: skip
        _run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-set_serial", "2", "-days", "2", "-extfile", "openssl.cnf", "-extensions", "server",
             "-out", "server.pem", cwd=self.tmp)  # fmt: skip
        self.ca_file = str(self.tmp / "ca.pem")

    def _write_config(self) -> Path:
        """Write slapd.conf (and the empty database directory) into the temp dir."""
        assert self.tmp is not None
        (self.tmp / "data").mkdir()
        conf = self.tmp / "slapd.conf"
        conf.write_text(
            SLAPD_CONF.format(
                schema=SYSTEM_SCHEMA,
                ad_schema=LDAP_DIR / "ad-like.schema",
                tmp=self.tmp,
                base_dn=self.base_dn,
                admin_dn=self.admin_dn,
                admin_password=self.admin_password,
            )
        )
        return conf

    def _wait_until_ready(self) -> None:
        """Poll until an anonymous bind answers; raise with slapd's log if it does not.

        The port is probed with a plain socket first: ldap3 leaks its socket
        (a ResourceWarning) when the connection is refused.
        """
        assert self.process is not None
        port = int(self.ldap_url.rsplit(":", 1)[1])
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                time.sleep(0.02)
                continue
            conn = ldap3.Connection(ldap3.Server(self.ldap_url, connect_timeout=1), receive_timeout=1)
            try:
                if conn.bind():
                    return
            except LDAPException:
                pass
            finally:
                conn.unbind()
            time.sleep(0.02)
        state = "exited" if self.process.poll() is not None else "did not answer"
        log = self.log_file.read_text(errors="replace")
        raise RuntimeError(f"slapd {state} ({self.ldap_url}); its log:\n{log}")
