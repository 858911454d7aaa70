"""src/smtp.c against a real SMTP server (smtpserver.py), through the driver
tests/tools/smtp_send.c, found with $SENDREPORTS_SMTP_DRIVER.

Each delivery prints "STATUS CODE TEXT", then "refused RCPT CODE TEXT" per
refused recipient, then "in_doubt" when the final reply never came.
"""

import base64
import email
import email.policy
import os
import socket
import subprocess
import time

import pytest

from smtpfixture import smtp_pki, smtp_server, unused_port  # noqa: F401

DRIVER = os.environ.get("SENDREPORTS_SMTP_DRIVER")
pytestmark = [
    pytest.mark.skipif(not DRIVER, reason="SENDREPORTS_SMTP_DRIVER is not "
                       "set (build tests/tools/smtp_send.c and point it "
                       "there)"),
    pytest.mark.skipif(bool(os.environ.get("SENDREPORTS_EMULATOR")),
                       reason="the driver is built for the host: it would "
                       "not test the foreign build (test_flush does)"),
]

FROM = "rapports@example.com"
TO = "alice@example.com"
TO2 = "bob@example.com"
PASSWORD = "s3cret-Pa55word"


def message(tmp_path, name="m.eml", subject="Ventes"):
    """A complete CRLF message with a dot-leading line and an attachment."""
    body = (
        "From: Rapports <%s>\r\n"
        "To: %s\r\n"
        "Subject: %s\r\n"
        "Message-ID: <%s@sendreports.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
        "\r\n"
        "--XX\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Bonjour,\r\n"
        ".a line that starts with a dot\r\n"
        ".\r\n"
        "..two dots\r\n"
        "--XX\r\n"
        "Content-Type: application/pdf; name=\"r.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK\r\n"
        "--XX--\r\n" % (FROM, TO, subject, name)).encode()
    path = tmp_path / name
    path.write_bytes(body)
    return path, body


def run(srv_or_url, files, *, tls="none", rcpts=(TO,), ca=None, user=None,
        password=None, timeout=None, connect_timeout=None, offset=None,
        probe=False, tmp_path=None, check=True):
    url = srv_or_url if isinstance(srv_or_url, str) else srv_or_url.url
    cmd = [DRIVER, "-u", url, "-t", tls, "-f", FROM]
    for r in rcpts:
        cmd += ["-r", r]
    if ca:
        cmd += ["-a", ca]
    if user:
        pwfile = tmp_path / "password"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        cmd += ["-U", user, "-P", str(pwfile)]
    if timeout:
        cmd += ["-T", str(timeout)]
    if connect_timeout:
        cmd += ["-c", str(connect_timeout)]
    if offset:
        cmd += ["-o", str(offset)]
    if probe:
        cmd.append("-p")
    cmd += [str(f) for f in files]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check:
        assert p.returncode in (0, 1), p.stderr
    assert "ERROR: AddressSanitizer" not in p.stderr, p.stderr
    assert "runtime error" not in p.stderr, p.stderr
    return p.stdout.splitlines(), p


def status(line):
    st, code, _ = (line.split(" ", 2) + [""])[:3]
    return st, int(code)


# --- plain delivery ---------------------------------------------------------

def test_delivery_is_intact(smtp_server, tmp_path):
    srv = smtp_server()
    path, body = message(tmp_path)
    out, _ = run(srv, [path], rcpts=(TO, TO2))
    assert status(out[0]) == ("ok", 250)
    assert "queued as" in out[0]
    [(mail_from, rcpts, data)] = srv.messages()
    assert mail_from == FROM
    assert rcpts == [TO, TO2]
    assert data == body                       # byte for byte, CRLF kept
    msg = email.message_from_bytes(data, policy=email.policy.SMTP)
    assert msg["Subject"] == "Ventes"
    assert msg.is_multipart()
    text = msg.get_payload()[0].get_payload()
    assert ".a line that starts with a dot" in text
    assert "\r\n.\r\n..two dots" in text


