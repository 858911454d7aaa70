"""pytest fixtures around smtpserver.py: a real SMTP server per test, and a
throw-away PKI made with the openssl command-line tool.

    from smtpfixture import smtp_server, smtp_pki   # in conftest.py

    def test_x(smtp_server, smtp_pki):
        srv = smtp_server()                          # plain SMTP, accepts
        srv = smtp_server(rcpt_reply="451 4.3.0 later")   # a fault mode
        srv = smtp_server(tls="starttls", pki=smtp_pki,
                          auth_user="u", auth_password="p")
        srv = smtp_server(tls="implicit", pki=smtp_pki)   # smtps
        srv.url, srv.host, srv.port
        srv.messages()     # [(mail_from, [rcpts], raw bytes)], oldest first
        srv.connections()  # connections.log lines; srv.connection_count()
        srv.commands("MAIL")   # the logged lines of one command verb
        srv.pipelined()    # ["yes"|"no"] per MAIL, with pipelining=True
        srv.early()        # "<n> EARLY <COMMAND> <bytes>" lines
        srv.ahead()        # ["yes"|"no"] per final "." received, with
                           # pipelining=True: the next envelope came along
        srv.bodies()       # [(conn, bytes)] per final "." received
        srv.set_mode(drop_after_data=True)   # replaces the whole mode
        srv.stop()         # also done at teardown

Every server is stopped by its own PID (SIGTERM, then SIGKILL), never by
name.  Servers listen on 127.0.0.1 only.  start_smtp_server(directory, ...)
does the same without pytest, for other fixtures.
"""

import base64
import json
import os
import signal
import socket
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "smtpserver.py")
PYTHON = "/usr/bin/python3"
HOST = "127.0.0.1"
START_TIMEOUT = 15.0


def _write_atomic(path, data, mode=0o600):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def unused_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Pki:
    """Paths of a test CA, a server certificate it signed for 127.0.0.1,
    ::1 and localhost, and a second CA that signed nothing we serve."""

    def __init__(self, directory):
        self.dir = os.path.abspath(str(directory))
        p = lambda name: os.path.join(self.dir, name)  # noqa: E731
        self.ca, self.ca_key = p("ca.pem"), p("ca.key")
        self.cert, self.key = p("server.pem"), p("server.key")
        self.other_ca, self.other_ca_key = p("other-ca.pem"), p("other-ca.key")


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _make_ca(cwd, key, cert, cn):
    _openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
             "-out", cert, "-days", "3", "-subj", "/CN=" + cn,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=cwd)


def make_pki(directory):
    """Makes the files of Pki in directory (which must exist)."""
    pki = Pki(directory)
    d = pki.dir
    _make_ca(d, pki.ca_key, pki.ca, "sendreports test CA")
    _make_ca(d, pki.other_ca_key, pki.other_ca, "sendreports unknown CA")
    csr = os.path.join(d, "server.csr")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", pki.key,
             "-out", csr, "-subj", "/CN=localhost", cwd=d)
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n")
    _openssl("x509", "-req", "-in", csr, "-CA", pki.ca, "-CAkey", pki.ca_key,
             "-set_serial", "0x%x" % int.from_bytes(os.urandom(8), "big"),
             "-days", "3", "-out", pki.cert, "-extfile", ext, cwd=d)
    return pki


