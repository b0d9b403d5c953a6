"""Who a customer is, in words: company names and subscriptions from Partner Center.

Names are asked for on first sight (the console meets a customer it has no name for: `GET /v1/customers/{id}`)
and kept up to date by reconcile (`GET /v1/customers`, paged, once per run). Subscriptions of a customer the
console opens are listed from Partner Center when csp-guard knows none yet; reconcile adds any new ones and keeps
their offer names for the customers at risk. Neither ever changes a subscription's recorded status or reasons:
those belong to suspension and to reconcile's drift check.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

from lib.partner_center.errors import NotFoundError, PartnerCenterError
from lib.partner_center.models import Customer, Subscription
from lib.store.companies import Companies, Company
from lib.store.errors import ConcurrencyConflict
from lib.store.subscriptions import Subscriptions, SubscriptionState

log = logging.getLogger("csp_guard.customer_names")
FIRST_SIGHT_LIMIT = 25  # names asked for per page view; reconcile fetches the rest in one paged call
ASK_AGAIN_AFTER = timedelta(days=1)  # for a customer Partner Center said it does not know


class CustomerCatalogPort(Protocol):
    def get_customer(self, customer_id: str, *, correlation_id: str | None = None) -> Customer:
        ...

    def list_customers(self, *, correlation_id: str | None = None) -> Iterator[Customer]:
        ...

    def list_subscriptions(self, customer_id: str, *, correlation_id: str | None = None) -> Iterable[Subscription]:
        ...


class CustomerNames:
    def __init__(self, companies: Companies, partner_center: CustomerCatalogPort, subscriptions: Subscriptions, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 first_sight_limit: int = FIRST_SIGHT_LIMIT) -> None:
        self._companies = companies
        self._pc = partner_center
        self._subscriptions = subscriptions
        self._clock = clock
        self._limit = first_sight_limit

    def names(self, customer_ids: Iterable[str]) -> dict[str, Company]:
        """Every known company among `customer_ids`, asking Partner Center for those seen for the first time."""
        known = self._companies.all()
        now = self._clock()
        asked = 0
        for customer_id in customer_ids:
            key = customer_id.lower()
            company = known.get(key)
            if company is not None and (company.found or not _stale(company, now)):
                continue
            if asked >= self._limit:
                break
            asked += 1
            fetched = self._fetch(key, now)
            if fetched is not None:
                known[key] = fetched
        return known

    def name(self, customer_id: str) -> Company | None:
        return self.names([customer_id]).get(customer_id.lower())

    def subscriptions(self, customer_id: str) -> dict[str, SubscriptionState]:
        """What csp-guard knows of the customer's subscriptions; listed from Partner Center when it knows none."""
        known = self._subscriptions.for_customer(customer_id)
        if known:
            return known
        try:
            self._record_subscriptions(customer_id, self._pc.list_subscriptions(customer_id), known)
        except PartnerCenterError as exc:
            log.warning("subscriptions of %s not listed: %s", customer_id, exc)
            return known
        return self._subscriptions.for_customer(customer_id)

    def refresh(self, at_risk: Iterable[str]) -> list[str]:
        """Reconcile's step: every name Partner Center lists, and the subscriptions of the customers at risk.
        Returns the errors met (each also logged); one customer's failure does not stop the rest."""
        errors: list[str] = []
        now = self._clock()
        try:
            known = self._companies.all()
            for customer in self._pc.list_customers():
                key = customer.id.lower()
                before = known.get(key)
                if before is None or before.name != customer.company_name or not before.found:
                    self._companies.save(Company(key, customer.company_name, customer.domain, True, now))
        except PartnerCenterError as exc:
            errors.append(f"company names: {exc}")
        for customer_id in at_risk:
            try:
                self._record_subscriptions(customer_id, self._pc.list_subscriptions(customer_id),
                                           self._subscriptions.for_customer(customer_id))
            except PartnerCenterError as exc:
                errors.append(f"subscriptions of {customer_id}: {exc}")
        for error in errors:
            log.warning("customer names refresh: %s", error)
        return errors

    def _fetch(self, customer_id: str, now: datetime) -> Company | None:
        try:
            customer = self._pc.get_customer(customer_id)
        except NotFoundError:
            company = Company(customer_id, "", found=False, checked_at=now)
        except PartnerCenterError as exc:
            log.warning("company name of %s not fetched: %s", customer_id, exc)
            return None
        else:
            company = Company(customer_id, customer.company_name, customer.domain, True, now)
        self._companies.save(company)
        return company

    def _record_subscriptions(self, customer_id: str, listed: Iterable[Subscription],
                              known: dict[str, SubscriptionState]) -> None:
        for subscription in listed:
            offer = subscription.friendly_name or subscription.offer_name
            mine = known.get(subscription.id)
            try:
                if mine is None:
                    self._subscriptions.save(SubscriptionState(customer_id, subscription.id,
                                                               pc_status=subscription.status, offer_name=offer))
                elif offer and mine.offer_name != offer:
                    # Only the name: the status is suspension's record, compared by reconcile's drift check.
                    self._subscriptions.save(dataclasses.replace(mine, offer_name=offer))
            except ConcurrencyConflict:
                continue  # suspension wrote it meanwhile; its record wins and the name comes next run


def _stale(company: Company, now: datetime) -> bool:
    return company.checked_at is None or now - company.checked_at >= ASK_AGAIN_AFTER
