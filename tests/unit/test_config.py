from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.config.loader import collect, load_config
from callcenter.errors import ConfigError
from callcenter.paths import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "config"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(SHIPPED, target)
    shutil.copytree(PROJECT_ROOT / "ivr_prompts", tmp_path / "ivr_prompts",
                    ignore=shutil.ignore_patterns("build"))
    return target


def edit(path: Path, old: str, new: str) -> int:
    """Replace text in a file; returns the 1-based line where it now stands."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def problems_of(directory: Path) -> list[str]:
    _config, problems = collect(directory)
    return [str(p) for p in problems]


def test_shipped_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(SHIPPED)]) == 0
    config = load_config(SHIPPED)
    assert config.engine.asterisk.bind_address == "127.0.0.1"


def test_unknown_key(config_dir: Path) -> None:
    line = edit(config_dir / "engine.yaml", "  ping_interval_s: 10",
                "  ping_interval_s: 10\n  pingg: 3")
    assert problems_of(config_dir) == [
        f"{config_dir / 'engine.yaml'}:{line + 1}: unknown key 'pingg' in ami"]


def test_wrong_type(config_dir: Path) -> None:
    line = edit(config_dir / "engine.yaml", "  port: 4573", "  port: fast")
    (problem,) = problems_of(config_dir)
    assert problem.startswith(f"{config_dir / 'engine.yaml'}:{line}: agi.port: ")
    assert "integer" in problem


def test_missing_reference(config_dir: Path) -> None:
    line = edit(config_dir / "hotlines.yaml", "  greeting: welcome", "  greeting: hello-there")
    (problem,) = problems_of(config_dir)
    assert problem.startswith(f"{config_dir / 'hotlines.yaml'}:{line}: prompt 'hello-there' "
                              f"is declared neither in prompts.yaml")


def test_duplicated_number(config_dir: Path) -> None:
    line = edit(config_dir / "hotlines.yaml", 'number: "12301"', 'number: "12396"')
    problem, gone = problems_of(config_dir)
    assert gone.endswith("topics.旅游.hotline: 12301 is not a number of hotlines.yaml")
    assert problem == (f"{config_dir / 'hotlines.yaml'}:{line}: number 12396 (dialed as 12396) "
                       f"is already the number of 全国统一科技公益服务电话 (12396)")


def test_landline_clashing_without_its_area_code(config_dir: Path) -> None:
    edit(config_dir / "hotlines.yaml", 'number: "12301"', 'number: "8929999"')
    line = edit(config_dir / "hotlines.yaml", 'number: "0931—8929999"', 'number: "0931—8929999"')
    problem, _gone_12301 = problems_of(config_dir)
    assert problem == (f"{config_dir / 'hotlines.yaml'}:{line}: number 0931—8929999 (dialed as "
                       f"8929999) is already the number of 全国统一旅游资讯服务电话 (8929999)")


def test_malformed_number_and_unknown_section(config_dir: Path) -> None:
    number_line = edit(config_dir / "hotlines.yaml", 'number: "12301"', 'number: "12-3O1"')
    section_line = edit(config_dir / "hotlines.yaml", "  - section: merged\n    serial: 3",
                        "  - section: mergd\n    serial: 3")
    problems = problems_of(config_dir)
    assert any(f"hotlines.yaml:{number_line}: hotlines[1].number: " in p
               and "is not a hotline number" in p for p in problems), problems
    assert any(f"hotlines.yaml:{section_line}: hotlines[2].section: " in p for p in problems)


def test_unknown_queue(config_dir: Path) -> None:
    line = edit(config_dir / "hotlines.yaml", "    queue: q12315", "    queue: q99999")
    (problem,) = problems_of(config_dir)
    assert problem == (f"{config_dir / 'hotlines.yaml'}:{line}: queue 'q99999' is not defined "
                       f"in queues.yaml")


def test_menu_naming_a_missing_prompt(config_dir: Path) -> None:
    line = edit(config_dir / "hotlines.yaml", "    queue: q12333",
                "    queue: q12333\n    menu:\n      prompt: menu-nowhere\n"
                "      options: {'1': {queue: q12333}}\n      default: {queue: q12333}")
    (problem,) = problems_of(config_dir)
    assert problem.startswith(f"{config_dir / 'hotlines.yaml'}:{line + 2}: prompt "
                              f"'menu-nowhere' is declared neither")


def test_missing_prompt_file(config_dir: Path) -> None:
    line = edit(config_dir / "prompts.yaml", "    text: 请稍候，正在为您转接。",
                "    text: 请稍候，正在为您转接。\n    file: recorded/hold.wav")
    (problem,) = problems_of(config_dir)
    assert problem.startswith(f"{config_dir / 'prompts.yaml'}:{line + 1}: "
                              f"prompts.please-hold.file: 'recorded/hold.wav' not found")


def test_yaml_syntax_error(config_dir: Path) -> None:
    line = edit(config_dir / "prompts.yaml", "  welcome:", "  welcome: [unclosed")
    (problem,) = problems_of(config_dir)
    assert problem.startswith(f"{config_dir / 'prompts.yaml'}:")
    reported = int(problem.split(":")[1])
    assert line <= reported <= line + 1
    assert "YAML syntax error" in problem


def test_duplicate_key_is_a_syntax_error(config_dir: Path) -> None:
    line = edit(config_dir / "engine.yaml", "  port: 4573", "  port: 4573\n  port: 4574")
    (problem,) = problems_of(config_dir)
    assert f"engine.yaml:{line + 1}:" in problem and "duplicate" in problem


def test_all_problems_at_once_and_exit_2(config_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    edit(config_dir / "engine.yaml", "  ping_interval_s: 10", "  ping_interval_s: -1")
    edit(config_dir / "engine.yaml", "  log_full_numbers: false", "  log_full_numbers: maybe")
    edit(config_dir / "prompts.yaml", "    text: 请稍候，正在为您转接。", "    txt: 请稍候")
    assert main(["check-config", str(config_dir)]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 4, out  # txt unknown + text missing + two engine problems
    assert all(line.split(":")[1].isdigit() for line in out)
    with pytest.raises(ConfigError):
        load_config(config_dir)


def test_engine_refuses_to_start_on_invalid_config(config_dir: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    edit(config_dir / "engine.yaml", "  port: 4573", "  port: 99999")
    assert main(["--config", str(config_dir), "run"]) == 2
    err = capsys.readouterr().err
    assert "agi.port" in err and "nothing was started" in err


def test_recorded_prompt_dropped_in_wins(config_dir: Path) -> None:
    config = load_config(config_dir)
    assert config.recorded_prompt("welcome") is None
    dropped = config_dir.parent / "ivr_prompts" / "welcome.wav"
    dropped.write_bytes(b"RIFF")
    assert load_config(config_dir).recorded_prompt("welcome") == dropped.resolve()


def test_agent_skill_naming_an_unknown_queue(config_dir: Path) -> None:
    line = edit(config_dir / "agents.yaml", "skills: {q12348: 5, q12345: 1}",
                "skills: {q12348: 5, q12345: 1, q99999: 2}")
    (problem,) = problems_of(config_dir)
    assert problem == (f"{config_dir / 'agents.yaml'}:{line}: queue 'q99999' is not defined in "
                       f"queues.yaml")


def test_7x24_coverage_gaps_are_warnings(config_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # the night agent works weekdays only now: q12328 has nobody at weekend nights
    edit(config_dir / "agents.yaml", '{days: [mon, tue, wed, thu, fri, sat, sun], from: "00:00", '
         'to: "08:00"}', '{days: [mon, tue, wed, thu, fri], from: "00:00", to: "08:00"}')
    line = edit(config_dir / "queues.yaml", "  q12328:", "  q12328:")
    _config, problems = collect(config_dir)
    gaps = [str(p) for p in problems if "q12328" in str(p)]
    assert gaps == [f"{config_dir / 'queues.yaml'}:{line}: warning: queue q12328 takes calls but "
                    f"has no agent planned sat 00-08, sun 00-08"]
    assert main(["check-config", str(config_dir)]) == 0  # warnings do not fail the check
    assert "warning(s)" in capsys.readouterr().out


def test_overnight_shift() -> None:
    from callcenter.config.models import Shift

    shift = Shift.model_validate({"days": ["fri"], "from": "22:00", "to": "06:00"})
    assert [h for h in range(24) if shift.covers(4, h)] == [22, 23]  # friday
    assert [h for h in range(24) if shift.covers(5, h)] == [0, 1, 2, 3, 4, 5]  # saturday
    assert not any(shift.covers(0, h) for h in range(24))


def test_asterisk_sounds_replaced_by_text_or_recording(config_dir: Path) -> None:
    prompts = config_dir / "prompts.yaml"
    prompts.write_text(prompts.read_text(encoding="utf-8")
                       + "asterisk_sounds:\n  queue-thereare:\n    text: 您现在排第\n",
                       encoding="utf-8")
    config = load_config(config_dir)
    assert config.asterisk_sounds["queue-thereare"].text == "您现在排第"
    assert config.asterisk_sounds["digits/20"].text == "二十"
    assert config.recorded_sound("digits/5") is None
    dropped = config_dir.parent / "ivr_prompts" / "zh" / "digits" / "5.wav"
    dropped.parent.mkdir(parents=True)
    dropped.write_bytes(b"RIFF")
    assert load_config(config_dir).recorded_sound("digits/5") == dropped.resolve()


def test_unknown_asterisk_sound(config_dir: Path) -> None:
    prompts = config_dir / "prompts.yaml"
    text = prompts.read_text(encoding="utf-8")
    prompts.write_text(text + "asterisk_sounds:\n  queue-there-are:\n    text: 您排第\n",
                       encoding="utf-8")
    line = text.count("\n") + 2
    (problem,) = problems_of(config_dir)
    assert problem.startswith(f"{prompts}:{line}: ")
    assert "'queue-there-are' is not a sound Asterisk plays in the queue" in problem


def test_misspelt_placeholders_are_errors(config_dir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A placeholder that is not filled would be read out to callers ("左大括号 nmae …")."""
    hotlines, prompts = config_dir / "hotlines.yaml", config_dir / "prompts.yaml"
    default = edit(hotlines, "    greeting: 您好，欢迎致电{name}，",
                   "    greeting: 您好，欢迎致电{nmae}，")
    own = edit(hotlines, "    number: \"12396\"\n",
               "    number: \"12396\"\n    announcement: 您拨打的{name}（{number}）已并入12345｝\n")
    said = edit(prompts, "    text: 请稍候，正在为您转接。",
                "    text: 请稍候，正在为您转接{name}。")
    assert main(["check-config", str(config_dir)]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        f"{hotlines}:{default}: defaults.dual.greeting: unknown placeholder {{nmae}} would be "
        "read out to callers; allowed: {name}, {number}",
        f"{hotlines}:{own + 1}: hotlines[0].announcement: stray '｝' would be read out to "
        "callers; allowed: {name}, {number}",
        f"{prompts}:{said}: prompts.please-hold.text: unknown placeholder {{name}} would be "
        "read out to callers; this text is said as written (no placeholders are filled in it)",
    ]


