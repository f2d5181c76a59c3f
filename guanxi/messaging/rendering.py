"""Templates rendered in a sandbox, from a documented whitelist of variables.

Template authors are trusted with text, not with the database: the context holds plain
strings in plain dicts (never model instances), the Jinja sandbox refuses attribute tricks,
and there is no loader, so `include` / `import` / `extends` reach no file. Saving a template
checks every variable it names against VARIABLES.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import jinja2
from django.utils.translation import gettext_lazy as _
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

# name → (description, example). The documented whitelist (docs/messaging.md lists it too).
VARIABLES: dict[str, tuple[Any, str]] = {
    "customer.name": (_("Customer name"), "华兴科技有限公司"),
    "customer.code": (_("Customer code"), "C000123"),
    "customer.level": (_("Customer level"), "A"),
    "customer.intent": (_("Intent"), "高"),
    "customer.stage": (_("Lifecycle stage"), "成交客户"),
    "customer.industry": (_("Industry"), "制造业"),
    "customer.province": (_("Province"), "广东省"),
    "customer.city": (_("City"), "深圳市"),
    "customer.birthday": (_("Birthday (month-day)"), "05-20"),
    "contact.name": (_("Primary contact name"), "王芳"),
    "contact.title": (_("Primary contact title"), "采购经理"),
    "contact.salutation": (_("Contact greeting name (name, or customer name)"), "王芳"),
    "owner.name": (_("Owner's name"), "李明"),
    "owner.email": (_("Owner's email"), "liming@example.com"),
    "owner.phone": (_("Owner's phone"), "13800138000"),
    "company.name": (_("Your company name"), "关系软件"),
    "company.phone": (_("Your company phone"), "400-800-8000"),
    "company.website": (_("Your company website"), "https://example.com"),
    "company.address": (_("Your company address"), "上海市浦东新区"),
    "company.signature": (_("Email signature"), ""),
    "coupon_code": (_("Coupon code given with this message"), "VIP-8K2M"),
    "unsubscribe_url": (_("Unsubscribe link"), "https://example.com/m/u/…"),
    "today": (_("Today's date"), "2026-11-22"),
}
TOP_LEVEL = {name.split(".")[0] for name in VARIABLES}


def _environment(*, autoescape: bool, strict: bool) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        loader=None,
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined,
        keep_trailing_newline=True,
    )


_HTML = _environment(autoescape=True, strict=False)
_TEXT = _environment(autoescape=False, strict=False)
_STRICT_HTML = _environment(autoescape=True, strict=True)
_STRICT_TEXT = _environment(autoescape=False, strict=True)


class TemplateProblem(ValueError):
    """A template that cannot be saved or rendered; the message is for the author."""


def example_context() -> dict[str, Any]:
    context: dict[str, Any] = {}
    for name, (_label, example) in VARIABLES.items():
        head, _, tail = name.partition(".")
        if tail:
            context.setdefault(head, {})[tail] = example
        else:
            context[head] = example
    return context


def check(*, source: str, html_mode: bool) -> None:
    """Raise TemplateProblem naming the first syntax error or unknown variable."""
    env = _STRICT_HTML if html_mode else _STRICT_TEXT
    try:
        parsed = env.parse(source)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(
            _("Line %(line)s: %(error)s") % {"line": error.lineno, "error": error.message}
        ) from None
    unknown = sorted(meta.find_undeclared_variables(parsed) - TOP_LEVEL)
    if unknown:
        raise TemplateProblem(_("Unknown variable: %(name)s") % {"name": unknown[0]})
    try:
        env.from_string(source).render(example_context())
    except jinja2.UndefinedError as error:
        raise TemplateProblem(_("Unknown variable: %(name)s") % {"name": error.message}) from None
    except jinja2.TemplateError as error:  # sandbox refusals and the like
        raise TemplateProblem(str(error)) from None


@functools.lru_cache(maxsize=256)
def _compiled(source: str, html_mode: bool) -> jinja2.Template:
    # Compiling costs milliseconds; a campaign renders one template thousands of times.
    return (_HTML if html_mode else _TEXT).from_string(source)


def render_text(source: str, context: dict[str, Any]) -> str:
    if not source:
        return ""
    try:
        return _compiled(source, False).render(context)
    except jinja2.TemplateError as error:
        raise TemplateProblem(str(error)) from None


def render_html(source: str, context: dict[str, Any]) -> str:
    if not source:
        return ""
    try:
        return _compiled(source, True).render(context)
    except jinja2.TemplateError as error:
        raise TemplateProblem(str(error)) from None


# --- links ---------------------------------------------------------------------------

_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>\"'，。、）)]+")


@dataclass
class LinkRewriter:
    """Collects each distinct http(s) URL of a message once, in order, and hands back the
    tracked address for its index (made by `url_for(index)`)."""

    url_for: Any
    skip: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)

    def _tracked(self, url: str) -> str:
        if url in self.skip:
            return url
        if url not in self.links:
            self.links.append(url)
        return self.url_for(self.links.index(url))

    def html(self, body: str) -> str:
        def swap(match: re.Match) -> str:
            url = html.unescape(match.group(3))
            return (
                f"{match.group(1)}{match.group(2)}{html.escape(self._tracked(url))}{match.group(2)}"
            )

        return _HREF.sub(swap, body)

    def text(self, body: str) -> str:
        return _BARE_URL.sub(lambda m: self._tracked(m.group(0)), body)


# --- HTML → text -----------------------------------------------------------------------

_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in {"style", "script", "head", "title"}:
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "script", "head", "title"}:
            self._skip = max(0, self._skip - 1)
        elif tag in {"p", "div", "h1", "h2", "h3", "table"}:
            self.parts.append("\n")
        elif tag == "a" and self._href:
            href = self._href.pop()
            if href and href.startswith(("http://", "https://")):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(body: str) -> str:
    """The text part of an email whose template has only HTML."""
    parser = _TextExtractor()
    parser.feed(body)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# --- SMS -------------------------------------------------------------------------------

SMS_SINGLE = 70
SMS_PART = 67


def sms_segments(text: str) -> int:
    """How many messages an SMS is billed as: Chinese carriers count 70 characters for one,
    67 for each part of a longer one (whatever the script, as providers bill it)."""
    length = len(text)
    if length == 0:
        return 0
    if length <= SMS_SINGLE:
        return 1
    return -(-length // SMS_PART)
