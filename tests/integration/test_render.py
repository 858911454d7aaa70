"""The fallback PDF, checked with real tools: qpdf, pdftotext, pdfinfo,
pdftoppm."""
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from conftest import EMULATOR, NOW_ARG

SAMPLE = {
    "title": "Ventes — octobre 2026",
    "subtitle": "Magasin de Lyon",
    "parameters": {"Période": "2026-10", "Région": "Rhône"},
    "kpis": [{"label": "Chiffre d'affaires", "value": "1 234 567,89 €"},
             {"label": "Commandes", "value": "4 321"}],
    "columns": ["Produit", "Quantité", "Montant"],
    "rows": [["Café", 120, 345.5], ["Thé", 80, 210],
             ["Crème brûlée « maison » — œufs", 31, 155.25]],
    "chart": {"type": "bar", "label_column": 0, "value_column": 2},
}
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def qpdf_ok(path):
    r = subprocess.run(["qpdf", "--check", path], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def pages(path):
    r = subprocess.run(["pdfinfo", path], capture_output=True, text=True,
                       check=True)
    for line in r.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("no page count")


def text(path, first=None, last=None):
    argv = ["pdftotext", "-layout"]
    if first:
        argv += ["-f", str(first), "-l", str(last or first)]
    r = subprocess.run(argv + [path, "-"], capture_output=True, check=True)
    return r.stdout.decode("utf-8")


def word_boxes(path):
    """The leftmost box of each word on page 1: {word: (xmin, ymin,
    xmax)} (the chart's labels repeat some words further right)."""
    import re
    r = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", path,
                        "-"], capture_output=True, check=True)
    out = {}
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" '
                         r'xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
                         r.stdout.decode("utf-8")):
        box = (float(m.group(1)), float(m.group(2)), float(m.group(3)))
        if m.group(4) not in out or box[0] < out[m.group(4)][0]:
            out[m.group(4)] = box
    return out


def render(box, data, *extra):
    rid = box.add(pdf_path=None, report_data=json.dumps(data))
    out = os.path.join(box.root, "r%d.pdf" % rid)
    r = box.run("render", str(rid), "-o", out, *extra)
    return r, out, rid


@pytest.mark.valgrind
def test_sample_report_is_a_real_document(ready):
    r, out, _ = render(ready, SAMPLE)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    assert pages(out) == 1
    t = text(out)
    for s in ("Ventes — octobre 2026", "Magasin de Lyon", "Période",
              "Rhône", "1 234 567,89 €", "Crème brûlée « maison » — œufs",
              "page 1 / 1", "Produit", "Quantité", "Generated"):
        assert s in t, s
    # Numbers right-aligned, text left-aligned: compare the word boxes.
    boxes = word_boxes(out)
    assert abs(boxes["345.5"][2] - boxes["210"][2]) < 0.5
    assert abs(boxes["120"][2] - boxes["80"][2]) < 0.5
    assert abs(boxes["Thé"][0] - boxes["Crème"][0]) < 0.5
    # Nothing was sent or marked.
    assert ready.queue() == []
    assert all(row["sent"] == 0 for row in ready.rows().values())


