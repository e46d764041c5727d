"""The daily digest email of a site."""

from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from chargers.models import Site
from faults.models import AlertContact, SiteDigest
from faults.summary import daily_digest


def send_digest(site: Site, day) -> bool:
    """Write and email the site's digest for its local `day`; False if it already went out."""
    body = daily_digest(site, day)
    try:
        with transaction.atomic():
            SiteDigest.objects.create(site=site, day=day, body=body)
    except IntegrityError:
        return False  # another worker sent it
    recipients = list(
        AlertContact.objects.filter(site=site, active=True, receives_digest=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if recipients:
        send_mail(f"[Faultline] {site.name}: daily digest for {day:%Y-%m-%d}", body, None, recipients)
    return True
