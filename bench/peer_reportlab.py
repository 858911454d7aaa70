"""The reportlab peer of bench_render.py: the fallback PDF's layout drawn
with reportlab (Debian's python3-reportlab), in one process, from the same
report_data JSON: A4, the title and the generation time, the table with
its header repeated on every page and its numbers right-aligned, and a
footer with the title and "page i / n" on every page (the usual two-pass
numbered canvas: n is known only at the end).

    peer_reportlab.py DATA.json OUT.pdf
"""
import datetime
import json
import sys

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen import canvas
from reportlab.platypus import (LongTable, Paragraph, SimpleDocTemplate,
                                Spacer, TableStyle)

MARGIN = 40


class NumberedCanvas(canvas.Canvas):
    """Keeps each page's state, then draws "page i / n" on all of them."""

    def __init__(self, *args, **kw):
        self.footer_title = kw.pop("footer_title", "")
        canvas.Canvas.__init__(self, *args, **kw)
        self.pages = []

    def showPage(self):
        self.pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        n = len(self.pages)
        for state in self.pages:
            self.__dict__.update(state)
            self.footer(n)
            canvas.Canvas.showPage(self)
        canvas.Canvas.save(self)

    def footer(self, n):
        w, _ = A4
        self.setStrokeColor(colors.grey)
        self.setLineWidth(0.5)
        self.line(MARGIN, 30, w - MARGIN, 30)
        self.setFont("Helvetica", 7)
        self.setFillColor(colors.grey)
        self.drawString(MARGIN, 20, self.footer_title)
        self.drawRightString(w - MARGIN, 20, "page %d / %d"
                             % (self._pageNumber, n))


def cell(v):
    if v is None:
        return ""
    return str(v)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    title = data.get("title", "")
    cols = data.get("columns", [])
    rows = data.get("rows", [])
    numeric = [i for i in range(len(cols))
               if any(isinstance(r[i], (int, float)) for r in rows[:50]
                      if i < len(r))]
    table = LongTable([cols] + [[cell(v) for v in r] for r in rows],
                      repeatRows=1, hAlign="LEFT")
    style = [("FONT", (0, 0), (-1, -1), "Helvetica", 8),
             ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#2f5d9b")),
             ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
             ("TOPPADDING", (0, 0), (-1, -1), 1.5),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]
    style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in numeric]
    table.setStyle(TableStyle(style))
    generated = datetime.datetime.now(datetime.timezone.utc).strftime(
        "Generated %Y-%m-%d %H:%M UTC")
    story = [Paragraph(title, ParagraphStyle(
                 "t", fontName="Helvetica-Bold", fontSize=16, leading=20)),
             Paragraph(generated, ParagraphStyle(
                 "g", fontName="Helvetica", fontSize=8,
                 textColor=colors.grey)),
             Spacer(1, 10), table]
    doc = SimpleDocTemplate(sys.argv[2], pagesize=A4, leftMargin=MARGIN,
                            rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 10, title=title)
    doc.build(story, canvasmaker=lambda *a, **k: NumberedCanvas(
        *a, footer_title=title, **k))


if __name__ == "__main__":
    main()
