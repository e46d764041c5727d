"""What an uploaded file really is, decided by its content and never by its name."""

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from knowledgebase.importers import ImportRefused
from knowledgebase.vocabulary import ManualKind

_MAX_ZIP_MEMBERS = 2000
# A real workbook compresses text perhaps 10-20 times; hundreds of times is a zip bomb.
_MAX_COMPRESSION_RATIO = 200


@dataclass(frozen=True)
class Sniffed:
    kind: str
    data: bytes
    name: str


def read_upload(upload) -> bytes:
    """The upload's bytes, refusing anything larger than MAX_UPLOAD_BYTES before reading it all."""
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ImportRefused(
            f"The file is {filesizeformat(upload.size)}; uploads are limited to {filesizeformat(limit)}."
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImportRefused(f"The file is larger than the upload limit of {filesizeformat(limit)}.")
    if not data:
        raise ImportRefused("The file is empty.")
    return data


def _check_workbook_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRefused("The file looks like an Excel workbook but the archive is damaged.") from None
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/") for name in names):
        raise ImportRefused("The file is a ZIP archive but not an Excel workbook (.xlsx).")
    if len(members) > _MAX_ZIP_MEMBERS:
        raise ImportRefused("The workbook has too many parts to be a code table.")
    limit = settings.KB_MAX_XLSX_UNCOMPRESSED_BYTES
    total = sum(member.file_size for member in members)
    if total > limit:
        raise ImportRefused(
            f"The workbook would unpack to {filesizeformat(total)}, more than the {filesizeformat(limit)} "
            "allowed: it is refused as a possible zip bomb."
        )
    for member in members:
        if member.compress_size and member.file_size / member.compress_size > _MAX_COMPRESSION_RATIO:
            raise ImportRefused(
                f"Part {member.filename!r} of the workbook is compressed suspiciously well: refused as a "
                "possible zip bomb."
            )


def sniff(upload) -> Sniffed:
    """Decide whether the upload is a PDF, an XLSX workbook or a CSV file, by its bytes."""
    data = read_upload(upload)
    name = PurePath(getattr(upload, "name", "") or "upload").name
    suffix = PurePath(name).suffix.lower()
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return Sniffed(ManualKind.PDF, data, name)
    if data.startswith(b"PK\x03\x04"):
        _check_workbook_zip(data)
        return Sniffed(ManualKind.XLSX, data, name)
    claimed = {".pdf": "a PDF", ".xlsx": "an Excel workbook", ".xls": "an Excel workbook"}.get(suffix)
    if claimed:
        raise ImportRefused(f"The file is named {suffix} but its content is not {claimed}.")
    if b"\x00" in data[:8192]:
        raise ImportRefused("The file is not a PDF, an XLSX workbook or a CSV text file.")
    return Sniffed(ManualKind.CSV, data, name)