def test_shipped_placeholders_are_filled() -> None:
    config = load_config(SHIPPED)
    texts = [p.text for p in config.all_prompts.values()]
    assert texts and not any(brace in text for text in texts for brace in "{}｛｝")


def test_control_characters_in_any_text_are_errors_with_their_line(
        config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A crafted agent name with a line break could add a [section] with a known password to
    the generated pjsip.conf: every text value with a control character is refused."""
    agents = config_dir / "agents.yaml"
    text = agents.read_text(encoding="utf-8")
    first_name = text[text.index("name: ") + 6:].split("\n", 1)[0]
    line = edit(agents, f"name: {first_name}",
                'name: "坐席\\n[agent-1001]\\ntype = auth\\npassword = x"')
    queues = config_dir / "queues.yaml"
    qline = edit(queues, "title: 12345政务服务便民热线", 'title: "12345\\u0000热线"')
    assert main(["check-config", str(config_dir)]) == 2
    out = capsys.readouterr().out
    assert f"agents.yaml:{line}:" in out and "control character ('\\n')" in out
    assert f"queues.yaml:{qline}:" in out and "control character ('\\x00')" in out


@pytest.mark.parametrize("dial", [
    "PJSIP/x,Gosub(evil,s,1)", "Local/1${SHELL(id)}@ctx", "PJSIP/a;comment", "PJSIP/a|b",
    "PJSIP/a(b)", "Gosub(cc-route,s,1)", "PJSIP/", "PJSIP/a&", "pjsip/a"])
def test_a_dial_string_follows_the_grammar(config_dir: Path, dial: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    line = edit(config_dir / "hotlines.yaml", "destination: {endpoint: subcenter-12305}",
                f"destination: {{dial: '{dial}'}}")
    assert main(["check-config", str(config_dir)]) == 2
    out = capsys.readouterr().out
    assert f"hotlines.yaml:{line}:" in out or f"hotlines.yaml:{line + 1}:" in out, out


@pytest.mark.parametrize("dial", ["PJSIP/12305@carrier", "Local/12305@cc-seats/n",
                                  "PJSIP/seat-1&PJSIP/seat-2", "IAX2/peer/12305"])
def test_good_dial_strings_pass(config_dir: Path, dial: str) -> None:
    edit(config_dir / "hotlines.yaml", "destination: {endpoint: subcenter-12305}",
         f"destination: {{dial: '{dial}'}}")
    config, problems = collect(config_dir)
    assert config is not None and not [p for p in problems if not p.warning], problems