class SmtpServer:
    host = HOST

    def __init__(self, directory, tls=None, pki=None, auth_user=None,
                 auth_password=None, auth_required=False, tls_min=None,
                 **mode):
        if tls not in (None, "starttls", "implicit"):
            raise ValueError("tls: None, 'starttls' or 'implicit'")
        self.dir = os.path.abspath(str(directory))
        os.makedirs(self.dir, exist_ok=True)
        self.tls = tls
        self.pki = pki
        if tls is not None and pki is None:
            os.makedirs(os.path.join(self.dir, "pki"), exist_ok=True)
            self.pki = make_pki(os.path.join(self.dir, "pki"))
        self.auth_user = auth_user
        self.auth_password = auth_password
        self.auth_required = auth_required
        self.tls_min = tls_min
        self.proc = None
        self.port = None
        self.set_mode(**mode)

    @property
    def url(self):
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        return "%s://%s:%d" % (scheme, self.host, self.port)

    def start(self):
        cmd = [PYTHON, SERVER, "--dir", self.dir, "--host", self.host]
        if self.tls is not None:
            cmd += ["--cert", self.pki.cert, "--key", self.pki.key]
            if self.tls == "implicit":
                cmd.append("--implicit-tls")
            if self.tls_min:
                cmd += ["--tls-min", self.tls_min]
        if self.auth_user is not None:
            pw = os.path.join(self.dir, "auth-password")
            _write_atomic(pw, (self.auth_password or "").encode() + b"\n")
            cmd += ["--auth-user", self.auth_user,
                    "--auth-password-file", pw]
            if self.auth_required:
                cmd.append("--auth-required")
        portfile = os.path.join(self.dir, "port")
        if os.path.exists(portfile):
            os.unlink(portfile)
        self.stderr = open(os.path.join(self.dir, "server.stderr"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.stderr, stderr=self.stderr)
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(portfile):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                with open(os.path.join(self.dir, "server.stderr")) as f:
                    raise RuntimeError("smtpserver.py did not start:\n"
                                       + f.read())
            time.sleep(0.02)
        with open(portfile) as f:
            self.port = int(f.read())
        return self

    def stop(self):
        """Stops the server by its PID; safe twice."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self.stderr.close()

    def set_mode(self, **mode):
        """Replaces the fault switches (see smtpserver.py); read by the
        server before every command."""
        _write_atomic(os.path.join(self.dir, "mode.json"),
                      json.dumps(mode).encode())

    def records(self):
        d = os.path.join(self.dir, "messages")
        if not os.path.isdir(d):
            return []
        out = []
        for name in sorted(os.listdir(d)):
            if name.endswith(".json"):
                with open(os.path.join(d, name)) as f:
                    out.append(json.load(f))
        return out

    def messages(self):
        """[(mail_from, rcpts, raw bytes)] in the order received."""
        return [(r["mail_from"], r["rcpts"], base64.b64decode(r["data"]))
                for r in self.records()]

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "connections.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def connections(self):
        """The lines of connections.log."""
        return self.log_text().splitlines()

    def connection_count(self):
        return sum(1 for l in self.connections() if " CONNECT " in l)

    def commands(self, verb):
        """The logged lines for one command verb, e.g. "AUTH"."""
        return [l for l in self.connections()
                if len(l.split(" ")) > 2 and l.split(" ")[2] == verb
                and l.split(" ")[1] in ("PLAIN", "TLS")]

    def _pipelined_lines(self):
        return [l.split(" ") for l in self.connections()
                if l.split(" ")[1:2] == ["PIPELINED"]]

    def pipelined(self):
        """Per MAIL, with PIPELINING offered: "yes" when the client had
        sent DATA along with it, without waiting for a reply, else "no"."""
        return [f[2] for f in self._pipelined_lines()]

    def lines_behind_mail(self):
        """Per MAIL, with PIPELINING offered: the command lines the client
        had sent after MAIL by the time it was answered."""
        return [int(f[3]) for f in self._pipelined_lines()]

    def _ahead_lines(self):
        return [l.split(" ") for l in self.connections()
                if l.split(" ")[1:2] == ["AHEAD"]]

    def ahead(self):
        """Per final "." received, with PIPELINING offered (before any
        delay, drop or reply): "yes" when the next message's MAIL had
        already come behind the ".", without waiting for its reply
        (RFC 2920 3.1), else "no"."""
        return [f[2] for f in self._ahead_lines()]

    def lines_ahead(self):
        """Per final "." received, with PIPELINING offered: the command
        lines the client had sent behind the "." by then."""
        return [int(f[3]) for f in self._ahead_lines()]

    def bodies(self):
        """[(connection number, bytes)] per final "." the server received,
        whatever it then did (a DATA answered 354 without one: the client
        closed the connection inside the data)."""
        return [(int(f[0]), int(f[2])) for f in
                (l.split(" ") for l in self.connections())
                if f[1:2] == ["BODY"]]

    def early(self):
        """The "<n> EARLY <COMMAND> <bytes>" lines: the client sent more
        before a reply it had to wait for (see smtpserver.py)."""
        return [l for l in self.connections()
                if l.split(" ")[1:2] == ["EARLY"]]


def start_smtp_server(directory, **kwargs):
    """Starts a server whose files live in directory.  kwargs: tls, pki,
    auth_user, auth_password, auth_required, tls_min ("1.2", "1.3"), and
    mode keys."""
    return SmtpServer(directory, **kwargs).start()


@pytest.fixture
def smtp_server(tmp_path):
    """A factory: smtp_server(**kwargs) starts one more server (see
    start_smtp_server); all are stopped at teardown."""
    servers = []

    def factory(**kwargs):
        d = tmp_path / ("smtpd%d" % len(servers))
        srv = SmtpServer(str(d), **kwargs)
        servers.append(srv)
        return srv.start()

    yield factory
    for srv in servers:
        srv.stop()


@pytest.fixture(scope="session")
def smtp_pki(tmp_path_factory):
    """One test PKI for the whole session (see Pki)."""
    return make_pki(tmp_path_factory.mktemp("pki"))
