"""The development host's queue trigger: host.json retry and poison rules against a real queue."""

import json
import threading

import pytest

from lib.devhost.host_config import QueueOptions
from lib.devhost.queue_poller import QueuePoller
from lib.devhost.registrations import QueueFunction
from lib.store.queues import MessageQueue

pytestmark = pytest.mark.integration


def poller(settings, handler, max_dequeue=3):
    queue = MessageQueue.from_settings(settings.storage, settings.service_requests_queue)
    queue.ensure()
    function = QueueFunction("test_fn", settings.service_requests_queue, "AzureWebJobsStorage", "msg", handler)
    options = QueueOptions(batch_size=4, max_dequeue_count=max_dequeue, visibility_timeout_seconds=0)
    return queue, QueuePoller(function, queue, options, threading.Event())


def test_a_handled_message_is_deleted_and_its_body_arrives_decoded(settings):
    seen = []
    queue, p = poller(settings, lambda msg: seen.append((msg.get_json(), msg.dequeue_count)))
    queue.send_json({"case_id": "c-1"})
    assert p.poll_once() == 1
    assert seen == [({"case_id": "c-1"}, 1)]
    assert queue.approximate_count() == 0


def test_a_failing_message_is_retried_then_moved_to_poison_after_max_dequeue_count(settings):
    attempts = []

    def failing(msg):
        attempts.append(msg.dequeue_count)
        raise RuntimeError("Partner Center said no")

    queue, p = poller(settings, failing, max_dequeue=3)
    queue.send_json({"case_id": "c-2"})
    for _ in range(5):
        p.poll_once()
    assert attempts == [1, 2, 3]
    assert queue.approximate_count() == 0
    assert [json.loads(b) for b in queue.peek(poison=True)] == [{"case_id": "c-2"}]


def test_the_messages_of_one_batch_run_in_parallel_as_the_host_runs_them(settings):
    arrived = threading.Barrier(3, timeout=10)  # breaks (and the handlers fail) unless three run at once
    done = []

    def meet(msg):
        arrived.wait()
        done.append(msg.get_json()["n"])

    queue, p = poller(settings, meet)
    for n in range(3):
        queue.send_json({"n": n})
    handled = 0
    while handled < 3:
        handled += p.poll_once()
    assert sorted(done) == [0, 1, 2] and queue.approximate_count() == 0
