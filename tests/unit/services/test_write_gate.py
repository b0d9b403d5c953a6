"""The write gate's table (DESIGN.md, One write gate), and the rule that nothing else reaches the client's writes."""

import ast
from pathlib import Path

import pytest

from lib.services.write_gate import Asker, Verdict, WriteGate, WriteKind, WriteRefused, decide, decide_notice

REPO = Path(__file__).resolve().parents[3]
WRITE_METHODS = {"set_subscription_status", "set_usage_budget", "create_service_request", "register_webhooks",
                 "request_test_event"}
AUTO, OPS, OWN = Asker.AUTOMATIC, Asker.OPERATOR, Asker.RESTORE_OWN
W, REC, P = Verdict.WRITE, Verdict.RECORD, Verdict.PROPOSE

# who asks -> (shadow, review, enforce, enforce with ENFORCEMENT_PAUSED), copied from DESIGN.md's table
TABLE = {AUTO: (REC, P, W, REC), OPS: (REC, W, W, W), OWN: (W, W, W, W)}


@pytest.mark.parametrize("kind", list(WriteKind))
@pytest.mark.parametrize("asker", [AUTO, OPS])
def test_decide_follows_the_design_table_for_every_write_kind(asker, kind):
    shadow, review, enforce, paused = TABLE[asker]
    assert decide(asker, kind, mode="shadow", paused=False) is shadow
    assert decide(asker, kind, mode="review", paused=False) is review
    assert decide(asker, kind, mode="enforce", paused=False) is enforce
    assert decide(asker, kind, mode="enforce", paused=True) is paused


@pytest.mark.parametrize("mode", ["shadow", "review", "enforce"])
def test_the_kill_switch_records_every_automatic_write_in_every_mode_and_never_stops_an_operator(mode):
    for kind in WriteKind:
        assert decide(AUTO, kind, mode=mode, paused=True) is REC
        assert decide(OPS, kind, mode=mode, paused=True) is decide(OPS, kind, mode=mode, paused=False)


@pytest.mark.parametrize("mode", ["shadow", "review", "enforce"])
@pytest.mark.parametrize("paused", [False, True])
def test_restoring_our_own_suspension_is_always_written(mode, paused):
    assert decide(OWN, WriteKind.SUBSCRIPTION_STATUS, mode=mode, paused=paused) is W


def test_a_restore_is_only_ever_a_subscription_status_and_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="only a subscription"):
        decide(OWN, WriteKind.SERVICE_REQUEST, mode="enforce", paused=False)
    with pytest.raises(ValueError, match="mode must be one of"):
        decide(AUTO, WriteKind.USAGE_BUDGET, mode="yolo", paused=False)


class RecordingWriter:
    def __init__(self):
        self.calls = []

    def set_subscription_status(self, customer_id, subscription, status, *, correlation_id=None):
        self.calls.append(("status", customer_id, status))

    def set_usage_budget(self, customer_id, amount_minor, *, correlation_id=None):
        self.calls.append(("budget", customer_id, amount_minor))

    def create_service_request(self, **kwargs):
        self.calls.append(("request", kwargs["title"]))


def test_the_gate_refuses_a_write_its_table_does_not_allow_even_when_nobody_asked_first():
    writer = RecordingWriter()
    gate = WriteGate(writer, proposals=None, mode="shadow", paused=False)
    with pytest.raises(WriteRefused, match="shadow mode"):
        gate.write_usage_budget(AUTO, "c1", 100)
    with pytest.raises(WriteRefused):
        gate.file_service_request(OPS, customer_id="c1", title="t", description="d", severity="Minimal",
                                  support_topic_id="1")
    with pytest.raises(WriteRefused, match="cannot suspend"):
        gate.write_subscription_status(OWN, "c1", object(), "suspended")
    assert writer.calls == []
    gate.write_subscription_status(OWN, "c1", object(), "active")
    assert writer.calls == [("status", "c1", "active")]


def test_paused_review_and_enforce_gates_answer_per_asker():
    writer = RecordingWriter()
    paused = WriteGate(writer, proposals=None, mode="enforce", paused=True)
    with pytest.raises(WriteRefused, match="ENFORCEMENT_PAUSED"):
        paused.write_usage_budget(AUTO, "c1", 100)
    paused.write_usage_budget(OPS, "c1", 100)
    assert paused.record_status(AUTO, WriteKind.USAGE_BUDGET) == "withheld"
    assert paused.why_not(AUTO, WriteKind.USAGE_BUDGET)["withheld_by"] == "kill_switch"
    review = WriteGate(writer, proposals=None, mode="review", paused=False)
    assert review.verdict(AUTO, WriteKind.SUBSCRIPTION_STATUS) is P and review.verdict(OPS, WriteKind.USAGE_BUDGET) is W
    assert writer.calls == [("budget", "c1", 100)]


