"""Minimal, valid PDF files for the tests: one page of text, optionally
padded with an incompressible stream to reach a given size."""
import os
import sys


def make_pdf(text="Stored report", pad_bytes=0):
    objs = []
    content = ("BT /F1 24 Tf 72 720 Td (%s) Tj ET" % text).encode("latin-1")
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content +
                b"\nendstream")
    if pad_bytes:
        pad = os.urandom(pad_bytes)
        objs.append(b"<< /Length %d >>\nstream\n" % len(pad) + pad +
                    b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref))
    return bytes(out)


if __name__ == "__main__":
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with open(sys.argv[1], "wb") as f:
        f.write(make_pdf(pad_bytes=size))
