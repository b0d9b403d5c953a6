"""Fraud-event paging against servers that do not page as documented: the listing ends, and nothing repeats."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3

from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.tokens import StaticTokenProvider


class _FixedAnswer(requests.adapters.BaseAdapter):
    """Answers every fraud-event page with the same array, as a server that ignores PageSize/PageNumber would."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        super().__init__()
        self.events = events
        self.pages: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.pages.append(parse_qs(urlsplit(str(request.url)).query)["PageNumber"][0])
        content = json.dumps(self.events).encode()
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(content), status=200, preload_content=False)
        response.request = request
        return response

    def close(self) -> None:
        pass


def _client(adapter: _FixedAnswer, page_size: int) -> PartnerCenterClient:
    session = requests.Session()
    session.mount("http://", adapter)
    return PartnerCenterClient("http://127.0.0.1:9", StaticTokenProvider("t"), session=session, page_size=page_size)


def test_a_server_that_ignores_paging_is_read_once_not_forever():
    events = [{"eventId": f"e-{n}", "customerTenantId": "c", "subscriptionId": "s"} for n in range(5)]
    adapter = _FixedAnswer(events)
    listed = [e.event_id for e in _client(adapter, page_size=5).list_fraud_events()]
    assert listed == [f"e-{n}" for n in range(5)]
    assert adapter.pages == ["1", "2"]  # page 2 brought nothing new: the end


def test_a_short_first_page_is_the_whole_listing():
    adapter = _FixedAnswer([{"eventId": "only", "customerTenantId": "c"}])
    assert [e.event_id for e in _client(adapter, page_size=100).list_fraud_events()] == ["only"]
    assert adapter.pages == ["1"]