def test_offset_skips_the_spool_header(smtp_server, tmp_path):
    srv = smtp_server()
    _, body = message(tmp_path)
    header = b"SENDREPORTS-SPOOL 1\nfrom x\n\n"
    path = tmp_path / "spooled"
    path.write_bytes(header + body)
    out, _ = run(srv, [path], offset=len(header))
    assert status(out[0]) == ("ok", 250)
    assert srv.messages()[0][2] == body


def test_two_messages_one_connection(smtp_server, tmp_path):
    srv = smtp_server()
    p1, b1 = message(tmp_path, "m1.eml", "one")
    p2, b2 = message(tmp_path, "m2.eml", "two")
    out, _ = run(srv, [p1, p2, p1])
    assert [status(l) for l in out] == [("ok", 250)] * 3
    assert [m[2] for m in srv.messages()] == [b1, b2, b1]
    assert srv.connection_count() == 1
    assert len(srv.commands("EHLO")) == 1
    assert len(srv.commands("MAIL")) == 3
    assert len(srv.commands("QUIT")) == 1     # the dialogue ends in step


# --- refusals and faults ----------------------------------------------------

def test_451_on_rcpt_is_tempfail(smtp_server, tmp_path):
    srv = smtp_server(rcpt_reply="451 4.3.0 Try again later")
    path, _ = message(tmp_path)
    out, _ = run(srv, [path])
    assert status(out[0]) == ("tempfail", 451)
    assert srv.messages() == []


def test_451_on_one_rcpt_defers_the_whole_message(smtp_server, tmp_path):
    srv = smtp_server(rcpt_reply="451 4.3.0 Greylisted", rcpt_match=[TO2])
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], rcpts=(TO, TO2))
    assert status(out[0]) == ("tempfail", 451)
    assert out[1].startswith("refused %s 451 " % TO2)
    assert srv.messages() == []
    assert srv.commands("DATA") == []         # aborted before DATA


def test_451_on_data_is_tempfail(smtp_server, tmp_path):
    srv = smtp_server(data_reply="451 4.3.0 Queue full")
    path, _ = message(tmp_path)
    out, _ = run(srv, [path])
    assert status(out[0]) == ("tempfail", 451)
    srv.set_mode(data_cmd_reply="451 4.3.0 Not now")
    out, _ = run(srv, [path])
    assert status(out[0]) == ("tempfail", 451)
    assert srv.messages() == []


def test_550_on_one_rcpt_delivers_to_the_others(smtp_server, tmp_path):
    srv = smtp_server(rcpt_reply="550 5.1.1 No such user", rcpt_match=[TO2])
    path, body = message(tmp_path)
    out, _ = run(srv, [path], rcpts=(TO, TO2))
    assert status(out[0]) == ("ok", 250)
    assert out[1] == "refused %s 550 550 5.1.1 No such user" % TO2
    assert srv.messages() == [(FROM, [TO], body)]


def test_550_on_all_rcpts_is_permfail(smtp_server, tmp_path):
    srv = smtp_server(rcpt_reply="550 5.1.1 No such user")
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], rcpts=(TO, TO2))
    assert status(out[0]) == ("permfail", 550)
    assert sorted(l.split()[1] for l in out[1:]) == [TO, TO2]
    assert srv.messages() == []


def test_5xx_on_mail_and_data_is_permfail(smtp_server, tmp_path):
    srv = smtp_server(mail_reply="553 5.1.8 Sender rejected")
    path, _ = message(tmp_path)
    out, _ = run(srv, [path])
    assert status(out[0]) == ("permfail", 553)
    srv.set_mode(data_reply="554 5.6.0 Message refused")
    out, _ = run(srv, [path])
    assert status(out[0]) == ("permfail", 554)


def test_drop_after_data_is_tempfail_then_reconnects(smtp_server, tmp_path):
    srv = smtp_server(drop_after_data=1)      # only the first message
    p1, _ = message(tmp_path, "m1.eml")
    p2, b2 = message(tmp_path, "m2.eml")
    out, _ = run(srv, [p1, p2])               # one session
    assert status(out[0]) == ("tempfail", 0)  # no reply to the final "."
    assert out[1] == "in_doubt"               # the server may have it
    assert status(out[2]) == ("ok", 250)      # on a fresh connection
    assert [m[2] for m in srv.messages()] == [b2]
    assert srv.connection_count() == 2


