"""Manual files made in the tests: CSV, XLSX and PDF code tables, and hostile look-alikes."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

ROWS = [
    ("E101", "Emergency stop button pressed", "Release the button and reset the charger"),
    ("E205", "Cooling fan failure", "Replace the fan"),
    ("0x6012", "Rectifier output abnormal while idle", "Remote reset, then vendor service"),
]


def csv_file(rows=ROWS, header=("Error code", "Description", "Remedy"), name="manual.csv", delimiter=","):
    lines = [delimiter.join(header)] + [delimiter.join(f'"{cell}"' for cell in row) for row in rows]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def xlsx_bytes(rows=ROWS, header=("Code", "Meaning", "Action")) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file(rows=ROWS, name="manual.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(rows), content_type="application/octet-stream")


def pdf_bytes(rows=ROWS, title="Acme DC 60 service manual: fault codes") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawString(50, 800, title)
    page.drawString(50, 760, "Code")
    page.drawString(120, 760, "Description")
    page.drawString(360, 760, "Action")
    for index, (code, meaning, action) in enumerate(rows, start=1):
        page.drawString(50, 760 - 20 * index, code)
        page.drawString(120, 760 - 20 * index, meaning)
        page.drawString(360, 760 - 20 * index, action)
    page.drawString(280, 40, "Page 1")
    page.showPage()
    page.save()
    return buffer.getvalue()


def pdf_file(rows=ROWS, name="manual.pdf"):
    return SimpleUploadedFile(name, pdf_bytes(rows), content_type="application/pdf")


def zip_bomb_xlsx(name="bomb.xlsx", size=60 * 1024 * 1024):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * size)
    return SimpleUploadedFile(name, buffer.getvalue())


def entity_bomb_xlsx(name="laughs.xlsx"):
    """A workbook whose sheet XML defines nested entities (the 'billion laughs')."""
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row></sheetData></worksheet>'
    )
    real = zipfile.ZipFile(io.BytesIO(xlsx_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in real.infolist():
            data = sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else real.read(item.filename)
            archive.writestr(item.filename, data)
    return SimpleUploadedFile(name, buffer.getvalue())