def test_ten_thousand_rows_header_and_page_numbers_on_every_page(ready):
    data = {"title": "Grand livre", "columns": ["N°", "Libellé", "Débit"],
            "rows": [[i, "Écriture n° %d — été" % i, i * 1.5]
                     for i in range(10000)]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    n = pages(out)
    assert n > 100
    for p in (1, 2, n // 2, n):
        t = text(out, p)
        assert "Libellé" in t and "Débit" in t, p
        assert "page %d / %d" % (p, n) in t, p
    assert "Écriture n° 9999 — été" in text(out, n)


def test_wide_table_turns_the_page_and_wraps_long_cells(ready):
    cols = ["Colonne %d" % i for i in range(12)]
    rows = [["une valeur assez longue pour être coupée %d" % i] * 12
            for i in range(5)]
    r, out, _ = render(ready, {"columns": cols, "rows": rows})
    assert r.returncode == 0, r.stderr
    info = subprocess.run(["pdfinfo", out], capture_output=True, text=True)
    w, h = [float(x) for x in info.stdout.split("Page size:")[1].split()[:3:2]]
    assert w > h    # landscape
    # Wrapped in its column, never cut: every word of every cell is there.
    t = text(out)
    assert "…" not in t
    for i in range(5):
        assert t.count("coupée %d" % i) == 12
    assert t.count("assez longue") == 60


def test_truetype_font_renders_greek_and_cyrillic(ready):
    ready.write_conf("[pdf]\ndir = pdf\nfont = %s\n" % DEJAVU)
    data = {"title": "Отчёт о продажах", "subtitle": "Αναφορά πωλήσεων",
            "columns": ["Τόπος", "Сумма"], "rows": [["Αθήνα", 12.5],
                                                    ["Москва", 7]]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    t = text(out)
    for s in ("Отчёт о продажах", "Αναφορά πωλήσεων", "Αθήνα", "Москва"):
        assert s in t, s
    fonts = subprocess.run(["pdffonts", out], capture_output=True,
                           text=True).stdout
    assert "DejaVu" in fonts and "yes" in fonts    # embedded


def test_characters_winansi_lacks_become_visible_marks(ready):
    r, out, _ = render(ready, {"title": "Ελλάδα 東京 ok"})
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    assert "?????? ?? ok" in text(out)


def test_a_page_looks_right(ready, tmp_path):
    r, out, _ = render(ready, SAMPLE)
    assert r.returncode == 0, r.stderr
    prefix = str(tmp_path / "page")
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1",
                    out, prefix], check=True)
    png = prefix + "-1.png"
    with open(png, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(head[16:20], "big")
    height = int.from_bytes(head[20:24], "big")
    assert height > width    # A4 portrait


@pytest.mark.parametrize("data,words", [
    ('{"rows": 3}', ['"rows" must be an array']),
    ('{"title": 42}', ['"title" must be text']),
    ('{"rows": [[1], 2]}', ['"rows"[1] must be an array']),
    ('{"kpis": ["x"]}', ['"kpis"[0] must be an object']),
    ('{"columns": ["a"], "rows": [["x"]], "chart": {"type": "pie", '
     '"label_column": 0, "value_column": 0}}', ['"type" must be "bar"']),
    ('{"columns": ["a"], "rows": [["x"]], "chart": {"type": "bar", '
     '"label_column": 0, "value_column": 5}}', ['"value_column" is 5']),
    ('{not json', ["not a JSON object"]),
    ('{"rows": [' + "[" * 3000 + "]" * 3000 + ']}',
     ["not valid JSON, or nests arrays and objects deeper"]),
    ('[1, 2]', ["not a JSON object"]),
])
def test_bad_data_is_a_clear_error(ready, data, words):
    rid = ready.add(pdf_path=None, report_data=data)
    out = os.path.join(ready.root, "x.pdf")
    r = ready.run("render", str(rid), "-o", out)
    assert r.returncode == 65, r.stderr
    for w in words:
        assert w in r.stderr
    assert not os.path.exists(out)
    assert not os.path.exists(out + ".tmp")


def test_max_pages_stops_with_a_clear_error(ready):
    ready.write_conf("[pdf]\ndir = pdf\nmax_pages = 3\n")
    data = {"columns": ["n"], "rows": [[i] for i in range(1000)]}
    r, out, _ = render(ready, data)
    assert r.returncode == 65
    assert "max_pages (3)" in r.stderr
    assert not os.path.exists(out)


def test_render_refuses_what_is_not_there(ready):
    r = ready.run("render", "999", "-o", "x.pdf")
    assert r.returncode == 66 and "no report 999" in r.stderr
    rid = ready.add(pdf_path=None)
    r = ready.run("render", str(rid))
    assert r.returncode == 65 and "no report_data" in r.stderr
    r = ready.run("render", "abc")
    assert r.returncode == 64


def test_send_attaches_the_fallback_for_a_report_without_pdf(ready):
    rid = ready.add(pdf_path=None, report_data=json.dumps(SAMPLE))
    r = ready.run("send", "--dry-run", "--now", NOW_ARG)
    assert r.stdout.split("\t")[3].strip() == "fallback"
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    [name] = ready.queue()
    _, _, msg = ready.read_spool(name)
    [att] = list(msg.iter_attachments())
    pdf = att.get_content()
    assert pdf.startswith(b"%PDF-")
    path = os.path.join(ready.root, "att.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    qpdf_ok(path)
    assert "Ventes — octobre 2026" in text(path)
    assert ready.rows()[rid]["sent"] == 1
    assert ready.tmp_files() == []


def test_send_gives_up_bad_data_and_goes_on(ready):
    ready.add_pdf("a.pdf")
    good = ready.add(pdf_path="a.pdf")
    bad = ready.add(pdf_path=None, report_data='{"rows": "x"}')
    broken = ready.add(pdf_path=None, report_data='{oops')
    r = ready.run("send", "--dry-run", "--now", NOW_ARG)
    assert "would give up: report_data is not valid JSON" in r.stdout
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 65
    rows = ready.rows()
    assert rows[good]["sent"] == 1 and rows[good]["last_error"] is None
    assert rows[bad]["sent"] == 1
    assert '"rows" must be an array' in rows[bad]["last_error"]
    assert rows[broken]["sent"] == 1
    assert len(ready.queue()) == 1


# ---- what attacking the renderer found (issue 13): every loop bounded by
# its input, every number checked before layout, every failure the data
# causes given up with last_error, every file replaced only if it may be.

def send_one(box, data, timeout=60):
    """Adds a report with data and no PDF, runs send once; returns
    (result, seconds, row).  The timeout turns a hang into a failure."""
    import time
    rid = box.add(pdf_path=None, report_data=data if isinstance(data, str)
                  else json.dumps(data))
    t = time.monotonic()
    r = box.run("send", "--now", NOW_ARG, timeout=timeout)
    return r, time.monotonic() - t, box.rows()[rid]


def chart_of(values):
    return {"columns": ["Mois", "Montant"],
            "rows": [["m%d" % i, v] for i, v in enumerate(values)],
            "chart": {"type": "bar", "label_column": 0, "value_column": 1}}


@pytest.mark.parametrize("value", ["1e999", "-1e999", "1E400"])
def test_send_gives_up_a_chart_value_that_is_not_finite(ready, value):
    # 1e999 is valid JSON that SQLite reads as infinity: the axis step
    # search looped forever, holding the lock.
    data = ('{"columns": ["Mois", "Montant"], "rows": [["a", 3], ["b", %s]],'
            ' "chart": {"type": "bar", "label_column": 0, '
            '"value_column": 1}}' % value)
    r, secs, row = send_one(ready, data)
    assert r.returncode == 65, r.stderr
    assert secs < 20
    assert row["sent"] == 1
    assert row["last_error"] == ('report_data: the chart value in '
                                 '"rows"[1] is not a finite number')
    assert ready.queue() == [] and ready.tmp_files() == []
    # Given up, not retried; the lock is free for the next run.
    r = ready.run("send", "--now", NOW_ARG, timeout=60)
    assert r.returncode == 0 and r.stderr == ""
    # render says the same.
    r = ready.run("render", str(row["id"]), "-o", "x.pdf", timeout=60)
    assert r.returncode == 65 and "not a finite number" in r.stderr
    assert not os.path.exists(os.path.join(ready.root, "x.pdf"))


@pytest.mark.parametrize("values,labels", [
    # The axis top, 2e308, is past DBL_MAX: never computed, only written.
    ([1.7e308, 3], ["2e+308", "1e+308", "0"]),
    ([1.7976931348623157e308, -1.7976931348623157e308],
     ["2e+308", "-2e+308", "0"]),
    ([-5, 12, 0, 3.5], ["15", "10", "5", "0", "-5"]),
    ([1e-300, 3e-301], ["1e-300", "5e-301", "0"]),
    ([0, 0], ["1", "0"]),
])
def test_chart_of_huge_tiny_or_negative_values_is_scaled(ready, values,
                                                         labels):
    r, secs, row = send_one(ready, chart_of(values))
    if "qemu-arm-static" in EMULATOR and sys.float_info.max in values:
        # SQLite reads JSON numbers itself, and without a long double
        # wider than double (32-bit ARM) it rounds DBL_MAX's text up to
        # infinity: given up, with the reason, like 1e999.
        assert r.returncode == 65, r.stderr
        assert "is not a finite number" in row["last_error"]
        return
    assert r.returncode == 0, r.stderr
    assert row["sent"] == 1 and row["last_error"] is None
    assert len(ready.queue()) == 1
    r, out, _ = render(ready, chart_of(values))
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    words = text(out).split()
    for label in labels:
        assert label in words, (label, words)


BIG = "Lorem ipsum dolor sit amet " * 2600      # 70,200 bytes


@pytest.mark.parametrize("where", ["cell", "column", "title", "subtitle",
                                   "kpi", "parameter", "chart label",
                                   "2 MiB cell"])
def test_text_past_64k_is_cut_not_deferred(ready, where):
    # libharu measures and draws no text past 65535 bytes: its refusal
    # was taken for an I/O error, and the report deferred every minute.
    data = {"columns": ["Texte", "n"], "rows": [["court", 1]]}
    if where == "cell":
        data["rows"].append([BIG, 2])
    elif where == "2 MiB cell":
        data["rows"].append(["é" * (1 << 20), 2])
    elif where == "column":
        data["columns"][0] = BIG
    elif where in ("title", "subtitle"):
        data[where] = BIG
    elif where == "kpi":
        data["kpis"] = [{"label": BIG, "value": BIG}]
    elif where == "parameter":
        data["parameters"] = {BIG: BIG}
    else:
        data["rows"].append([BIG, 2])
        data["chart"] = {"type": "bar", "label_column": 0,
                         "value_column": 1}
    r, secs, row = send_one(ready, data)
    assert r.returncode == 0, r.stderr
    assert row["sent"] == 1 and row["last_error"] is None
    assert secs < 20
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    t = text(out)
    assert "…" in t
    assert ("Lorem ipsum" in t) or ("éééé" in t)


def test_text_past_64k_is_cut_with_a_truetype_font_too(ready):
    ready.write_conf("[pdf]\ndir = pdf\nfont = %s\n" % DEJAVU)
    data = {"title": "Ω" * 40000, "columns": ["a"], "rows": [[BIG]]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    assert "ΩΩΩΩ" in text(out) and "…" in text(out)


@pytest.mark.parametrize("ncols,nrows", [(2000, 3), (200, 10000), (36, 1)])
def test_more_columns_than_fit_are_refused_quickly(ready, ncols, nrows):
    data = {"columns": ["c%d" % i for i in range(ncols)],
            "rows": [[i * j for j in range(ncols)] for i in range(nrows)]}
    r, secs, row = send_one(ready, data)
    assert r.returncode == 65, r.stderr
    assert secs < 20, secs
    assert row["sent"] == 1
    assert row["last_error"] == ("report_data: the table has %d columns, "
                                 "but at most 35 fit across a page" % ncols)
    assert ready.queue() == [] and ready.tmp_files() == []


def test_a_row_longer_than_the_header_is_refused_past_the_limit(ready):
    data = {"columns": ["a", "b"], "rows": [[1, 2], list(range(2000))]}
    r, secs, row = send_one(ready, data)
    assert r.returncode == 65, r.stderr
    assert row["last_error"] == ('report_data: "rows"[1] has more than 35 '
                                 'cells, but at most 35 columns fit across '
                                 'a page')


def test_as_many_columns_as_fit_share_a_landscape_page(ready):
    import time
    cols = ["Colonne %d" % i for i in range(35)]
    rows = [["valeur longue %d" % (i * j) for j in range(35)]
            for i in range(300)]
    t = time.monotonic()
    r, out, _ = render(ready, {"columns": cols, "rows": rows})
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t < 20
    qpdf_ok(out)
    info = subprocess.run(["pdfinfo", out], capture_output=True, text=True)
    w, h = [float(x) for x in info.stdout.split("Page size:")[1].split()[:3:2]]
    assert w > h
    # Every column inside the page: no word starts past its right margin.
    for word, (x0, _, x1) in word_boxes(out).items():
        assert x1 <= w - 36 + 1, (word, x1)


def test_many_kpis_and_parameters_go_on_as_many_pages(ready):
    data = {"parameters": {"Paramètre %d" % i: i for i in range(150)},
            "kpis": [{"label": "KPI %d" % i, "value": i} for i in range(150)]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    n = pages(out)
    assert n > 3
    t = text(out)
    assert "Paramètre 149" in t and "KPI 149" in t
    assert "page %d / %d" % (n, n) in t
    # And they count against max_pages like the table.
    ready.write_conf("[pdf]\ndir = pdf\nmax_pages = 2\n")
    r, out, _ = render(ready, data)
    assert r.returncode == 65 and "max_pages (2)" in r.stderr


def test_a_chart_column_past_64_bits_is_refused(ready):
    data = ('{"columns": ["a"], "rows": [["x"]], "chart": {"type": "bar", '
            '"label_column": 0, "value_column": 18446744073709551617}}')
    rid = ready.add(pdf_path=None, report_data=data)
    r = ready.run("render", str(rid), "-o", "x.pdf")
    assert r.returncode == 65, r.stderr
    assert '"value_column" is 1.8446744073709552e+19' in r.stderr or \
        '"value_column" is 1.84467440737096e+19' in r.stderr, r.stderr


def test_numbers_in_the_table_are_shown_as_sqlite_reads_them(ready):
    # Right-aligned as numbers; a string that looks like one is text.
    data = ('{"columns": ["n", "s"], "rows": [[1e308, "NaN"], [-0.0, "12"], '
            '[123456789012345678901, "x"], [1e999, "y"]]}')
    rid = ready.add(pdf_path=None, report_data=data)
    out = os.path.join(ready.root, "n.pdf")
    r = ready.run("render", str(rid), "-o", out)
    assert r.returncode == 0, r.stderr
    words = text(out).split()
    for w in ("1.0e+308", "Inf", "NaN", "12"):
        assert w in words, (w, words)
    boxes = word_boxes(out)
    assert abs(boxes["1.0e+308"][2] - boxes["Inf"][2]) < 0.5


def private_device(box, name, major, minor):
    """A character device node of our own, so that a test of a broken
    binary cannot replace the system's /dev/full."""
    path = os.path.join(box.root, name)
    try:
        os.mknod(path, 0o666 | 0o020000, os.makedev(major, minor))
    except PermissionError:
        if os.geteuid() == 0:
            pytest.skip("no mknod here")
        return "/dev/" + name       # not root: /dev cannot be changed
    return path


def test_render_writes_a_device_in_place_and_refuses_other_odd_targets(
        ready):
    import stat
    rid = ready.add(pdf_path=None, report_data=json.dumps(SAMPLE))
    full = private_device(ready, "full", 1, 7)
    r = ready.run("render", str(rid), "-o", full)
    assert r.returncode == 73, r.stderr
    assert "cannot write %s: No space left on device" % full in r.stderr
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    null = private_device(ready, "null", 1, 3)
    r = ready.run("render", str(rid), "-o", null)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISCHR(os.lstat(null).st_mode)

    os.mkdir(os.path.join(ready.root, "adir"))
    os.mkfifo(os.path.join(ready.root, "afifo"))
    with open(os.path.join(ready.root, "target.pdf"), "w") as f:
        f.write("keep me")
    os.symlink("target.pdf", os.path.join(ready.root, "alink"))
    for name, why in (("adir", "Is a directory"),
                      ("afifo", "it is a FIFO, not a regular file"),
                      ("alink", "it is a symbolic link (name the file it "
                       "points to)")):
        path = os.path.join(ready.root, name)
        r = ready.run("render", str(rid), "-o", path, timeout=30)
        assert r.returncode == 73, r.stderr
        assert "cannot write %s: %s" % (path, why) in r.stderr
    assert os.path.isdir(os.path.join(ready.root, "adir"))
    assert stat.S_ISFIFO(os.lstat(os.path.join(ready.root, "afifo")).st_mode)
    assert os.path.islink(os.path.join(ready.root, "alink"))
    with open(os.path.join(ready.root, "target.pdf")) as f:
        assert f.read() == "keep me"

    # A regular file is replaced, atomically, keeping its mode.
    path = os.path.join(ready.root, "target.pdf")
    os.chmod(path, 0o640)
    r = ready.run("render", str(rid), "-o", path)
    assert r.returncode == 0, r.stderr
    qpdf_ok(path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    # Nothing left beside them.
    left = [n for n in os.listdir(ready.root)
            if n.split(".")[0] in ("target", "adir", "afifo", "alink",
                                   "full", "null") and
            n not in ("target.pdf", "adir", "afifo", "alink", "full",
                      "null")]
    assert left == []


# ---- long cells wrap (issue 15): the whole text, rows as tall as their
# cells, the header and "page i / n" right on every page.

THE = "Thé à la menthe et aux épices douces"


def page_words(path, page=1):
    """Every word of a page with its box: [(word, xmin, ymin, xmax,
    ymax)], in pdftotext's order."""
    import re
    r = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l",
                        str(page), path, "-"], capture_output=True,
                       check=True)
    return [(m.group(5), float(m.group(1)), float(m.group(2)),
             float(m.group(3)), float(m.group(4)))
            for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" '
                                 r'xMax="([\d.]+)" yMax="([\d.]+)">'
                                 r'([^<]*)</word>',
                                 r.stdout.decode("utf-8"))]


def column_lines(words, xmin, xmax):
    """The distinct baselines of the words that start in [xmin, xmax)."""
    return sorted({round(w[4], 1) for w in words if xmin <= w[1] < xmax})


def test_a_long_cell_wraps_and_keeps_all_its_text(ready):
    long = " — ".join([THE] * 6)
    data = {"columns": ["Produit", "Description", "Prix"],
            "rows": [["Thé", long, 4.5], ["Café", "court", 3.25]]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    t = text(out)
    assert "…" not in t
    # pdftotext reads the wrapped cell as one block: its whole text, in
    # order, nothing cut.
    flat = " ".join(subprocess.run(["pdftotext", out, "-"],
                                   capture_output=True, check=True)
                    .stdout.decode("utf-8").split())
    assert long in flat
    words = page_words(out)
    desc = [w for w in words if w[0] in ("menthe", "épices")]
    assert len(desc) == 12
    # On several lines, inside its column, each line a baseline of its own.
    x0 = min(w[1] for w in words if w[0] == "Description")
    prix = [w for w in words if w[0] == "Prix"][0]
    lines = column_lines(words, x0 - 1, prix[1] - 1)
    assert len(lines) >= 4, lines
    assert all(w[3] <= 559 + 1 for w in words)
    # The row is as tall as its cell: the next row starts below its last
    # line, and the price of the first row is on its first line.
    cafe = [w for w in words if w[0] == "Café"][0]
    assert cafe[2] > max(w[4] for w in desc)
    price = [w for w in words if w[0] == "4.5"][0]
    assert abs(price[4] - min(w[4] for w in desc)) < 1
    # No two words of a line overlap.
    for a, b in zip(words, words[1:]):
        if abs(a[4] - b[4]) < 0.5 and b[1] > a[1]:
            assert b[1] >= a[3] - 0.5, (a, b)


def test_a_word_wider_than_its_column_is_broken_not_cut(ready):
    word = "Anticonstitutionnellement" * 4
    data = {"columns": ["n"] + ["c%d" % i for i in range(9)],
            "rows": [[1] + [word] * 9]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    t = "".join(text(out).split())
    assert "…" not in t
    # Every piece is there: the characters, in order, nine times.
    assert t.count("Anticonstitu") >= 9 * 4 - 9


def test_header_and_page_numbers_stay_right_when_rows_wrap(ready):
    data = {"title": "Journal", "columns": ["N°", "Libellé", "Montant"],
            "rows": [[i, "début-%d %s fin-%d" % (i, THE * 3, i), i * 2.5]
                     for i in range(300)]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    n = pages(out)
    assert n > 5
    seen = 0
    for p in range(1, n + 1):
        t = text(out, p)
        assert "Libellé" in t and "Montant" in t, p
        assert "page %d / %d" % (p, n) in t, p
        # Rows are never split across pages: a row's first and last
        # words are on the same page.
        for i in range(300):
            if "début-%d " % i in t + " ":
                assert "fin-%d" % i in t, (p, i)
                seen += 1
    assert seen == 300
    # The header is at the top of every page, above every row.
    for p in (2, n):
        words = page_words(out, p)
        head = [w for w in words if w[0] == "Libellé"][0]
        assert all(w[2] >= head[4] - 0.5 for w in words
                   if w[0].startswith("début-"))


def test_columns_share_the_width_by_their_content(ready):
    data = {"columns": ["N°", "Commentaire", "Montant"],
            "rows": [[i, " ".join([THE] * (1 + i % 4)), i * 1000.5]
                     for i in range(20)]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    words = page_words(out)
    n0 = [w for w in words if w[0] == "N°"][0]
    c0 = [w for w in words if w[0] == "Commentaire"][0]
    amounts = [w for w in words if w[0] == "19009.5"]
    assert amounts
    comment = [w for w in words if c0[1] - 1 <= w[1] < amounts[0][1] - 1]
    # The numbers keep the width they need, the text takes the rest.
    narrow = c0[1] - n0[1]
    wide = max(w[3] for w in comment) - c0[1]
    assert narrow < 40, narrow
    assert wide > 8 * narrow, (wide, narrow)
    assert amounts[0][3] <= 559 + 1
    # Portrait: the table fits by wrapping.
    info = subprocess.run(["pdfinfo", out], capture_output=True, text=True)
    w, h = [float(x) for x in info.stdout.split("Page size:")[1].split()[:3:2]]
    assert h > w


def test_a_cell_taller_than_a_page_is_bounded(ready):
    # 4 KiB of words in one of ten narrow columns: 40 lines at most, the
    # last ending with "…", and the row on one page.
    big = " ".join("mot%d" % i for i in range(800))
    data = {"columns": ["c%d" % i for i in range(10)],
            "rows": [["a"] * 9 + [big], ["b"] * 10]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    assert pages(out) == 1
    words = page_words(out)
    c9 = [w for w in words if w[0] == "c9"][0]
    mine = [w for w in words if w[1] >= c9[1] - 1 and
            w[0] not in ("c9", "b") and w[2] < 800]
    lines = column_lines(mine, c9[1] - 1, 9999)
    assert len(lines) == 40, len(lines)
    assert "…" in text(out)
    assert "mot0" in [w[0] for w in words]
    b = [w for w in words if w[0] == "b"]
    assert len(b) == 10 and b[0][2] > max(w[4] for w in mine)


def test_truetype_text_wraps_without_splitting_a_character(ready):
    ready.write_conf("[pdf]\ndir = pdf\nfont = %s\n" % DEJAVU)
    greek = "Αναφορά πωλήσεων για την Αθήνα και τη Θεσσαλονίκη " * 5
    data = {"columns": ["Τόπος", "Σχόλιο"], "rows": [["Αθήνα", greek]]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    t = " ".join(subprocess.run(["pdftotext", out, "-"], capture_output=True,
                                check=True).stdout.decode("utf-8").split())
    assert " ".join(greek.split()) in t
    assert "?" not in t and "\ufffd" not in t


def test_a_hundred_thousand_rows_render(ready):
    ready.write_conf("[pdf]\ndir = pdf\nmax_pages = 5000\n")
    data = {"title": "Grand livre", "columns": ["N°", "Libellé", "Débit"],
            "rows": [[i, "Écriture %d" % i, i * 0.5] for i in range(100000)]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    n = pages(out)
    assert n > 1000
    t = text(out, n)
    assert "page %d / %d" % (n, n) in t and "Écriture 99999" in t
    assert "Libellé" in t


def test_text_the_pdf_syntax_uses_is_shown_as_it_is(ready):
    # Parentheses and backslashes delimit and escape PDF strings.
    cells = ["f(x) = (a + b)", "C:\\rapports\\", ")(", "\\(", "%{<[/#]>}"]
    data = {"title": "Rapport (brouillon) \\ v2", "columns": ["a", "b"],
            "rows": [[c, i] for i, c in enumerate(cells)]}
    r, out, _ = render(ready, data)
    assert r.returncode == 0, r.stderr
    qpdf_ok(out)
    t = text(out)
    for s in cells + ["Rapport (brouillon) \\ v2"]:
        assert s in t, s


@pytest.mark.parametrize("form", ["text", "blob", "without-rowid",
                                  "integer", "empty"])
def test_report_data_read_whatever_its_storage(box, form):
    # report_data is read with SQLite's blob I/O where it can be (one
    # copy in memory), and selected where it cannot: a sync job's table
    # without rowids, a value that is not text.  Both read the same.
    data = json.dumps(SAMPLE, ensure_ascii=False)
    if form == "without-rowid":
        c = sqlite3.connect(box.db)
        c.execute("CREATE TABLE sync_reports (id INTEGER NOT NULL PRIMARY "
                  "KEY, title TEXT NOT NULL, recipients TEXT NOT NULL, "
                  "scheduled_at TEXT NOT NULL, sent INTEGER NOT NULL "
                  "DEFAULT 0, report_data TEXT) WITHOUT ROWID")
        c.execute("INSERT INTO sync_reports (id, title, recipients, "
                  "scheduled_at, report_data) VALUES (7, 'Ventes', "
                  "'a@example.com', '2026-11-23 07:00:00', ?)", (data,))
        c.commit()
        c.close()
        box.write_conf("[database]\ntable = sync_reports\n")
        rid = 7
    else:
        box.initdb()
        value = {"text": data, "blob": data.encode("utf-8"),
                 "integer": 42, "empty": ""}[form]
        rid = box.add(pdf_path=None, report_data=value)
    out = os.path.join(box.root, "out.pdf")
    r = box.run("render", str(rid), "-o", out)
    if form == "integer":
        assert r.returncode == 65, r.stderr
        assert "report_data is not a JSON object" in r.stderr
    elif form == "empty":
        assert r.returncode == 65, r.stderr
        assert "has no report_data" in r.stderr
    else:
        assert r.returncode == 0, r.stderr
        qpdf_ok(out)
        assert "Crème brûlée « maison » — œufs" in text(out)
    if form in ("integer", "empty"):
        assert not os.path.exists(out)
