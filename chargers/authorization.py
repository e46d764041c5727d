"""Id-tag authorization: Faultline monitors first, so every tag is accepted unless the charger's site
keeps a local list (then the list decides and unknown tags are Invalid)."""

from datetime import datetime

from chargers.models import AuthorizationStatus, Charger, LocalAuthorization
from chargers.protocol import group_commit


def authorize(charger_id: int, id_tag: str, at: datetime) -> str:
    site_id, uses_list = _site_rule(charger_id)
    if not uses_list:
        return AuthorizationStatus.ACCEPTED
    entry = LocalAuthorization.objects.filter(site_id=site_id, id_tag=id_tag).first()
    if entry is None:
        return AuthorizationStatus.INVALID
    return entry.status_at(at)


# The CALLs that ask for an id tag's authorization (StopTransaction and TransactionEvent when they
# carry one).
AUTHORIZING = frozenset({"Authorize", "StartTransaction", "StopTransaction", "TransactionEvent"})


def _site_rule(charger_id: int) -> tuple[int | None, bool]:
    """(site id, does the site keep a local list?) for the charger. Inside a group commit, one query
    answers for every charger of the batch whose CALLs authorize (sessions start together at shift
    changes); the batch's other chargers are not looked up."""
    rules = group_commit.batch_memo("site-authorization", dict)
    if charger_id not in rules:
        calls = group_commit.batch_keys("call")
        wanted = {charger_id} | {key[0] for key in calls if key[2] in AUTHORIZING}
        for pk, site_id, uses_list in Charger.objects.filter(pk__in=wanted).values_list(
            "pk", "site_id", "site__use_local_authorization_list"
        ):
            rules[pk] = (site_id, bool(uses_list))
    return rules.get(charger_id, (None, False))
