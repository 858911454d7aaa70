"""The manual pages of etc/man/: man (groff) formats each without a
warning, sendreports.8 has an entry for every command the binary lists and
for each option and action its help names, and sendreports.ini.5 one for
every key of etc/sendreports.ini and of README's configuration table, and
for no key that is in neither.  make install puts them in place
(test_install.py)."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BIN, EMULATOR, run_env

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
MAN8 = os.path.join(TOP, "etc", "man", "sendreports.8")
MAN5 = os.path.join(TOP, "etc", "man", "sendreports.ini.5")
INI = os.path.join(TOP, "etc", "sendreports.ini")
README = os.path.join(TOP, "README.md")
MAN = shutil.which("man")

pytestmark = pytest.mark.skipif(bool(EMULATOR),
                                reason="checked once, against the native "
                                "binary")
needs_man = pytest.mark.skipif(MAN is None, reason="man (Debian's man-db, "
                               "installed by make deps) missing")

# Keys the brief of these pages names, whatever the parsers below find:
# a floor, so that a parser gone wrong cannot make the test vacuous.
KNOWN_KEYS = {("smtp", "helo"), ("database", "table"), ("mail", "notify"),
              ("pdf", "font"), ("pdf", "max_pages"), ("clock", "require_sync"),
              ("run", "user"), ("smtp", "password")}


def run(*args, argv0=None):
    return subprocess.run(EMULATOR + [argv0 or BIN] + list(args),
                          capture_output=True, text=True, env=run_env(),
                          timeout=60)


def plain(line):
    """A line of man source with its escapes and quotes made text:
    \\- is -, font changes and zero-width marks go."""
    line = re.sub(r"\\f(\(..|\[[^]]*\]|.)", "", line)
    line = (line.replace("\\-", "-").replace("\\(dq", '"')
            .replace("\\(mu", "x").replace("\\~", " "))
    for esc in ("\\&", "\\%", "\\c"):
        line = line.replace(esc, "")
    return line.replace('"', "")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def parts(lines, macro):
    """{heading: lines} of the source cut at each `macro` line (.SH, .SS);
    the heading is plain text without the macro."""
    out, name = {}, None
    for line in lines:
        if line.startswith(macro + " "):
            name = plain(line[len(macro) + 1:]).strip()
            out[name] = []
        elif name is not None:
            out[name].append(line)
    return out


def terms(lines):
    """The tags of the .TP entries of lines, as plain text without their
    font macro (.B, .BI ...)."""
    return [re.sub(r"^\.[A-Z]+\s+", "", plain(lines[i + 1]))
            for i, line in enumerate(lines[:-1]) if line.strip() == ".TP"]


def has_word(word, texts):
    pat = re.compile(r"(?<![\w-])%s(?![\w-])" % re.escape(word))
    return any(pat.search(t) for t in texts)


def commands():
    out = run("--help").stdout
    block = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    names = [line.split()[0] for line in block.splitlines() if line.strip()]
    assert "send" in names and "check" in names, out
    return names


def options(text):
    """The options a help text names: its --long ones anywhere, and the
    short ones its option lines begin with (-o, sendmail's -t, -i, -oi)."""
    found = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text))
    for m in re.finditer(r"^  (-[a-zA-Z]+)(?:, (-[a-zA-Z]+))?\b", text,
                         re.M):
        found |= {o for o in m.groups() if o}
    return found - {"--help", "-h"}


def actions(name, text):
    """The bare words after `sendreports NAME` in its usage lines: queue's
    show, hold, release, delete, requeue."""
    found = set()
    for line in text.split("\n\n", 1)[0].splitlines():
        m = re.search(r"sendreports %s (.*)" % re.escape(name), line)
        if m:
            found |= {w for w in re.split(r"[\s|\[\]]+", m.group(1))
                      if re.fullmatch(r"[a-z]+", w)}
    return found


