"""The one record that flows from a reader to a writer."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Channels the default model knows; readers map export spellings onto these.
CHANNELS = ("email", "twitter", "facebook", "instagram", "chat", "webform", "app_review")


@dataclass(slots=True)
class Message:
    """One inbound message, as read from its source and later normalized.

    Readers fill the source fields (``id`` to ``attachments``); normalization fills
    ``clean``, ``language`` and ``steps``. A reader that cannot decode a message still
    yields it, with ``error`` set, so that no message is ever lost.
    """

    id: str
    text: str = ""
    channel: str = "unknown"
    source: str = ""
    position: str = ""
    sender: str = ""
    subject: str = ""
    timestamp: str = ""
    thread_id: str = ""
    thread_position: int = 0
    is_html: bool = False
    attachments: list[str] = field(default_factory=list)
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    clean: str = ""
    language: str = ""
    steps: list[str] = field(default_factory=list)

    @classmethod
    def unreadable(cls, id: str, source: str, position: str, reason: str, *, channel: str = "unknown") -> Message:
        """A message that could not be read: its row is still written, ``error`` saying where and why."""
        message = cls(id=id, channel=channel, source=source, position=position)
        message.error = f"{message.where}: {reason}"
        return message

    @property
    def where(self) -> str:
        """Human-readable location for error messages: ``inbox.mbox, message 12``."""
        return f"{self.source}, {self.position}" if self.position else self.source
