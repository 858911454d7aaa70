"""sizes.py ARCH... - the size of each static binary, what each library
contributes (from the linker map, allocated sections), and the checks: the
budget per target, and growth over cross/sizes-baseline.txt.

A change that grows a binary by more than 5 % over its baseline fails until
the baseline file is updated with a line saying why (a note is required)."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
BASELINE = os.path.join(HERE, "sizes-baseline.txt")
BUDGET = {"aarch64": 1600000, "armhf": 1100000}     # bytes, stripped
GROWTH = 0.05

SECTION = re.compile(r"^ (\.[\w.$]+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$")


def owner(path):
    m = re.search(r"([^/]+)\.a\(([^)]*)\)", path)
    if m:
        name = m.group(1)
        if name == "libsendreports":
            # The data the binary carries, apart from its code.
            return {"cabundle.o": "CA bundle",
                    "zones.o": "zone rules"}.get(m.group(2), "sendreports")
        return {"libc": "musl libc", "libgcc": "libgcc",
                "libmbedcrypto": "mbedtls", "libmbedtls": "mbedtls",
                "libmbedx509": "mbedtls"}.get(name, name.replace("lib", "",
                                                                  1))
    if path.endswith(".o"):
        return "sendreports" if "/build/" in path or not path.startswith(
            "/usr") else "musl libc"
    return None


def contributions(mapfile):
    out = {}
    in_map = False
    pending = None
    with open(mapfile, errors="replace") as f:
        for line in f:
            if line.startswith("Linker script and memory map"):
                in_map = True
                continue
            if not in_map:
                continue
            if re.match(r"^ \.[\w.$]+$", line.rstrip("\n")):
                pending = line.strip()
                continue
            m = SECTION.match(line.rstrip("\n"))
            if not m:
                pending = None
                continue
            name = m.group(1) or pending
            pending = None
            if not name or name.startswith((".bss", ".tbss", ".debug",
                                            ".comment", ".note.GNU")):
                continue
            who = owner(m.group(3))
            if who:
                out[who] = out.get(who, 0) + int(m.group(2), 16)
    return out


def baseline(failed):
    """{arch: bytes} from the baseline file, the last line of each arch
    winning.  Each line is 'ARCH BYTES WHY': a size without a reason is
    refused, so that every growth is explained where it is accepted."""
    sizes = {}
    if not os.path.exists(BASELINE):
        return sizes
    with open(BASELINE) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or not parts[1].isdigit():
                failed.append("%s:%d: want 'ARCH BYTES why it grew'"
                              % (BASELINE, n))
                continue
            sizes[parts[0]] = int(parts[1])
    return sizes


def main(archs):
    failed = []
    base = baseline(failed)
    libs = ["sqlite3", "curl", "mbedtls", "hpdf", "z", "inih", "musl libc",
            "libgcc", "sendreports", "CA bundle", "zone rules"]
    print("stripped size in bytes; what each part adds, in KiB (allocated "
          "sections, before strip)")
    print("%-8s %10s %7s  %s" % ("target", "bytes", "budget", "  ".join(
        "%9s" % l for l in libs)))
    for a in archs:
        binary = os.path.join(TOP, "build", a, "sendreports")
        mapfile = binary + ".map"
        size = os.path.getsize(binary)
        parts = contributions(mapfile)
        print("%-8s %10d %7s  %s" % (
            a, size, "%.0f%%" % (100.0 * size / BUDGET[a]) if a in BUDGET
            else "-", "  ".join("%9.0f" % (parts.get(l, 0) / 1024)
                                for l in libs)))
        if a in BUDGET and size > BUDGET[a]:
            failed.append("%s: %d bytes, over the budget of %d"
                          % (a, size, BUDGET[a]))
        if a in base and size > base[a] * (1 + GROWTH):
            failed.append("%s: %d bytes, %.1f %% over the baseline %d: "
                          "add a line '%s %d <why>' to %s"
                          % (a, size, 100.0 * (size - base[a]) / base[a],
                             base[a], a, size, BASELINE))
    for f in failed:
        print("sizes: " + f, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
