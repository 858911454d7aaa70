"""The launchd job shipped for macOS (etc/macos): a property list launchd
can read, running `sendreports tick` every 60 seconds.  Not run on a Mac:
plistlib reads the format as launchd does."""
import os
import plistlib

PLIST = os.path.join(os.path.dirname(__file__), "..", "..", "etc", "macos",
                     "com.example.sendreports.plist")


def test_the_launchd_job_ticks_every_minute():
    with open(PLIST, "rb") as f:
        job = plistlib.load(f)
    assert job["Label"] == "com.example.sendreports"
    assert job["StartInterval"] == 60
    args = job["ProgramArguments"]
    assert os.path.basename(args[0]) == "sendreports"
    assert args[1] == "-c" and args[-1] == "tick"
