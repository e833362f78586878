"""Turn a raw message into the text the classifier sees.

Each step is a small ``str -> str`` function in a module named for what it
handles (``text``, ``mail``, ``social``, ``pii``). A pipeline is a tuple of steps;
:func:`apply_steps` records the name of every step that changed the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from classifier.errors import snippet
from classifier.message import CHANNELS, Message
from classifier.normalize import mail, pii, social, text
from classifier.normalize.lang import detect_language, detect_languages

Step = Callable[[str], str]

EMAIL_CHANNELS = frozenset({"email"})

MAIL_STEPS: tuple[Step, ...] = (
    mail.strip_quoted_reply,
    mail.strip_disclaimer,
    mail.strip_signature,
)
SOCIAL_STEPS: tuple[Step, ...] = (
    social.replace_mentions,
    social.split_hashtags,
    social.squeeze_elongations,
)
PII_STEPS: tuple[Step, ...] = pii.PII_STEPS

_CHANNEL_ALIASES = {
    "e-mail": "email",
    "mail": "email",
    "eml": "email",
    "mbox": "email",
    "x": "twitter",
    "tweet": "twitter",
    "twitter_dm": "twitter",
    "fb": "facebook",
    "messenger": "facebook",
    "ig": "instagram",
    "insta": "instagram",
    "livechat": "chat",
    "whatsapp": "chat",
    "sms": "chat",
    "web": "webform",
    "form": "webform",
    "web_form": "webform",
    "contact_form": "webform",
    "review": "app_review",
    "appstore": "app_review",
    "playstore": "app_review",
    "app-review": "app_review",
}


def normalize_channel(channel: str) -> str:
    """Map channel spellings from exports ("E-Mail", "tweet", "web form") to our names."""
    key = channel.strip().lower().replace(" ", "_")
    key = _CHANNEL_ALIASES.get(key, key)
    if not key or key == "unknown":
        return "unknown"
    return key if key in CHANNELS else "other"


def apply_steps(value: str, steps: Iterable[Step], changed: list[str] | None = None) -> str:
    """Run ``steps`` in order; append to ``changed`` the name of each one that changed the text."""
    for step in steps:
        result = step(value)
        if changed is not None and result != value:
            changed.append(step.__name__)
        value = result
    return value


_MAX_CLEAN_PASSES = 3  # see clean_text: a result that still looks like mojibake is cleaned again


def clean_text(
    raw: str,
    channel: str = "unknown",
    *,
    is_html: bool = False,
    keep_pii: bool = False,
    steps: list[str] | None = None,
) -> str:
    """Return the customer's newest words from one message body, PII masked unless ``keep_pii``.

    Mojibake can hide behind the whitespace and markup that the later steps remove
    (``"\xa0Â\x95"`` is only read as a broken ``"•"`` once the space is gone), so a
    result that still looks like mojibake is cleaned again: the output is a fixed point.
    """
    value = _clean_once(raw, channel, is_html, keep_pii, steps)
    for _ in range(_MAX_CLEAN_PASSES - 1):
        if value.isascii() or not text.looks_like_mojibake(value):
            break
        again = _clean_once(value, channel, False, keep_pii, steps)
        if again == value:
            break
        value = again
    return value


def _clean_once(raw: str, channel: str, is_html: bool, keep_pii: bool, steps: list[str] | None) -> str:
    value = apply_steps(raw, (text.remove_control_chars, text.fix_unicode), steps)
    if is_html or text.looks_like_html(value):
        value = apply_steps(value, (mail.strip_html_quotes, text.html_to_text), steps)
    if channel in EMAIL_CHANNELS or channel == "unknown":
        value = apply_steps(value, MAIL_STEPS, steps)
    value = apply_steps(value, SOCIAL_STEPS, steps)
    if not keep_pii:
        value = apply_steps(value, PII_STEPS, steps)
    return apply_steps(value, (text.collapse_whitespace,), steps)


def _clean_message(message: Message, keep_pii: bool, max_chars: int) -> None:
    """Fill ``clean`` and ``steps`` (everything but the language)."""
    message.channel = normalize_channel(message.channel)
    raw = message.text
    if len(raw) > max_chars:
        raw = text.truncate(raw, max_chars)
        message.warnings.append(f"text cut to {max_chars:,} characters")
    body = clean_text(
        raw,
        message.channel,
        is_html=message.is_html,
        keep_pii=keep_pii,
        steps=message.steps,
    )
    if message.subject and message.subject.strip().lower() not in body.lower():
        subject = clean_text(message.subject, "chat", keep_pii=keep_pii)
        body = f"{subject}\n{body}" if body else subject
    message.clean = body


def normalize_message(message: Message, *, keep_pii: bool = False, max_chars: int = 1_000_000) -> Message:
    """Fill ``clean``, ``language`` and ``steps`` of a message read from a source."""
    _clean_message(message, keep_pii, max_chars)
    message.language = detect_language(message.clean)
    return message


def normalize_messages(
    messages: Sequence[Message], *, keep_pii: bool = False, max_chars: int = 1_000_000
) -> list[Message]:
    """:func:`normalize_message` for a batch, with one language-identification pass for all of it.

    Messages that already carry an ``error`` (unreadable at the source) are left as they are;
    a message whose cleaning raises gets ``error`` set (with its position) and no language;
    the rest of the batch goes on. Returns the messages that were normalized.
    """
    ready: list[Message] = []
    for message in messages:
        if message.error:
            continue
        try:
            _clean_message(message, keep_pii, max_chars)
            ready.append(message)
        except Exception as exc:  # one bad message must never stop the batch
            message.error = f"{message.where}: cannot normalize ({exc.__class__.__name__}: {snippet(str(exc), 80)})"
    for message, language in zip(ready, detect_languages([m.clean for m in ready]), strict=True):
        message.language = language
    return ready


def normalize_stream(
    messages: Iterable[Message], *, keep_pii: bool = False, chunk_size: int = 256
) -> Iterator[Message]:
    """Every message of a stream, in order, the readable ones normalized in batches of ``chunk_size``."""
    chunk: list[Message] = []
    for message in messages:
        chunk.append(message)
        if len(chunk) >= chunk_size:
            normalize_messages(chunk, keep_pii=keep_pii)
            yield from chunk
            chunk = []
    normalize_messages(chunk, keep_pii=keep_pii)
    yield from chunk
