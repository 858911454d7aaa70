"""The shared libraries of the dynamic build, and when it maps them: an
idle tick only the C library's (SQLite, inih and zlib are linked from
their archives), libcurl when something is sent (include/curl_dl.h),
libharu with libpng when a fallback PDF is drawn (include/hpdf_dl.h).
The dynamic loader says what it maps (LD_DEBUG=files, on stderr), and
a libharu it cannot load (an empty file of its name first on
LD_LIBRARY_PATH) is a clear error that defers the report.  A static
binary has no loader to ask: these tests skip it."""
import json
import os
import re
import subprocess

import pytest

from conftest import BIN, EMULATOR, NOW_ARG
from smtpfixture import smtp_server  # noqa: F401

DATA = json.dumps({"title": "Ventes", "columns": ["Produit", "Montant"],
                   "rows": [["Café", 12.5]]})


def dynamic():
    if not BIN or EMULATOR:
        return False
    r = subprocess.run(["ldd", BIN], capture_output=True, text=True)
    return r.returncode == 0 and "not a dynamic executable" not in (
        r.stdout + r.stderr)


pytestmark = pytest.mark.skipif(not dynamic(),
                                reason="needs a native dynamic binary")


def mapped(r):
    """The libraries the loader mapped in the run r (LD_DEBUG=files)."""
    return set(re.findall(r"\bfile=(\S+) \[\d+\];  generating link map",
                          r.stderr))


def named(libs, *prefixes):
    return sorted(lib for lib in libs
                  if os.path.basename(lib).startswith(prefixes))


def hpdf_soname():
    """The name the binary gives dlopen() for libharu."""
    with open(BIN, "rb") as f:
        m = re.search(rb"libhpdf[-.][0-9A-Za-z.-]*\.so[0-9.]*", f.read())
    assert m, "%s names no libhpdf to load" % BIN
    return m.group(0).decode()


def test_an_idle_tick_maps_no_library_it_does_not_call(box):
    box.initdb()
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", sent=1)
    box.add(pdf_path=None, report_data=DATA, scheduled_at="2099-01-01 "
            "00:00:00")                                 # not due
    r = box.run("tick", env={"LD_DEBUG": "files"})
    assert r.returncode == 0, r.stderr
    libs = mapped(r)
    assert named(libs, "libc.so"), r.stderr             # the loader spoke
    assert named(libs, "libhpdf", "libpng", "libcurl", "libz.",
                 "libsqlite3", "libinih") == []


def test_send_and_flush_of_a_stored_pdf_do_not_map_libharu(box,
                                                          smtp_server):
    srv = smtp_server()
    box.write_conf("[smtp]\nurl = %s\ntls = none\n" % srv.url)
    box.initdb()
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf")
    r = box.run("send", "--now", NOW_ARG, env={"LD_DEBUG": "files"})
    assert r.returncode == 0, r.stderr
    assert named(mapped(r), "libhpdf", "libpng") == []
    r = box.run("flush", env={"LD_DEBUG": "files"})
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 1
    libs = mapped(r)
    assert named(libs, "libcurl")                       # it sent
    assert named(libs, "libhpdf", "libpng") == []


def test_a_fallback_pdf_maps_libharu_when_it_draws(ready):
    rid = ready.add(pdf_path=None, report_data=DATA)
    out = os.path.join(ready.root, "r.pdf")
    r = ready.run("render", str(rid), "-o", out, env={"LD_DEBUG": "files"})
    assert r.returncode == 0, r.stderr
    assert named(mapped(r), "libhpdf")
    assert named(mapped(r), "libcurl") == []
    with open(out, "rb") as f:
        assert f.read(5) == b"%PDF-"


def test_libharu_that_cannot_be_loaded_defers_the_report(ready, tmp_path):
    soname = hpdf_soname()
    broken = tmp_path / "broken-libs"
    broken.mkdir()
    (broken / soname).write_bytes(b"")          # "file too short"
    env = {"LD_LIBRARY_PATH": str(broken)}
    why = "fallback PDF: cannot load libharu: %s/%s: " % (broken, soname)

    rid = ready.add(pdf_path=None, report_data=DATA)
    out = os.path.join(ready.root, "r.pdf")
    r = ready.run("render", str(rid), "-o", out, env=env)
    assert r.returncode == 73, r.stderr                 # EX_CANTCREAT
    assert why in r.stderr
    assert not os.path.exists(out)
    # --version says so too, instead of a version.
    r = ready.run("--version", env=env)
    assert r.returncode == 0, r.stderr
    assert "libharu not loaded (%s/%s: " % (broken, soname) in r.stdout

    # send defers it, neither given up nor spooled, and goes on.
    ready.add_pdf("a.pdf")
    other = ready.add(pdf_path="a.pdf")
    r = ready.run("send", "--now", NOW_ARG, env=env)
    assert r.returncode == 74, r.stderr                 # EX_IOERR
    assert why in r.stderr
    rows = ready.rows()
    assert rows[rid]["sent"] == 0 and why in rows[rid]["last_error"]
    assert rows[other]["sent"] == 1
    assert len(ready.queue()) == 1 and ready.tmp_files() == []
    # With libharu back, the next run sends it.
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert ready.rows()[rid]["sent"] == 1 and len(ready.queue()) == 2
