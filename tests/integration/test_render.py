"""The fallback PDF, checked with real tools: qpdf, pdftotext, pdfinfo,
pdftoppm."""
import json
import os
import subprocess

import pytest

from conftest import NOW_ARG

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


def test_wide_table_turns_the_page_and_cuts_long_cells(ready):
    cols = ["Colonne %d" % i for i in range(12)]
    rows = [["une valeur assez longue pour être coupée %d" % i] * 12
            for i in range(5)]
    r, out, _ = render(ready, {"columns": cols, "rows": rows})
    assert r.returncode == 0, r.stderr
    info = subprocess.run(["pdfinfo", out], capture_output=True, text=True)
    w, h = [float(x) for x in info.stdout.split("Page size:")[1].split()[:3:2]]
    assert w > h    # landscape
    assert "…" in text(out)


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
