"""Which invoice a transfer's memo (摘要/附言/用途) names, if any.

Payers type the invoice number into the memo among other words (`付INV-2026-11-0042货款`), often in full-width
characters or another case, so the memo is compared after NFKC and case folding.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def invoice_in_memo(memo: str, open_invoices: Iterable[str], pattern: re.Pattern[str] | None = None) -> str | None:
    """The customer's open invoice the memo names; if none, the pattern's match (its first group if it has one).

    When the memo names several open invoices none is chosen, so the payment pays the oldest first as usual.
    """
    folded = _folded(memo)
    named = [invoice for invoice in open_invoices if invoice and _folded(invoice) in folded]
    # INV-1 is inside INV-12: keep only the ids that are not part of a longer one that was also found.
    named = [i for i in named if not any(o != i and _folded(i) in _folded(o) for o in named)]
    if len(named) == 1:
        return named[0]
    if named or pattern is None:
        return None
    found = pattern.search(unicodedata.normalize("NFKC", memo))
    if not found:
        return None
    return (found.group(1) if pattern.groups else found.group(0)) or None