def _production_modules():
    for folder in ("lib", "functions"):
        yield from sorted((REPO / folder).rglob("*.py"))
    yield REPO / "function_app.py"


def _write_calls(source: str, label: str) -> set[str]:
    """Every call of, or reference to, a client write method: a bound method handed around reaches round the gate
    just as well as a call."""
    found = set()
    for node in ast.walk(ast.parse(source, filename=label)):
        if isinstance(node, ast.Attribute) and node.attr in WRITE_METHODS:
            found.add(f"{label}:{node.lineno} {node.attr}")
        elif isinstance(node, ast.Name) and node.id in WRITE_METHODS:
            found.add(f"{label}:{node.lineno} {node.id}")
    return found


def _scan(path: Path) -> set[str]:
    return _write_calls(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))


def test_nothing_but_the_gate_reaches_the_partner_center_clients_write_methods():
    gate = REPO / "lib" / "services" / "write_gate.py"
    offenders = sorted(call for path in _production_modules() if path != gate for call in _scan(path))
    assert offenders == []
    assert _scan(gate), "the gate itself must be what calls them"


def test_the_scan_finds_a_call_or_a_bound_method_that_reaches_around_the_gate():
    source = "def f(pc):\n    pc.set_usage_budget('c', 1)\n    return pc.create_service_request\n"
    assert _write_calls(source, "x.py") == {"x.py:2 set_usage_budget", "x.py:3 create_service_request"}
    assert _write_calls("def set_usage_budget(self):\n    pass\n", "y.py") == set()


@pytest.mark.parametrize("mode", ["shadow", "review", "enforce"])
@pytest.mark.parametrize("paused", [False, True])
def test_a_customer_notice_follows_notices_mode_never_the_enforcement_mode_or_the_kill_switch(mode, paused):
    # ENFORCEMENT_MODE and ENFORCEMENT_PAUSED are deliberately not inputs: a notice is what makes a suspension fair.
    assert decide_notice("send") is Verdict.WRITE
    assert decide_notice("record") is Verdict.RECORD
    assert decide(Asker.AUTOMATIC, WriteKind.SUBSCRIPTION_STATUS, mode=mode, paused=paused) is not None


def test_only_the_notice_sender_which_asks_the_gate_reaches_smtp():
    """E-mail leaves through lib/notices/smtp_mailer.py alone, and only send_notice.py (which asks decide_notice
    before mailing) and the composition root that wires it refer to the mailer."""
    smtp_users = sorted(str(p.relative_to(REPO)) for p in _production_modules()
                        if "smtplib" in p.read_text(encoding="utf-8"))
    assert smtp_users == ["lib/notices/smtp_mailer.py"]
    mailer_users = sorted(str(p.relative_to(REPO)) for p in _production_modules()
                          if "SmtpMailer" in p.read_text(encoding="utf-8") and p.name != "smtp_mailer.py")
    assert mailer_users == ["lib/app_context.py", "lib/services/send_notice.py"]
    sender = (REPO / "lib" / "services" / "send_notice.py").read_text(encoding="utf-8")
    assert "decide_notice(" in sender


def test_webhook_configuration_passes_the_gate_for_an_operator_in_any_mode_and_never_automatically():
    class ConfigWriter(RecordingWriter):
        def register_webhooks(self, url, events, *, signature_in_ms_signature_header=False, correlation_id=None):
            self.calls.append(("register", url))

        def request_test_event(self, *, correlation_id=None):
            self.calls.append(("test", None))

    writer = ConfigWriter()
    gate = WriteGate(writer, None, mode="shadow", paused=True)
    gate.configure_webhooks(OPS, "https://app.example.cn/api/webhooks/partner-center", ["test-created"])
    gate.ask_for_test_event(OPS)
    assert writer.calls == [("register", "https://app.example.cn/api/webhooks/partner-center"), ("test", None)]
    with pytest.raises(WriteRefused, match="only an operator"):
        gate.configure_webhooks(AUTO, "https://x.example.cn", [])
    with pytest.raises(WriteRefused, match="only an operator"):
        gate.ask_for_test_event(AUTO)
    assert len(writer.calls) == 2
