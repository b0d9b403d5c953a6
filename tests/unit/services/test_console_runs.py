"""The runs page's one line of counts per run."""

from lib.services.console_runs import count_items


def test_counts_are_flattened_one_level_and_what_is_empty_or_long_is_left_out():
    counts = {"accounts": 500, "changed": 3, "suspended": 0, "withheld": {"cap": 2, "notice_period": 0},
              "acting": "queued", "changes": [{"customer_id": "x"}], "agenda": {"through": "20261201", "due": 500},
              "stopped": None, "seconds": 0.096, "missed_customers": ["a", "b"]}
    assert count_items(counts) == [("accounts", "500"), ("acting", "queued"), ("agenda.due", "500"),
                                   ("agenda.through", "20261201"), ("changed", "3"), ("seconds", "0.096"),
                                   ("withheld.cap", "2")]
