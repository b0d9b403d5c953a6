"""Demo data: a dozen customers of a CSP partner in China, with Azure and Microsoft 365 subscriptions."""

from __future__ import annotations

import uuid
from typing import Any

_NAMESPACE = uuid.UUID("6f1c2a7e-3b9d-4c1e-9a55-0d2f4c8b7e10")
_COMPANIES = [
    "上海云帆科技有限公司", "北京星河数据有限公司", "深圳前海智联信息技术有限公司", "杭州西湖数字科技有限公司",
    "广州珠江物流有限公司", "成都天府软件有限公司", "南京紫金医疗科技有限公司", "武汉光谷智造有限公司",
    "苏州工业园区精密制造有限公司", "西安古城文旅集团有限公司", "天津滨海港务有限公司", "重庆山城电子商务有限公司",
]
# Billing contacts: (first name, last name, mailbox, culture). Most customers read Chinese; the Suzhou, Tianjin,
# Shenzhen and Xi'an companies have foreign finance teams and read English.
_BILLING_CONTACTS = [
    ("伟", "王", "caiwu", "zh-CN"), ("芳", "李", "finance", "zh-CN"), ("Grace", "Chen", "ap", "en-US"),
    ("敏", "张", "caiwu", "zh-CN"), ("强", "刘", "billing", "zh-CN"), ("静", "陈", "caiwu", "zh-CN"),
    ("磊", "杨", "finance", "zh-CN"), ("洋", "赵", "caiwu", "zh-CN"), ("Thomas", "Müller", "accounts.payable", "en-GB"),
    ("Emily", "Zhou", "finance", "en-US"), ("Kenji", "Sato", "ap", "en-US"), ("娟", "周", "billing", "zh-CN"),
]
_OFFERS = [
    ("Azure plan", "DZH318Z0BPS6:0001", "monthly"),
    ("Microsoft 365 E3", "CFQ7TTC0LFLZ:0001", "monthly"),
    ("Microsoft 365 Business Standard", "CFQ7TTC0LDPB:0001", "annual"),
    ("Office 365 E1", "CFQ7TTC0LF8R:0001", "monthly"),
    ("Microsoft Teams Rooms Pro", "CFQ7TTC0QW7C:0001", "monthly"),
]


def demo_customer_id(index: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"customer-{index}"))


def demo_customers() -> dict[str, Any]:
    customers = []
    for index, company in enumerate(_COMPANIES):
        cid = demo_customer_id(index)
        subs = []
        for n in range(2 + index % 4):
            name, offer_id, cycle = _OFFERS[(index + n) % len(_OFFERS)]
            subs.append({
                "id": str(uuid.uuid5(_NAMESPACE, f"{cid}-sub-{n}")), "offerId": offer_id, "offerName": name,
                "quantity": 1 if name == "Azure plan" else 10 + 5 * n, "billingCycle": cycle,
                # Every fourth customer has one subscription an operator suspended by hand in Partner Center.
                "status": "suspended" if index % 4 == 3 and n == 0 else "active",
            })
        first, last, mailbox, culture = _BILLING_CONTACTS[index]
        profile = {"firstName": first, "lastName": last, "email": f"{mailbox}@{cid[:8]}.partner.onmschina.cn",
                   "culture": culture, "language": "zh-Hans" if culture.startswith("zh") else "en"}
        entry: dict[str, Any] = {"id": cid, "companyName": company, "subscriptions": subs, "billingProfile": profile}
        if index == 5:
            azure = next(s for s in subs if s["offerName"] == "Azure plan")
            entry["fraudEvents"] = [{"subscriptionId": azure["id"],
                                     "eventType": "NetworkConnectionsToCryptoMiningPools",
                                     "eventTime": "2026-11-20T03:14:00Z", "severity": "High"}]
        customers.append(entry)
    return {"customers": customers}
