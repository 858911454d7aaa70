"""Each command's help: `sendreports help COMMAND` and `sendreports
COMMAND --help` print the same text, need no configuration, and name
exactly the options the command's own parser takes (as its usage line on
a bad option says)."""
import re
import subprocess

from conftest import BIN, EMULATOR, run_env


def run(*args):
    return subprocess.run(EMULATOR + [BIN] + list(args), capture_output=True,
                          text=True, env=run_env(), timeout=60)


def commands():
    out = run("--help").stdout
    block = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    names = [line.split()[0] for line in block.splitlines() if line.strip()]
    assert "send" in names and "check" in names
    return names


def options(text):
    return set(re.findall(r"(--[a-z][a-z-]*)", text)) - {"--help"}


def test_every_command_has_its_help_without_a_configuration():
    for name in commands():
        a = run("-c", "/nonexistent/sendreports.ini", "help", name)
        b = run("-c", "/nonexistent/sendreports.ini", name, "--help")
        c = run(name, "-h")
        assert a.returncode == 0 and a.stderr == "", (name, a.stderr)
        assert a.stdout.startswith("usage: sendreports %s" % name), name
        assert b.returncode == 0 and b.stdout == a.stdout, name
        assert c.returncode == 0 and c.stdout == a.stdout, name


def test_the_help_names_the_options_the_command_takes(box):
    compared = 0
    for name in commands():
        text = run("help", name).stdout
        usage = text.split("\n\n", 1)[0]
        # Its own usage line, printed on an option it does not know.
        bad = run("-c", box.conf, name, "--no-such-option")
        assert bad.returncode == 64, (name, bad.stderr)
        own = bad.stderr[bad.stderr.index("usage:"):]
        compared += 1
        assert options(usage) == options(own), name
        # And each option has its line below.
        for opt in options(usage):
            assert re.search(r"^  (-\w, )?%s\b" % opt, text, re.M), (name,
                                                                     opt)
    assert compared == len(commands())


def test_help_of_nothing_known_is_a_usage_error():
    r = run("help", "nope")
    assert r.returncode == 64
    assert 'no help for "nope"' in r.stderr
    r = run("help")
    assert r.returncode == 0 and "commands:" in r.stdout
