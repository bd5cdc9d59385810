"""A rule-set file refused on load names the line of the key it refuses."""

from __future__ import annotations

from importlib import resources

import pytest

from pctrade.rules import RuleSetError, load_text

GD = (resources.files("pctrade.rules") / "data" / "GD" / "2022-05-06.toml").read_text()
CN = (resources.files("pctrade.rules") / "data" / "CN" / "2021-02-01.toml").read_text()


def _refusal(text: str) -> tuple[str, str]:
    """The refusal's message and the line it points at."""
    with pytest.raises(RuleSetError) as refused:
        load_text(text, "X/1.toml")
    message = refused.value.message
    assert message.endswith(")") and "(line " in message, message
    number = int(message.rsplit("(line ", 1)[1].rstrip(")"))
    return message, text.splitlines()[number - 1]


@pytest.mark.parametrize(
    ("base", "edit", "names", "line_starts"),
    [
        # a bad type, in a section
        (GD, ("price_step_fen_per_t = 1 ", "price_step_fen_per_t = 1.5 "), "integer", "price_step"),
        (CN, ("pool_fee_cap_bps = 1_000", 'pool_fee_cap_bps = "ten"'), "integer", "pool_fee_cap"),
        # an unknown key, in a section and at the top
        (GD, ("[trading]\n", "[trading]\nbogus = 1\n"), "unknown key 'bogus'", "bogus"),
        (GD, ("name = ", "colour = 'red'\nname = "), "unknown key 'colour'", "colour"),
        # a source's field
        (GD, ("assumption = true", "assumption = 3"), "true or false", "assumption = 3"),
        # a missing key: its table's header
        (GD, ("price_step_fen_per_t = 1 ", "# "), "missing key", "[trading]"),
        # a rule across keys: the key it names
        (
            CN,
            ("lots.PCER.price_step_fen_per_t = 100", "lots.PCER.price_step_fen_per_t = 3"),
            "whole fen",
            "lots.PCER",
        ),
    ],
)
def test_the_refusal_names_the_line_of_its_key(
    base: str, edit: tuple[str, str], names: str, line_starts: str
) -> None:
    assert edit[0] in base
    message, line = _refusal(base.replace(edit[0], edit[1], 1))
    assert names in message
    assert line.lstrip().startswith(line_starts), (message, line)


def test_a_syntax_error_keeps_the_parser_s_own_position() -> None:
    with pytest.raises(RuleSetError) as refused:
        load_text(GD + "\n[[[\n", "X/1.toml")
    assert "(at line" in refused.value.message and "(line " not in refused.value.message
