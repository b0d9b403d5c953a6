"""Who receives a customer's notices, in which language, under which company name.

Recipients: the operators' `contacts` for the customer if they name any `to`, else the e-mail of the customer's
Partner Center billing profile. Language: the contacts' language, else the billing profile's culture (zh-* is
zh-CN, any other culture en), else its language tag, else zh-CN (the market csp-guard serves).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lib.notices.render import language_of
from lib.partner_center.errors import NotFoundError
from lib.partner_center.models import BillingProfile
from lib.store.contacts import ContactBook

DEFAULT_LANGUAGE = "zh-CN"


class BillingProfiles(Protocol):
    def get_billing_profile(self, customer_id: str, *, correlation_id: str | None = None) -> BillingProfile: ...


@dataclass(frozen=True)
class Addressing:
    to: tuple[str, ...]
    cc: tuple[str, ...]
    language: str
    company_name: str  # '' when Partner Center does not know the customer


class NoticeAddressing:
    def __init__(self, contacts: ContactBook, profiles: BillingProfiles) -> None:
        self._contacts = contacts
        self._profiles = profiles

    def resolve(self, customer_id: str) -> Addressing:
        """Partner Center faults (429/5xx/timeouts after the client's retries) propagate: the caller retries."""
        contacts = self._contacts.get(customer_id)
        try:
            profile: BillingProfile | None = self._profiles.get_billing_profile(customer_id)
        except NotFoundError:
            profile = None
        to = contacts.to if contacts and contacts.to else ((profile.email,) if profile and profile.email else ())
        language = (contacts.language if contacts else None) or (
            language_of(profile.culture) or language_of(profile.language) if profile else None)
        return Addressing(to=to, cc=contacts.cc if contacts else (), language=language or DEFAULT_LANGUAGE,
                          company_name=profile.company_name if profile else "")

    def contacts_changed_at(self, customer_id: str) -> datetime | None:
        contacts = self._contacts.get(customer_id)
        return contacts.updated_at if contacts else None
