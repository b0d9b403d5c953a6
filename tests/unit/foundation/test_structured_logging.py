import json
import logging

from lib.structured_logging import JsonLinesFormatter, Redactor, invocation_context


def render(formatter, message, *args, **extra):
    record = logging.LogRecord("csp_guard.test", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return formatter.format(record)


def test_each_line_is_json_with_the_invocations_correlation_id():
    formatter = JsonLinesFormatter()
    with invocation_context("health", "corr-123"):
        line = render(formatter, "hello %s", "world", run_id="r1")
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["correlation_id"] == "corr-123" and entry["function"] == "health"
    assert entry["run_id"] == "r1" and entry["level"] == "INFO"


def test_configured_secrets_and_secret_shaped_values_are_masked():
    formatter = JsonLinesFormatter(Redactor(["pc-client-secret-value"]))
    line = render(formatter, "calling with %s and %s and %s and %s", "pc-client-secret-value",
                  "Authorization: Bearer eyJhbGciOi.abc.def", "AccountKey=abc123==;", "whsec_c2VjcmV0")
    assert "pc-client-secret-value" not in line
    assert "eyJhbGciOi" not in line and "abc123" not in line and "c2VjcmV0" not in line
    assert line.count("***") == 4


def test_a_new_correlation_id_is_made_when_none_is_given():
    with invocation_context("scan") as first, invocation_context("scan") as second:
        assert first and second and first != second