def test_a_refusal_in_step_keeps_the_connection(smtp_server, tmp_path):
    # A 451 to MAIL leaves the dialogue in step (every reply matched to
    # its command): RSET ends the transaction and the connection serves
    # the next message.
    srv = smtp_server(mail_reply="451 4.3.0 Later")
    p1, b1 = message(tmp_path, "m1.eml")
    out, _ = run(srv, [p1, p1, p1])
    assert [status(l) for l in out] == [("tempfail", 451)] * 3
    assert srv.connection_count() == 1
    assert len(srv.commands("RSET")) == 3
    assert not srv.commands("RCPT")           # MAIL refused: nothing more
    srv.set_mode()
    out, _ = run(srv, [p1])
    assert status(out[0])[0] == "ok"


def test_slow_reply_past_timeout_is_tempfail(smtp_server, tmp_path):
    srv = smtp_server(delay=4, delay_on=["DATA_END"])
    path, _ = message(tmp_path)
    t0 = time.monotonic()
    out, _ = run(srv, [path], timeout=1)
    assert time.monotonic() - t0 < 4
    assert status(out[0])[0] == "tempfail"
    assert "in_doubt" in out


def test_slow_reply_within_timeout_is_ok(smtp_server, tmp_path):
    srv = smtp_server(delay=1, delay_on=["MAIL", "DATA_END"])
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], timeout=5)
    assert status(out[0]) == ("ok", 250)


def test_nothing_listening_is_unavailable(tmp_path):
    path, _ = message(tmp_path)
    out, _ = run("smtp://127.0.0.1:%d" % unused_port(), [path, path],
                 connect_timeout=5)
    assert [status(l) for l in out] == [("unavailable", 0)] * 2


def test_ehlo_refused_is_unavailable(smtp_server, tmp_path):
    srv = smtp_server(ehlo_reply="554 5.7.1 Go away")
    path, _ = message(tmp_path)
    out, _ = run(srv, [path])
    assert status(out[0])[0] == "unavailable"


def test_invalid_address_is_permfail_without_connecting(smtp_server,
                                                        tmp_path):
    srv = smtp_server()
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], rcpts=("a@b.example>\r\nRSET",))
    assert status(out[0]) == ("permfail", 0)
    assert srv.connection_count() == 0


# --- TLS --------------------------------------------------------------------

def test_starttls_with_test_ca(smtp_server, smtp_pki, tmp_path):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    path, body = message(tmp_path)
    out, _ = run(srv, [path, path], tls="required", ca=smtp_pki.ca)
    assert [status(l) for l in out] == [("ok", 250)] * 2
    assert [m[2] for m in srv.messages()] == [body, body]
    assert all(r["tls"] for r in srv.records())
    assert srv.connection_count() == 1


def test_opportunistic_uses_starttls_when_offered(smtp_server, smtp_pki,
                                                  tmp_path):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], tls="opportunistic", ca=smtp_pki.ca)
    assert status(out[0]) == ("ok", 250)
    assert srv.records()[0]["tls"]


def test_opportunistic_without_starttls_sends_in_clear(smtp_server,
                                                       smtp_pki, tmp_path):
    srv = smtp_server()                       # no STARTTLS, no username
    path, body = message(tmp_path)
    out, _ = run(srv, [path], tls="opportunistic", ca=smtp_pki.ca)
    assert status(out[0]) == ("ok", 250)
    assert not srv.records()[0]["tls"]


def test_unknown_ca_is_config(smtp_server, smtp_pki, tmp_path):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], tls="required", ca=smtp_pki.other_ca)
    assert status(out[0])[0] == "config"
    assert srv.messages() == []
    assert srv.commands("MAIL") == []


