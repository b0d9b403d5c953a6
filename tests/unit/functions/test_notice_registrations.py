"""The notices functions as the Functions worker reads them: the queue trigger and the four operator routes."""


def test_queue_send_notice_reads_the_queue_named_by_its_setting(registered):
    spec = registered["send_notice"].get_trigger().get_dict_repr()
    assert (spec["type"], spec["queueName"], spec["connection"]) == (
        "queueTrigger", "%NOTICES_QUEUE%", "AzureWebJobsStorage")


def test_http_notice_routes_are_function_level_and_answer_one_method_each(registered):
    def spec(name):
        trigger = registered[name].get_trigger().get_dict_repr()
        return (trigger["route"], [getattr(m, "value", m) for m in trigger["methods"]],
                getattr(trigger["authLevel"], "value", trigger["authLevel"]))

    assert {name: spec(name) for name in ("list_customer_notices", "preview_notice", "list_notices",
                                          "put_contacts")} == {
        "list_customer_notices": ("customers/{customer_id}/notices", ["GET"], "function"),
        "preview_notice": ("customers/{customer_id}/notices/preview", ["GET"], "function"),
        "list_notices": ("notices", ["GET"], "function"),
        "put_contacts": ("customers/{customer_id}/contacts", ["PUT"], "function"),
    }


def test_the_deliveries_the_functions_count_are_host_jsons_max_dequeue_count():
    from pathlib import Path

    from lib.devhost.host_config import load_host_config
    from lib.services.queue_delivery import MAX_DELIVERIES

    host_json = Path(__file__).parents[3] / "host.json"
    assert load_host_config(host_json).queues.max_dequeue_count == MAX_DELIVERIES
