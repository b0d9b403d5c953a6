"""Whether a customer notice may leave csp-guard: the one place that reads NOTICES_MODE for that.

Notices are not Partner Center writes, so ENFORCEMENT_MODE (shadow, review) and ENFORCEMENT_PAUSED do not stop them
(DESIGN.md, One write gate: "Customer notices follow NOTICES_MODE instead"). Every outside write still goes
through the one write gate: when lib/services/write_gate.py is merged, the gate answers for a customer notice by
calling `notice_disposition`, and the outbox and the sender ask the gate instead of calling this directly.
"""

from __future__ import annotations

from typing import Literal

Disposition = Literal["send", "record"]


def notice_disposition(notices_mode: str) -> Disposition:
    """`send`: the notice is queued and mailed. `record`: it is rendered and kept, never mailed."""
    return "send" if notices_mode == "send" else "record"