def test_missing_ca_file_is_config(smtp_server, smtp_pki, tmp_path):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    path, _ = message(tmp_path)
    out, p = run(srv, [path], tls="required", ca=str(tmp_path / "nope.pem"))
    assert p.returncode == 1
    assert status(out[0])[0] == "config"
    assert "nope.pem" in out[0]
    assert srv.connection_count() == 0


def test_tls_required_without_starttls_is_config(smtp_server, smtp_pki,
                                                 tmp_path):
    srv = smtp_server()                       # no STARTTLS offered
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], tls="required", ca=smtp_pki.ca)
    assert status(out[0])[0] == "config"
    assert srv.commands("MAIL") == []


def test_smtps(smtp_server, smtp_pki, tmp_path):
    srv = smtp_server(tls="implicit", pki=smtp_pki)
    assert srv.url.startswith("smtps://")
    path, body = message(tmp_path)
    out, _ = run(srv, [path, path], tls="required", ca=smtp_pki.ca)
    assert [status(l) for l in out] == [("ok", 250)] * 2
    assert srv.messages()[0][2] == body
    assert srv.records()[0]["tls"]
    assert srv.connection_count() == 1


def test_smtps_unknown_ca_is_config(smtp_server, smtp_pki, tmp_path):
    srv = smtp_server(tls="implicit", pki=smtp_pki)
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], tls="required", ca=smtp_pki.other_ca)
    assert status(out[0])[0] == "config"


# --- the other TLS mode ----------------------------------------------------

def test_smtps_at_a_plain_port_is_config_with_the_fix(smtp_server, smtp_pki,
                                                      tmp_path):
    srv = smtp_server()
    path, _ = message(tmp_path)
    out, _ = run("smtps://127.0.0.1:%d" % srv.port, [path, path],
                 tls="required", ca=smtp_pki.ca)
    assert [status(l) for l in out] == [("config", 0)] * 2
    assert ("the server at 127.0.0.1:%d speaks plain SMTP: use smtp:// "
            "with tls = required (STARTTLS)" % srv.port) in out[0]
    assert srv.messages() == []


@pytest.mark.parametrize("tls", ["required", "opportunistic", "none"])
def test_smtp_at_an_implicit_tls_port_is_config_with_the_fix(
        smtp_server, smtp_pki, tmp_path, tls):
    srv = smtp_server(tls="implicit", pki=smtp_pki)
    path, _ = message(tmp_path)
    t0 = time.monotonic()
    out, _ = run("smtp://127.0.0.1:%d" % srv.port, [path], tls=tls,
                 ca=smtp_pki.ca, timeout=2)
    assert status(out[0]) == ("config", 0)
    assert ("the server at 127.0.0.1:%d expects TLS at once: use smtps://"
            % srv.port) in out[0]
    assert time.monotonic() - t0 < 20
    assert srv.messages() == []


def test_a_silent_port_stays_unavailable(smtp_pki, tmp_path):
    """Neither mode answers: the network's fault, not the configuration's."""
    path, _ = message(tmp_path)
    with socket.socket() as lsn:
        lsn.bind(("127.0.0.1", 0))
        lsn.listen(8)
        port = lsn.getsockname()[1]
        for url in ("smtp://127.0.0.1:%d" % port,
                    "smtps://127.0.0.1:%d" % port):
            out, _ = run(url, [path], tls="required", ca=smtp_pki.ca,
                         timeout=1)
            assert status(out[0]) == ("unavailable", 0), out


def test_probe_names_the_other_mode(smtp_server, smtp_pki, tmp_path):
    srv = smtp_server()
    out, p = run("smtps://127.0.0.1:%d" % srv.port, [], tls="required",
                 ca=smtp_pki.ca, probe=True)
    assert status(out[0]) == ("config", 0)
    assert "speaks plain SMTP" in out[0]


# --- AUTH -------------------------------------------------------------------

def auth_server(smtp_server, smtp_pki):
    return smtp_server(tls="starttls", pki=smtp_pki, auth_user="rapports",
                       auth_password=PASSWORD, auth_required=True)


