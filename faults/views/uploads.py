"""Checking uploaded site photos by what they contain, not by what they are called."""

from django.conf import settings
from django.core.exceptions import ValidationError

# Leading bytes of the image formats a phone camera produces and a browser can show.
SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]


def photo_content_type(upload) -> str:
    """The detected type of an uploaded photo, or ValidationError with a reason people understand."""
    limit = min(settings.MAX_UPLOAD_BYTES, 10 * 1024 * 1024)
    if upload.size > limit:
        raise ValidationError(f"The photo is {upload.size // 1024} KiB; the limit is {limit // 1024} KiB.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    raise ValidationError("That file is not a JPEG, PNG or WebP photo.")
