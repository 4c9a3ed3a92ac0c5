"""The Studio page speaks English and Chinese everywhere (no browser needed).

* every ``data-i18n`` / ``data-i18n-title`` / ``data-i18n-placeholder`` key of index.html and
  every ``t("key")`` / ``bilingual("key")`` in the scripts exists in both languages;
* the two languages have the same keys, no empty message, and the same ``{placeholders}``;
* no English label is hard-coded in index.html: every text is inside an element whose text
  comes from i18n.js (``data-i18n``), or is marked ``translate="no"`` (names like Adam, tanh).
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "glassnet" / "studio" / "static"
BEGIN, END = "/* messages:begin */", "/* messages:end */"
CALL = re.compile(r"""\b(?:t|bilingual)\(\s*["']([A-Za-z0-9_.]+)["']\s*[,)]""")
#: A string literal that names a message ("layer.s_grad_norm"), e.g. in a table of keys.
KEY_LITERAL = re.compile(
    r"""["']((?:app|tab|conn|lang|status|train|graph|layer|sample|stepper|pg)\.[a-z0-9_]+)["']""")
PREFIX_CALL = re.compile(r"""\b(?:t|has)\(\s*["']([A-Za-z0-9_.]+)["']\s*\+""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: Keys scripts build at run time ("status." + run.status, ...): each family must be complete.
DYNAMIC = {
    "status.": ["running", "paused", "finished", "stopped", "failed"],
    "stepper.phase_": ["forward", "backward", "update"],
    "layer.h_": ["input", "z", "output", "delta", "weights", "grads", "update"],
    "layer.gate_": ["i", "f", "c", "o", "z", "r", "h"],
    "conn.": ["connecting", "connected", "reconnecting"],
    "stepper.col_": ["node", "op", "inputs", "value", "grad"],
}


def messages():
    text = (STATIC / "i18n.js").read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return json.loads(text[start:end])


def scripts():
    """Our scripts (not i18n.js, which defines the messages, nor the vendored libraries)."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(STATIC.glob("*.js"))
            if path.name != "i18n.js"}


class _Labels(HTMLParser):
    """Collects i18n keys and any text not covered by data-i18n or translate="no"."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "source", "col", "area", "base", "wbr"}

    def __init__(self):
        super().__init__()
        self.keys = set()
        self.stack = []  # (tag, covered)
        self.bare = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("data-i18n", "data-i18n-title", "data-i18n-placeholder"):
            if attributes.get(name):
                self.keys.add(attributes[name])
        for name in ("title", "placeholder", "aria-label"):
            if attributes.get(name) and f"data-i18n-{name}" not in attributes and \
                    not (name == "aria-label"):
                self.bare.append(f'{tag} {name}="{attributes[name]}" has no data-i18n-{name}')
        covered = bool(self.stack and self.stack[-1][1]) or "data-i18n" in attributes or \
            attributes.get("translate") == "no" or tag in ("script", "style")
        if tag not in self.VOID:
            self.stack.append((tag, covered))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        covered = bool(self.stack and self.stack[-1][1])
        if not covered and re.search(r"[A-Za-z]{2,}|[\u4e00-\u9fff]", data):
            self.bare.append(f"text {data.strip()!r} inside <{self.stack[-1][0]}>")


def _parse_index():
    parser = _Labels()
    parser.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    return parser


def test_both_languages_have_the_same_keys_and_placeholders():
    table = messages()
    assert set(table) == {"en", "zh"}
    assert set(table["en"]) == set(table["zh"])
    assert len(table["en"]) > 150
    for key, english in table["en"].items():
        chinese = table["zh"][key]
        assert english.strip() and chinese.strip(), key
        assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(chinese)), key


def test_chinese_is_really_chinese():
    table = messages()
    # Most labels must contain CJK characters (formulas and names like "z = wx + b" may not).
    chinese = [key for key, text in table["zh"].items() if re.search(r"[\u4e00-\u9fff]", text)]
    assert len(chinese) > 0.85 * len(table["zh"])
    assert table["zh"]["tab.training"] == "训练"


def test_every_key_of_the_html_exists_in_both_languages():
    table = messages()
    keys = _parse_index().keys
    assert len(keys) > 60
    missing = sorted(key for key in keys if key not in table["en"] or key not in table["zh"])
    assert not missing, f"index.html uses keys i18n.js lacks: {missing}"


@pytest.mark.parametrize("name", sorted(scripts()))
def test_every_key_a_script_asks_for_exists_in_both_languages(name):
    table = messages()
    text = scripts()[name]
    keys = set(CALL.findall(text)) | {key for key in KEY_LITERAL.findall(text)
                                      if not key.endswith((".", "_"))}
    missing = sorted(key for key in keys if key not in table["en"] or key not in table["zh"])
    assert not missing, f"{name} asks for keys i18n.js lacks: {missing}"


def test_the_scripts_ask_for_many_keys():
    keys = set()
    for text in scripts().values():
        keys |= set(CALL.findall(text)) | set(KEY_LITERAL.findall(text))
    assert len(keys) > 60  # the pattern really finds the calls


def test_every_run_time_key_family_is_listed_here():
    prefixes = set()
    for text in scripts().values():
        prefixes |= set(PREFIX_CALL.findall(text))
    assert prefixes and prefixes <= set(DYNAMIC), prefixes - set(DYNAMIC)


@pytest.mark.parametrize("prefix", sorted(DYNAMIC))
def test_run_time_key_families_are_complete(prefix):
    table = messages()
    for suffix in DYNAMIC[prefix]:
        assert prefix + suffix in table["en"] and prefix + suffix in table["zh"]


def test_no_english_only_label_is_hard_coded_in_the_html():
    bare = _parse_index().bare
    assert not bare, "labels without data-i18n (or translate=\"no\"):\n" + "\n".join(bare)


def test_the_checker_catches_a_hard_coded_label():
    parser = _Labels()
    parser.feed('<div><button data-i18n="a">A</button><span>Start</span>'
                '<b translate="no">Adam</b><i title="x">·</i></div>')
    assert parser.keys == {"a"}
    assert len(parser.bare) == 2  # "Start" and the title without data-i18n-title
