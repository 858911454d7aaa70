"""The README's first commands on a machine that has nothing yet: the
build reads its libraries' flags only after `deps` has installed them, and
`make demo` shows the whole job, delivery included, without colour codes
in a pipe.  These run make itself, in a build directory of their own."""
import os
import stat
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def make_env():
    """The environment of a make started by hand: none of the variables of
    the make that may be running this test (make check)."""
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
              "SANITIZE", "DEVELOPER", "BUILD"):
        env.pop(k, None)
    return env


def make(*args, timeout=600):
    return subprocess.run(["make", "--no-print-directory", "-j2"] +
                          list(args), cwd=TOP, capture_output=True,
                          text=True, timeout=timeout, env=make_env())


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A pkg-config that knows no package until the deps step has run,
    as on a machine where the -dev packages are not installed yet."""
    d = tmp_path_factory.mktemp("bare")
    marker = d / "deps-ran"
    fake = d / "pkg-config"
    fake.write_text("#!/bin/sh\n[ -e %s ] || exit 1\nexec pkg-config \"$@\"\n"
                    % marker)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return {"dir": d, "marker": marker, "pkg_config": str(fake),
            "build": str(d / "build")}


def test_build_reads_library_flags_after_deps(bare):
    r = make("BUILD=" + bare["build"], "PKG_CONFIG=" + bare["pkg_config"],
             "DEPS=touch " + str(bare["marker"]), "CFLAGS=-O0",
             bare["build"] + "/sendreports")
    assert r.returncode == 0, r.stdout + r.stderr
    assert bare["marker"].exists()
    v = subprocess.run([bare["build"] + "/sendreports", "--version"],
                       capture_output=True, text=True)
    assert v.returncode == 0 and "libcurl" in v.stdout


def test_build_without_libraries_names_them(tmp_path):
    """No deps step and a pkg-config that knows nothing: the build stops
    before compiling, naming the libraries and what to run."""
    fake = tmp_path / "pkg-config"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    build = str(tmp_path / "build")
    r = make("BUILD=" + build, "PKG_CONFIG=" + str(fake), "DEPS=",
             build + "/sendreports")
    assert r.returncode != 0
    assert "does not know: sqlite3 libcurl inih zlib" in r.stderr
    assert "make deps" in r.stderr
    assert not os.path.exists(os.path.join(build, "send.o"))


def test_demo_delivers_and_prints_no_colour(bare):
    """make demo in a pipe: the reports are spooled, flushed to the demo's
    own server and shown as received; no ANSI codes."""
    r = make("BUILD=" + bare["build"], "demo", timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "\033[" not in out
    assert "2 delivered" in out
    assert "to:      <zoe@example.com>, <ops@example.com>" in out
    assert "attached Ventes — Lyon.pdf (application/pdf," in out
    demo = os.path.join(bare["build"], "demo")
    received = sorted(f for f in os.listdir(os.path.join(demo, "received"))
                      if f.endswith(".eml"))
    assert received == ["001.eml", "002.eml"]
    # Delivered: the queue is empty, and the sink is stopped (by its PID).
    assert os.listdir(os.path.join(demo, "spool", "queue")) == []
    port = open(os.path.join(demo, "received", "port")).read().strip()
    ss = subprocess.run(["sh", "-c", "cat /proc/net/tcp /proc/net/tcp6"],
                        capture_output=True, text=True).stdout
    assert (":%04X " % int(port)) + "00000000:0000 0A" not in ss
