"""How a relay is known: [smtp] pin_sha256 (a certificate no CA of the box
signed, accepted by its public key, and only by it), and an address in its
certificate when the URL names it by address."""
import base64
import hashlib
import subprocess

from conftest import NOW_ARG
from smtpfixture import smtp_pki, smtp_server  # noqa: F401


def pin_of(cert):
    der = subprocess.run(
        "openssl x509 -pubkey -noout -in %s | openssl pkey -pubin "
        "-outform der" % cert, shell=True, capture_output=True,
        check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def queued(box, srv, extra):
    url = srv.url.replace("127.0.0.1", "localhost")
    box.write_conf("[smtp]\nurl = %s\ntls = required\ntimeout = 3\n%s"
                   % (url, extra))
    box.spool_due(1)


def test_the_relays_key_is_its_identity(box, smtp_server, smtp_pki):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    # Its CA is not the box's: refused, as always.
    queued(box, srv, "")
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 78, r.stderr
    assert srv.messages() == []
    # Pinned, with another pin beside it (a key to come): delivered.
    other = pin_of(smtp_pki.other_ca)
    box.write_conf("[smtp]\nurl = %s\ntls = required\ntimeout = 3\n"
                   "pin_sha256 = %s;%s\n" % (
                       srv.url.replace("127.0.0.1", "localhost"), other,
                       pin_of(smtp_pki.cert)))
    r = box.run("flush", "--now", NOW_ARG, "--force")
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 1


def test_another_key_is_refused(box, smtp_server, smtp_pki):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    queued(box, srv, "pin_sha256 = %s\n" % pin_of(smtp_pki.other_ca))
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 78, r.stderr
    assert srv.messages() == []


def test_a_pin_needs_tls_and_the_right_form(box):
    box.write_conf("[smtp]\nurl = smtp://127.0.0.1:25\ntls = none\n"
                   "pin_sha256 = %s\n" % ("A" * 43 + "="))
    r = box.run("flush")
    assert r.returncode == 78 and "needs TLS" in r.stderr
    box.write_conf("[smtp]\nurl = smtp://127.0.0.1:25\ntls = required\n"
                   "pin_sha256 = sha256//abc\n")
    r = box.run("flush")
    assert r.returncode == 78 and "not base64 SHA-256" in r.stderr


def test_a_relay_named_by_its_address_is_verified_by_it(box, smtp_server,
                                                        smtp_pki):
    """smtps://127.0.0.1 with 127.0.0.1 in the certificate's
    subjectAltName: accepted by every build (mbedTLS 2.28 checked DNS
    names only; cross/patches/mbedtls-ip-san.patch)."""
    srv = smtp_server(tls="implicit", pki=smtp_pki)
    assert "127.0.0.1" in srv.url
    box.write_conf("[smtp]\nurl = %s\ntls = required\ntimeout = 3\n"
                   "ca_file = %s\n" % (srv.url, smtp_pki.ca))
    box.spool_due(1)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 1
