"""Id-tag authorization: Faultline monitors first, so every tag is accepted unless the charger's site
keeps a local list (then the list decides and unknown tags are Invalid)."""

from datetime import datetime

from chargers.models import AuthorizationStatus, Charger, LocalAuthorization


def authorize(charger_id: int, id_tag: str, at: datetime) -> str:
    charger = (
        Charger.objects.select_related("site").only("site__use_local_authorization_list").get(pk=charger_id)
    )
    if charger.site is None or not charger.site.use_local_authorization_list:
        return AuthorizationStatus.ACCEPTED
    entry = LocalAuthorization.objects.filter(site_id=charger.site_id, id_tag=id_tag).first()
    if entry is None:
        return AuthorizationStatus.INVALID
    return entry.status_at(at)