def test_auth_over_starttls(smtp_server, smtp_pki, tmp_path):
    srv = auth_server(smtp_server, smtp_pki)
    path, _ = message(tmp_path)
    out, _ = run(srv, [path, path], tls="required", ca=smtp_pki.ca,
                 user="rapports", password=PASSWORD, tmp_path=tmp_path)
    assert [status(l) for l in out] == [("ok", 250)] * 2
    assert [r["auth_user"] for r in srv.records()] == ["rapports"] * 2
    auth = srv.commands("AUTH")
    assert len(auth) == 1 and " TLS AUTH " in auth[0]   # one login per run
    assert PASSWORD not in srv.log_text()


def test_wrong_password_is_config(smtp_server, smtp_pki, tmp_path):
    srv = auth_server(smtp_server, smtp_pki)
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], tls="required", ca=smtp_pki.ca,
                 user="rapports", password="wrong", tmp_path=tmp_path)
    assert status(out[0])[0] == "config"
    assert status(out[0])[1] == 535
    assert srv.messages() == []


def test_no_credentials_but_server_wants_auth_is_config(smtp_server,
                                                        smtp_pki, tmp_path):
    srv = auth_server(smtp_server, smtp_pki)
    path, _ = message(tmp_path)
    out, _ = run(srv, [path], tls="required", ca=smtp_pki.ca)
    assert status(out[0]) == ("config", 530)


@pytest.mark.parametrize("tls", ["none", "opportunistic"])
def test_username_without_required_tls_is_refused(smtp_server, smtp_pki,
                                                  tmp_path, tls):
    srv = smtp_server(tls="starttls", pki=smtp_pki, auth_user="rapports",
                      auth_password=PASSWORD)
    path, _ = message(tmp_path)
    out, p = run(srv, [path], tls=tls, ca=smtp_pki.ca, user="rapports",
                 password=PASSWORD, tmp_path=tmp_path)
    assert p.returncode == 1
    assert status(out[0])[0] == "config"
    # Refused before connecting: the password never reached the server.
    assert srv.connection_count() == 0
    assert srv.commands("AUTH") == []
    assert PASSWORD not in srv.log_text()
    assert PASSWORD not in p.stdout + p.stderr


def test_verbose_never_shows_the_password(smtp_server, smtp_pki, tmp_path):
    srv = auth_server(smtp_server, smtp_pki)
    path, _ = message(tmp_path)
    pwfile = tmp_path / "pw"
    pwfile.write_text(PASSWORD + "\n")
    p = subprocess.run([DRIVER, "-v", "-u", srv.url, "-t", "required",
                        "-a", smtp_pki.ca, "-U", "rapports", "-P",
                        str(pwfile), "-f", FROM, "-r", TO, str(path)],
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.startswith("ok 250"), p.stdout + p.stderr
    assert "smtp: > MAIL FROM" in p.stderr     # the dialogue is there
    secrets = [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(),
               base64.b64encode(b"\0rapports\0" + PASSWORD.encode())
               .decode()]
    for s in secrets:
        assert s not in p.stderr


# --- probe ------------------------------------------------------------------

def test_probe_reports_what_the_server_offers(smtp_server, smtp_pki,
                                              tmp_path):
    srv = auth_server(smtp_server, smtp_pki)
    out, _ = run(srv, [], tls="required", ca=smtp_pki.ca, user="rapports",
                 password=PASSWORD, tmp_path=tmp_path, probe=True)
    assert status(out[0])[0] == "ok", out
    assert "starttls_offered 1" in out
    assert "tls 1" in out
    assert "authenticated 1" in out
    caps = [l[4:] for l in out if l.startswith("cap ")]
    assert any(c.startswith("AUTH") and "PLAIN" in c for c in caps)
    assert any(l.startswith("greeting 220") for l in out)
    assert srv.commands("MAIL") == []


def test_probe_unreachable(tmp_path):
    out, _ = run("smtp://127.0.0.1:%d" % unused_port(), [], probe=True,
                 connect_timeout=5)
    assert status(out[0]) == ("unavailable", 0)
