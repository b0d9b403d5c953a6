import json
import logging
import sys

import pytest

from lib.structured_logging import JsonLinesFormatter, Redactor, configure_function_logging, invocation_context


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


class WorkerLikeHandler(logging.Handler):
    """Stands in for the Python worker's AsyncLoggingHandler: formats each record with its own formatter (none set,
    so logging's default) and hands the text to the host."""

    def __init__(self):
        super().__init__()
        self.shipped = []

    def emit(self, record):
        self.shipped.append(self.format(record))


@pytest.fixture
def root_logging():
    factory, root = logging.getLogRecordFactory(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in NOISY}
    yield root
    logging.setLogRecordFactory(factory)
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


NOISY = ("azure", "azure.core.pipeline.policies.http_logging_policy", "urllib3")


def test_under_the_worker_its_handler_stays_and_gets_masked_text(root_logging):
    worker = WorkerLikeHandler()
    root_logging.handlers[:] = [worker]  # pytest's own capture handlers are set per phase; keep only the worker's
    root_logging.setLevel(logging.INFO)
    configure_function_logging(["webhook-secret-value"])
    assert root_logging.handlers == [worker]
    logging.getLogger("csp_guard.test").warning("secret %s, header Bearer abc.def.ghi", "webhook-secret-value")
    assert worker.shipped == ["secret ***, header Bearer ***"]


def test_an_exceptions_text_is_masked_and_its_object_dropped_when_it_held_a_secret(root_logging):
    worker = WorkerLikeHandler()
    root_logging.handlers[:] = [worker]
    configure_function_logging(["pc-client-secret-value"])
    try:
        raise RuntimeError("token request failed with client_secret=pc-client-secret-value")
    except RuntimeError:
        logging.getLogger("csp_guard.test").exception("call failed")
    assert "pc-client-secret-value" not in worker.shipped[-1]
    assert "RuntimeError: token request failed with client_secret=***" in worker.shipped[-1]


def test_azure_core_http_logging_is_kept_to_warnings(root_logging):
    root_logging.handlers[:] = [WorkerLikeHandler()]
    configure_function_logging()
    for name in NOISY:
        assert logging.getLogger(name).level == logging.WARNING
    worker = root_logging.handlers[0]
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").info("Request URL: 'https://x'")
    assert worker.shipped == []


def test_without_a_host_handler_the_app_writes_masked_json_lines(root_logging, capsys):
    root_logging.handlers[:] = []
    configure_function_logging(["storage-key-value"])
    assert [getattr(h, "_cspguard", False) for h in root_logging.handlers] == [True]
    root_logging.handlers[0].stream = sys.stderr  # capsys swapped stderr after the handler was made
    logging.getLogger("csp_guard.test").info("key %s", "storage-key-value")
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert entry["message"] == "key ***" and entry["logger"] == "csp_guard.test"


def test_configuring_twice_replaces_the_masking_instead_of_stacking_it(root_logging):
    worker = WorkerLikeHandler()
    root_logging.handlers[:] = [worker]
    configure_function_logging(["first-secret-1"])
    configure_function_logging(["second-secret-2"])
    logging.getLogger("csp_guard.test").warning("%s %s", "first-secret-1", "second-secret-2")
    assert worker.shipped == ["first-secret-1 ***"]


def test_records_carry_the_invocations_correlation_id_for_handlers_that_export_attributes(root_logging):
    worker = WorkerLikeHandler()
    root_logging.handlers[:] = [worker]
    configure_function_logging()
    seen = []
    worker.addFilter(lambda record: seen.append(record) or True)
    with invocation_context("billing_webhook", "corr-42"):
        logging.getLogger("csp_guard.test").warning("recorded")
    assert (seen[0].correlation_id, seen[0].function) == ("corr-42", "billing_webhook")
