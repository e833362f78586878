"""Danish reply, signature and disclaimer patterns, as data (see ``en.py``)."""

REPLY_HEADERS = (
    r"Den\s.{1,200}\sskrev\s.{1,200}:",  # Apple/Thunderbird "Den 5. mar. 2024 kl. 10.12 skrev X <x@y>:"
    r".{1,200}\sskrev\s?.{0,200}:",  # Gmail "tir. 5. mar. 2024 kl. 10.12 skrev X <x@y>:"
    r"Fra:\s.{1,200}\sSendt:\s.{1,200}",  # Outlook header flattened onto one line
)
ORIGINAL_HEADERS = (
    r"-{2,}\s*Oprindelig meddelelse\s*-{2,}",  # Outlook "-----Oprindelig meddelelse-----"
    r"-{2,}\s*Original meddelelse\s*-{2,}",  # Samsung
)
FORWARD_HEADERS = (
    r"-{2,}\s*Videresendt (?:meddelelse|besked)\s*-{2,}",  # Gmail "---------- Videresendt meddelelse ----------"
    r"Start p(?:å|a) videresendt (?:besked|meddelelse)\s?:",  # Apple Mail
)
FROM_FIELDS = ("Fra",)
HEADER_FIELDS = ("Sendt", "Dato", "Til", "Cc", "Emne")  # Outlook
SUBJECT_PREFIXES = ("SV", "VS", "Videresend", "Fwd")
SIGNOFFS = (
    r"(?:med\s+)?venlig(?:st)?\s+hilsen",  # "Med venlig hilsen"
    r"(?:de\s+)?bedste\s+hilsner|(?:mange\s+)?hilsner|hilsen",
    r"mvh|vh",
    r"(?:mange\s+)?tak(?:\s+på\s+forhånd)?",
)
DEVICE_SIGNATURES = (
    r"sendt\s+fra\s+.{1,40}",  # iOS "Sendt fra min iPhone"
    r"hent\s+outlook\s+til\s+(?:ios|android)",
)
BANNERS: tuple[str, ...] = ()  # gateway warnings above the message
DISCLAIMERS = (
    r"denne\s+e-?mail\s+(?:er|kan)\s+.{0,40}(?:fortrolig|udelukkende)",
    r"informationen\s+i\s+denne\s+e-?mail",
)
