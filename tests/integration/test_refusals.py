"""Every promise of SPEC.md for send, refused with a clear error: the
report is given up (sent = 1, last_error), the others still go out."""
import os

import pytest

from conftest import NOW_ARG


def send_and_check_given_up(box, bad_id, words):
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 65, r.stderr
    rows = box.rows()
    assert rows[bad_id]["sent"] == 1
    assert rows[bad_id]["sent_at"] is None
    for w in words:
        assert w in rows[bad_id]["last_error"]
        assert w in r.stderr
    assert ("report %d" % bad_id) in r.stderr
    return rows


@pytest.fixture
def with_good(ready):
    ready.add_pdf("good.pdf")
    ready.good = ready.add(pdf_path="good.pdf", title="good")
    return ready


def assert_good_sent(box, rows):
    assert rows[box.good]["sent"] == 1
    assert rows[box.good]["last_error"] is None
    names = box.queue()
    assert names == ["r%d.20261123T070000Z" % box.good]


@pytest.mark.parametrize("pdf_path,words", [
    ("../outside.pdf", ["..", "pdf_path"]),
    ("sub/../../outside.pdf", [".."]),
    ("/etc/passwd", ["outside the PDF directory"]),
])
def test_pdf_path_escapes_are_refused(with_good, pdf_path, words):
    with open(os.path.join(with_good.root, "outside.pdf"), "wb") as f:
        f.write(b"%PDF-1.4 outside\n")
    bad = with_good.add(pdf_path=pdf_path)
    rows = send_and_check_given_up(with_good, bad, words)
    assert_good_sent(with_good, rows)


def test_absolute_path_inside_pdf_dir_is_accepted(ready):
    path = ready.add_pdf("in.pdf")
    rid = ready.add(pdf_path=path)
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert ready.rows()[rid]["sent"] == 1 and len(ready.queue()) == 1


def test_symlink_escaping_pdf_dir_is_refused(with_good):
    outside = os.path.join(with_good.root, "outside.pdf")
    with open(outside, "wb") as f:
        f.write(b"%PDF-1.4 secret\n")
    os.symlink(outside, os.path.join(with_good.pdf_dir, "link.pdf"))
    os.symlink(with_good.root, os.path.join(with_good.pdf_dir, "up"))
    bad1 = with_good.add(pdf_path="link.pdf")
    bad2 = with_good.add(pdf_path="up/outside.pdf")
    r = with_good.run("send", "--now", NOW_ARG)
    assert r.returncode == 65
    rows = with_good.rows()
    for bad in (bad1, bad2):
        assert rows[bad]["sent"] == 1
        assert "outside the PDF directory" in rows[bad]["last_error"]
    assert_good_sent(with_good, rows)


def test_symlink_inside_pdf_dir_is_followed(ready):
    ready.add_pdf("real.pdf")
    os.symlink("real.pdf", os.path.join(ready.pdf_dir, "alias.pdf"))
    rid = ready.add(pdf_path="alias.pdf")
    assert ready.run("send", "--now", NOW_ARG).returncode == 0
    assert ready.rows()[rid]["last_error"] is None


def test_file_that_is_not_a_pdf_is_not_attached(with_good):
    with open(os.path.join(with_good.pdf_dir, "fake.pdf"), "wb") as f:
        f.write(b"<html>not a pdf</html>")
    bad = with_good.add(pdf_path="fake.pdf")
    rows = send_and_check_given_up(with_good, bad, ["not a PDF"])
    assert_good_sent(with_good, rows)


def test_pdf_over_the_size_limit_is_refused(with_good):
    with_good.write_conf("[pdf]\nmax_attachment_mb = 1\n")
    with_good.add_pdf("big.pdf", size=1100 * 1024)
    bad = with_good.add(pdf_path="big.pdf")
    rows = send_and_check_given_up(with_good, bad, ["max_attachment_mb"])
    assert_good_sent(with_good, rows)


@pytest.mark.parametrize("column,value,words", [
    ("subject", "Hello\r\nBcc: victim@example.com", ["subject"]),
    ("subject", "Hello\nX-Injected: 1", ["subject"]),
    ("title", "Report\r\nBcc: victim@example.com", ["line break"]),
    ("recipients", "a@example.com\r\nBcc: victim@example.com", ["recipients"]),
    ("recipients", "not-an-address", ["not-an-address"]),
    ("recipients", "a@", ["a@"]),
    ("recipients", "", ["recipients"]),
    ("cc", "Paul <paul@exa mple.com>", ["cc"]),
    ("bcc", "x@example.com, <broken", ["bcc"]),
])
def test_header_injection_and_bad_addresses_are_refused(
        with_good, column, value, words):
    with_good.add_pdf("a.pdf")
    bad = with_good.add(pdf_path="a.pdf", **{column: value})
    rows = send_and_check_given_up(with_good, bad, words)
    assert_good_sent(with_good, rows)
    for name in with_good.queue():
        _, raw, _ = with_good.read_spool(name)
        assert b"victim" not in raw and b"X-Injected" not in raw


def test_missing_pdf_and_no_data_is_given_up(with_good):
    bad = with_good.add(pdf_path="gone.pdf")
    rows = send_and_check_given_up(with_good, bad, ["missing",
                                                    "report_data"])
    assert_good_sent(with_good, rows)


def test_no_pdf_and_no_data_is_given_up(with_good):
    bad = with_good.add(pdf_path=None, report_data=None)
    rows = send_and_check_given_up(with_good, bad, ["no stored PDF"])
    assert_good_sent(with_good, rows)


def test_scheduled_at_that_is_not_a_time_is_given_up(with_good):
    bad = with_good.add(pdf_path="good.pdf", scheduled_at="2026-02-30 yes")
    rows = send_and_check_given_up(with_good, bad, ["not a time"])
    assert_good_sent(with_good, rows)


def test_given_up_report_is_in_run_log(with_good):
    import sqlite3
    bad = with_good.add(pdf_path="gone.pdf")
    with_good.run("send", "--now", NOW_ARG)
    c = sqlite3.connect(os.path.join(with_good.spool, "state.db"))
    log = c.execute("SELECT report_id, outcome, error FROM runlog "
                    "ORDER BY id").fetchall()
    c.close()
    outcomes = {rid: (o, e) for rid, o, e in log}
    assert outcomes[with_good.good][0] == "queued"
    assert outcomes[bad][0] == "given up" and "missing" in outcomes[bad][1]
