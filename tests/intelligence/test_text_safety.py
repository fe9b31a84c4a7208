"""Text from strangers must not ping, inject markup or break a chat message."""

from __future__ import annotations

import pytest

from cxradar.intelligence.text_safety import ELLIPSIS, clean_text, sanitize_untrusted, shorten

PINGS = ["@channel", "@here", "@everyone", "@all"]
ANGLE_SYNTAX = ["<!channel>", "<!here>", "<!everyone>", "<@U123ABC>", "<@&987654>", "<#C024BE7LR>"]


@pytest.mark.parametrize("ping", PINGS)
def test_mass_mentions_are_broken(ping):
    result = sanitize_untrusted(f"hey {ping} look at this")
    assert ping not in result
    assert ping[1:] in result  # the word is still readable


@pytest.mark.parametrize("syntax", ANGLE_SYNTAX)
def test_slack_and_discord_angle_syntax_is_neutralised(syntax):
    result = sanitize_untrusted(f"ping {syntax} now")
    assert "<" not in result and ">" not in result
    assert syntax[1:-1].replace("@", "@\u200b") in result


def test_full_width_lookalikes_are_folded_then_escaped():
    result = sanitize_untrusted("＠everyone ＜!here＞")
    assert "@everyone" not in result and "<" not in result and "＠everyone" not in result


def test_html_and_script_tags_cannot_survive():
    result = sanitize_untrusted('<script>alert(1)</script><img src=x onerror="x()">')
    assert "<script" not in result and "<img" not in result and "<" not in result
    assert "alert(1)" in result  # shown as text, not dropped: the reader sees what was posted


def test_html_entities_cannot_decode_into_pings():
    result = sanitize_untrusted("&lt;!here&gt; and &#64;channel")
    assert "&lt;" not in result and "&#64;" not in result


def test_markdown_links_images_and_code_are_defused():
    text = "[click](http://evil.example) ![img](http://x/y.png) ```code``` `x`"
    result = sanitize_untrusted(text)
    assert "](" not in result
    assert "`" not in result
    assert "http://evil.example" in result  # the raw address stays visible, honestly


def test_newlines_control_and_zero_width_characters_are_removed():
    text = "line one\n\n# Heading\r\n\tnext\x00\x07 zero\u200bwidth\u202etxt.exe\u2028end"
    result = sanitize_untrusted(text)
    assert result == "line one # Heading next zerowidthtxt.exe end"


def test_truncation_respects_the_limit_and_ends_with_an_ellipsis():
    result = sanitize_untrusted("word " * 200, max_len=50)
    assert len(result) <= 50 and result.endswith(ELLIPSIS)
    assert not result[:-1].endswith(" ")


def test_truncation_never_cuts_inside_an_escape():
    for max_len in range(3, 30):
        result = sanitize_untrusted("ab @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@", max_len=max_len)
        assert len(result) <= max_len
        body = result.removesuffix(ELLIPSIS)
        # every @ is followed by its zero-width space, even at the cut
        assert body.count("@") == body.count("@\u200b")


def test_short_text_is_untouched_apart_from_whitespace():
    assert sanitize_untrusted("  Die App stürzt   ständig ab!  ") == "Die App stürzt ständig ab!"
    assert sanitize_untrusted(None) == ""


def test_shorten_cuts_between_words_for_reports():
    text = "Seit dem Update kann ich mich nicht mehr anmelden und der Support antwortet nicht"
    result = shorten(text, 40)
    assert len(result) <= 40 and result.endswith(ELLIPSIS)
    assert text.startswith(result[:-1])
    assert result[-2] != " " and text[len(result) - 1] == " "  # cut at a word boundary


def test_clean_text_keeps_umlauts_and_emoji():
    assert clean_text("Größe\u00adnänderung 👍\u200d") == "Größenänderung 👍"
