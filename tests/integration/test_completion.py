"""The bash completion (etc/bash-completion/sendreports), run by a real
bash against the real binary: it completes the commands, each command's
options (as its help names them), and queue's actions."""
import os
import shlex
import shutil
import subprocess

import pytest

from conftest import BIN, EMULATOR

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "etc",
                      "bash-completion", "sendreports")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or EMULATOR,
                                reason="needs bash and a native binary")


def complete(*words):
    """COMPREPLY for the command line BIN words..., the last word being
    completed."""
    line = [BIN] + list(words)
    script = ("source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_sendreports\n"
              "printf '%%s\\n' \"${COMPREPLY[@]}\"\n"
              % (shlex.quote(SCRIPT), " ".join(shlex.quote(w) for w in line),
                 len(line) - 1))
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return sorted(x for x in r.stdout.splitlines() if x)


def test_commands_are_completed():
    assert complete("fl") == ["flush"]
    got = complete("")
    for c in ("send", "flush", "tick", "queue", "status", "help"):
        assert c in got
    assert complete("-c", "x.ini", "st") == ["status"]


def test_options_are_those_of_the_command():
    assert complete("flush", "--f") == ["--force"]
    assert "--dry-run" in complete("send", "--")
    assert "--dry-run" not in complete("flush", "--")
    assert complete("schedule", "--ev") == ["--every"]


def test_queue_actions_are_completed():
    assert complete("queue", "re") == ["release", "requeue"]
    assert complete("help", "que") == ["queue"]
