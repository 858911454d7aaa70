"""make install into a throw-away root (DESTDIR): the stripped binary, the
state directories, the manual pages, the init files that fit the host; the
systemd units checked by systemd-analyze (verify, and security --offline,
whose exposure must stay at most 2.5); and the libraries of the static
build, which must land in their prefix whatever DESTDIR make
install-busybox was given."""
import os
import re
import shutil
import stat
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
UNITS = ["sendreports.service", "sendreports-tick.service",
         "sendreports-tick.timer"]
SERVICES = UNITS[:2]
MAN_PAGES = ["man8/sendreports.8", "man5/sendreports.ini.5"]
ANALYZE = shutil.which("systemd-analyze")
MAX_EXPOSURE = 2.5


def clean_env(**extra):
    """Our environment without what a calling make passes down (make
    check's BUILD=build/check, SANITIZE=...) or what would choose for us."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
                        "DESTDIR", "INIT", "STRIP", "BUILD", "SANITIZE",
                        "DEVELOPER", "PREFIX")}
    env.update(extra)
    return env


def make(*args, cwd=TOP, env=None):
    return subprocess.run(["make", "--no-print-directory"] + list(args),
                          cwd=cwd, env=env or clean_env(),
                          capture_output=True, text=True, timeout=600)


def install(root, *args, target="install"):
    r = make(target, "DESTDIR=%s" % root, *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def host_root(root):
    """What systemd-analyze verify --root needs of a Debian host besides
    our files: the system's units (targets) and /bin/kill."""
    os.makedirs(os.path.join(root, "usr/lib/systemd"), exist_ok=True)
    shutil.copytree("/usr/lib/systemd/system",
                    os.path.join(root, "usr/lib/systemd/system"),
                    symlinks=True, dirs_exist_ok=True)
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy(shutil.which("kill") or "/bin/kill",
                os.path.join(root, "bin/kill"))


