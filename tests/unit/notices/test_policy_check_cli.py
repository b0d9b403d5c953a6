"""`csp-guard policy check` also renders every notice template beside the policy file."""

import shutil
from pathlib import Path

from lib.cli import main

ROOT = Path(__file__).parents[3]


def test_policy_check_passes_with_the_shipped_templates(capsys):
    assert main(["policy", "check", str(ROOT / "policy" / "collections.toml")]) == 0
    assert capsys.readouterr().out.strip().endswith("collections.toml: ok")


def test_policy_check_fails_on_an_unknown_variable_in_a_template(tmp_path, capsys):
    shutil.copy(ROOT / "policy" / "collections.toml", tmp_path / "collections.toml")
    shutil.copytree(ROOT / "policy" / "notices", tmp_path / "notices")
    html = tmp_path / "notices" / "zh-CN" / "final_notice.html"
    html.write_text(html.read_text(encoding="utf-8").replace("{% endblock %}", "{{ iban }}{% endblock %}", 1),
                    encoding="utf-8")
    assert main(["policy", "check", str(tmp_path / "collections.toml")]) == 1
    assert "final_notice.html: 'iban' is undefined" in capsys.readouterr().err


def test_policy_check_fails_when_a_notifying_stage_has_no_template(tmp_path, capsys):
    text = (ROOT / "policy" / "collections.toml").read_text(encoding="utf-8")
    (tmp_path / "collections.toml").write_text(text.replace('name = "reminder"', 'name = "friendly_nudge"'),
                                               encoding="utf-8")
    shutil.copytree(ROOT / "policy" / "notices", tmp_path / "notices")
    assert main(["policy", "check", str(tmp_path / "collections.toml")]) == 1
    assert "friendly_nudge.subject.txt: missing template" in capsys.readouterr().err