@needs_man
@pytest.mark.parametrize("page", [MAN8, MAN5],
                         ids=["sendreports.8", "sendreports.ini.5"])
def test_man_formats_the_page_without_a_warning(page):
    env = run_env({"MANWIDTH": "80", "LC_ALL": "C.UTF-8", "MANPAGER": "cat",
                   "PAGER": "cat"})
    r = subprocess.run([MAN, "--warnings", "-l", "-Tutf8", page],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    text = re.sub(r".\x08", "", r.stdout)     # grotty's overstrikes
    assert "NAME" in text and "SEE ALSO" in text


def test_every_command_option_and_action_has_its_entry():
    sh = parts(read(MAN8), ".SH")
    assert {"SYNOPSIS", "DESCRIPTION", "GLOBAL OPTIONS", "COMMANDS", "TIME",
            "EXIT STATUS", "SIGNALS", "FILES", "ENVIRONMENT",
            "SEE ALSO"} <= set(sh)
    entries = parts(sh["COMMANDS"], ".SS")
    checked = 0
    for name in commands():
        assert name in entries, "no .SS %s in COMMANDS" % name
        tags = terms(entries[name])
        text = run("help", name).stdout
        for opt in options(text):
            assert has_word(opt, tags), (name, opt)
            checked += 1
        for word in actions(name, text):
            assert any(t.split()[0] == word for t in tags if t.split()), \
                (name, word)
            checked += 1
    assert checked > 30
    # The global options, as --help's usage lines give them.
    usage = run("--help").stdout.split("\n\n", 1)[0]
    tags = terms(sh["GLOBAL OPTIONS"])
    for opt in ("-c", "-v", "-q", "--help", "--version"):
        assert opt in usage
        assert has_word(opt, tags), opt


def test_the_old_commands_options_are_named(tmp_path):
    link = tmp_path / "send_scheduled_reports"
    os.symlink(os.path.abspath(BIN), link)
    text = run("--help", argv0=str(link)).stdout
    assert text.startswith("usage: send_scheduled_reports"), text
    page = "\n".join(plain(line) for line in read(MAN8))
    for opt in set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", text)):
        assert has_word(opt, [page]), opt


def configuration_keys():
    """(section, key) of etc/sendreports.ini, commented keys included, and
    of README's table of the configuration."""
    keys, section = set(), None
    for line in read(INI):
        m = re.match(r"^\[([a-z]+)\]\s*$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^;?\s*([a-z0-9_]+)\s*=", line)
        if m and section:
            keys.add((section, m.group(1)))
    text = "\n".join(read(README))
    conf = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = 0
    for line in conf.splitlines():
        m = re.match(r"^\| `\[([a-z]+)\]` \| (.*) \|$", line)
        if not m:
            continue
        rows += 1
        cell, flat, depth = m.group(2), "", 0
        for ch in cell:         # the parentheses' contents go
            depth += ch == "("
            if depth == 0:
                flat += ch
            depth -= ch == ")" and depth > 0
        for item in flat.split(","):
            k = re.match(r"\s*`([a-z0-9_]+)`", item)
            if k:
                keys.add((m.group(1), k.group(1)))
    assert rows >= 9, "README's configuration table not found"
    return keys


def test_every_configuration_key_has_its_entry():
    keys = configuration_keys()
    assert KNOWN_KEYS <= keys, KNOWN_KEYS - keys
    sh = parts(read(MAN5), ".SH")
    assert {"DESCRIPTION", "EXAMPLE", "SEE ALSO"} <= set(sh)
    sections = parts(sh["SECTIONS AND KEYS"], ".SS")
    documented = set()
    for name, lines in sections.items():
        m = re.fullmatch(r"\[([a-z]+)\]", name)
        assert m, name
        for tag in terms(lines):
            documented.add((m.group(1), tag.split()[0]))
    assert keys - documented == set(), "keys without an entry"
    assert documented - keys == set(), "entries that are no key"