def exposure(*args):
    """systemd-analyze security's overall exposure (0-10) of a unit."""
    r = subprocess.run([ANALYZE, "security", "--offline=yes"] + list(args),
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
    assert m, r.stdout + r.stderr
    return float(m.group(1))


def test_install_strips_makes_the_state_directories_and_the_units(tmp_path):
    root = tmp_path / "root"
    r = install(root, "INIT=systemd")
    # Not the real root: no user is created, and the reason is given.
    assert "DESTDIR is set: not creating the sendreports user" in r.stdout
    binary = root / "usr/local/bin/sendreports"
    desc = subprocess.run(["file", "-b", str(binary)], capture_output=True,
                          text=True).stdout
    assert "ELF" in desc and ", stripped" in desc, desc
    assert mode(root / "var/lib/sendreports") == 0o755
    assert mode(root / "var/lib/sendreports/pdf") == 0o755
    assert mode(root / "var/spool/sendreports") == 0o700
    assert mode(root / "etc/sendreports.ini") == 0o600
    for u in UNITS:
        assert (root / "usr/local/lib/systemd/system" / u).is_file(), u
    assert not (root / "etc/init.d").exists()
    hook = root / "etc/NetworkManager/dispatcher.d/90-sendreports"
    assert mode(hook) == 0o755
    for page in MAN_PAGES:
        assert mode(root / "usr/local/share/man" / page) == 0o644, page
    # initdb finds the directories of the installed configuration (moved
    # into the root) and needs no other.
    conf = root / "etc/sendreports.ini"
    text = conf.read_text()
    assert "= /var/lib/sendreports/" in text
    assert "= /var/spool/sendreports" in text
    conf.write_text(text.replace("= /var/", "= %s/var/" % root)
                    .replace("syslog = yes", "syslog = no"))
    for cmd in ("initdb", "check"):
        r = subprocess.run([str(binary), "-c", str(conf), cmd],
                           capture_output=True, text=True)
        assert r.returncode == 0, (cmd, r.stdout + r.stderr)


def test_install_busybox_init_or_none(tmp_path):
    root = tmp_path / "bb"
    r = install(root, "INIT=busybox", target="install-strip")
    assert mode(root / "etc/init.d/S90sendreports") == 0o755
    assert not (root / "usr/local/lib/systemd").exists()
    assert ", stripped" in subprocess.run(
        ["file", "-b", str(root / "usr/local/bin/sendreports")],
        capture_output=True, text=True).stdout
    root = tmp_path / "none"
    r = install(root, "PREFIX=/usr", "INIT=none")
    assert "no init files" in r.stdout
    assert not (root / "etc/init.d").exists()
    assert not (root / "usr/lib/systemd").exists()
    assert not (root / "usr/local").exists()
    # The manual pages, with the paths of this install in them.
    for page in MAN_PAGES:
        assert mode(root / "usr/share/man" / page) == 0o644, page
    with open(root / "usr/share/man" / MAN_PAGES[0]) as f:
        assert "/usr/bin/sendreports \\-c /etc/sendreports.ini tick" \
            in f.read()
    r = make("install", "DESTDIR=%s" % (tmp_path / "x"), "INIT=upstart")
    assert r.returncode != 0 and "INIT=upstart" in r.stderr


def test_install_sendmail_links_never_replace_another_mta(tmp_path):
    root = tmp_path / "mta"
    # Without SENDMAIL=yes: no link.
    install(root, "PREFIX=/usr", "INIT=none")
    assert not (root / "usr/sbin/sendmail").exists()
    # Another mail program's sendmail stands: kept; mailq is free: ours.
    os.makedirs(root / "usr/sbin", exist_ok=True)
    os.symlink("../lib/sendmail", str(root / "usr/sbin/sendmail"))
    r = install(root, "PREFIX=/usr", "INIT=none", "SENDMAIL=yes")
    assert os.readlink(str(root / "usr/sbin/sendmail")) == "../lib/sendmail"
    assert "usr/sbin/sendmail is another mail program's" in r.stdout
    assert os.readlink(str(root / "usr/bin/mailq")) == \
        "/usr/bin/sendreports"
    # Again: ours is kept, without a word against it.
    r = install(root, "PREFIX=/usr", "INIT=none", "SENDMAIL=yes")
    assert "mailq is another" not in r.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_install_gives_the_directories_to_the_roots_user(tmp_path):
    root = tmp_path / "root"
    os.makedirs(root / "etc")
    with open(root / "etc/passwd", "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n"
                "sendreports:x:4242:4343::/var/lib/sendreports:/bin/false\n")
    r = install(root, "INIT=systemd")
    assert "not creating" not in r.stdout
    for p in ("var/lib/sendreports", "var/lib/sendreports/pdf",
              "var/spool/sendreports", "etc/sendreports.ini"):
        st = os.stat(root / p)
        assert (st.st_uid, st.st_gid) == (4242, 4343), p
    # A configuration already there stays as it is, owner included.
    os.chown(root / "etc/sendreports.ini", 0, 0)
    install(root, "INIT=systemd")
    assert os.stat(root / "etc/sendreports.ini").st_uid == 0


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze (Debian's "
                    "systemd) missing")
def test_units_verify_and_are_confined(tmp_path):
    root = tmp_path / "root"
    install(root, "INIT=systemd")
    host_root(str(root))
    r = subprocess.run([ANALYZE, "verify", "--root=%s" % root] + UNITS,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    unitdir = root / "usr/local/lib/systemd/system"
    for u in SERVICES:
        path = str(unitdir / u)
        e = exposure(path)
        assert e <= MAX_EXPOSURE, (u, e)
        assert exposure("--root=%s" % root, u) == e
        with open(path) as f:
            text = f.read()
        lines = text.splitlines()
        for want in ("User=sendreports", "Group=sendreports",
                     "ReadWritePaths=/var/lib/sendreports "
                     "/var/spool/sendreports",
                     "ProtectSystem=strict", "CapabilityBoundingSet="):
            assert want in lines, (u, want)
        for want in ("Wants=network-online.target",
                     "After=network-online.target"):
            assert any(l.startswith(want) for l in lines), (u, want)
        # The clock check reads the kernel's state with clock_adjtime(),
        # which @system-service leaves out, and which ProtectClock= would
        # refuse even to read.
        assert not any(l.startswith("ProtectClock=") for l in lines), u
        allowed = set()
        for l in lines:
            if l.startswith("SystemCallFilter=") and "~" not in l:
                for name in l.split("=", 1)[1].split():
                    allowed |= syscalls(name)
        assert "clock_adjtime" not in syscalls("@system-service")
        assert {"clock_adjtime", "adjtimex"} <= allowed, u
    with open(unitdir / "sendreports.service") as f:
        lines = f.read().splitlines()
    assert "RestartPreventExitStatus=64 78" in lines
    assert "Restart=on-failure" in lines


def syscalls(name):
    """The system calls a SystemCallFilter= word allows."""
    if not name.startswith("@"):
        return {name}
    r = subprocess.run([ANALYZE, "syscall-filter", name],
                       capture_output=True, text=True, check=True)
    out = set()
    for l in r.stdout.splitlines()[1:]:
        w = l.strip()
        if w and not w.startswith("#"):
            out |= syscalls(w)
    return out


# The static build's libraries, simulated cheaply: build-libs.sh's zlib
# step on a stand-in zlib whose Makefile installs as zlib's does
# ($(DESTDIR)$(prefix)), with the environment that `make install-busybox
# DESTDIR=ROOT` gives it through cross.mk and static.sh.
FAKE_CONFIGURE = """#!/bin/sh
# Stand-in for zlib's configure: --static --prefix=P.
for a; do case $a in --prefix=*) prefix=${a#--prefix=} ;; esac; done
sed "s|@prefix@|$prefix|" Makefile.in > Makefile
"""
FAKE_MAKEFILE = """prefix = @prefix@
libdir = $(prefix)/lib
DESTDIR =

libz.a: z.c
\t$(CC) -c z.c
\t$(AR) rcs libz.a z.o

install: libz.a
\tmkdir -p $(DESTDIR)$(libdir)
\tcp libz.a $(DESTDIR)$(libdir)/
"""


@pytest.fixture
def cross_tree(tmp_path):
    top = tmp_path / "top"
    os.makedirs(top / "cross")
    for f in ("build-libs.sh", "arch.sh"):
        shutil.copy(os.path.join(TOP, "cross", f), top / "cross" / f)
    z = top / "build/cross/src/zlib"
    os.makedirs(z)
    (z / "configure").write_text(FAKE_CONFIGURE)
    os.chmod(z / "configure", 0o755)
    (z / "Makefile.in").write_text(FAKE_MAKEFILE)
    (z / "z.c").write_text("int z_stand_in(void) { return 1; }\n")
    # arch.sh's x86_64 tools, as the host's.
    tools = tmp_path / "tools"
    os.makedirs(tools)
    os.symlink(shutil.which("cc"), tools / "x86_64-linux-musl-gcc")
    for t in ("ar", "ranlib", "strip", "nm"):
        os.symlink(shutil.which(t), tools / ("x86_64-linux-gnu-" + t))
    return top, str(tools)


def build_zlib(top, tools, destdir):
    env = clean_env(PATH=tools + ":" + os.environ["PATH"],
                    DESTDIR=str(destdir),
                    MAKEFLAGS=" -- DESTDIR=%s" % destdir)
    r = subprocess.run(["sh", "cross/build-libs.sh", "x86_64", "zlib"],
                       cwd=str(top), env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_cross_libraries_ignore_destdir(cross_tree, tmp_path):
    top, tools = cross_tree
    dest = tmp_path / "rootfs"
    out = build_zlib(top, tools, dest)
    assert "LIB     zlib (x86_64)" in out
    lib = top / "build/cross/x86_64/prefix/lib/libz.a"
    assert lib.is_file()
    assert not dest.exists()
    # A second run trusts the stamp: the library is there.
    assert build_zlib(top, tools, dest) == ""


def test_cross_stamp_without_its_library_rebuilds(cross_tree, tmp_path):
    top, tools = cross_tree
    build_zlib(top, tools, tmp_path / "rootfs")
    lib = top / "build/cross/x86_64/prefix/lib/libz.a"
    stamp = top / "build/cross/x86_64/prefix/.stamp-zlib"
    assert stamp.is_file()
    # As a build whose install went elsewhere left it: stamp, no library.
    os.unlink(lib)
    out = build_zlib(top, tools, tmp_path / "rootfs")
    assert "stamp without libz.a, rebuilding" in out
    assert lib.is_file()
