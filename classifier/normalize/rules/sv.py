"""Swedish reply, signature and disclaimer patterns, as data (see ``en.py``)."""

REPLY_HEADERS = (
    r"Den\s.{1,200}\sskrev\s.{1,200}:",  # Apple/Thunderbird "Den 5 mars 2024 kl. 10:12 skrev X <x@y>:"
    r".{1,200}\sskrev\s?.{0,200}:",  # Gmail "tis 5 mars 2024 kl 10:12 skrev X <x@y>:"
    r"Från:\s.{1,200}\sSkickat:\s.{1,200}",  # Outlook header flattened onto one line
)
ORIGINAL_HEADERS = (
    r"-{2,}\s*Ursprungligt meddelande\s*-{2,}",  # Outlook "-----Ursprungligt meddelande-----"
    r"-{2,}\s*Originalmeddelande\s*-{2,}",  # Samsung
)
FORWARD_HEADERS = (
    r"-{2,}\s*Vidarebefordrat meddelande\s*-{2,}",  # Gmail "---------- Vidarebefordrat meddelande ---------"
    r"Vidarebefordrat brev\s?:",  # Apple Mail
)
FROM_FIELDS = ("Från",)
HEADER_FIELDS = ("Skickat", "Datum", "Till", "Kopia", "Ämne")  # Outlook
SUBJECT_PREFIXES = ("SV", "VB", "VS", "Fwd")
SIGNOFFS = (
    r"(?:med\s+)?v(?:ä|a)nliga\s+h(?:ä|a)lsningar",  # "Med vänliga hälsningar"
    r"(?:b(?:ä|a)sta\s+)?h(?:ä|a)lsningar",
    r"mvh|vh",
    r"(?:stort\s+)?tack(?:\s+(?:på\s+förhand|så\s+mycket))?",
    r"ha\s+en\s+(?:bra|trevlig)\s+dag",
)
DEVICE_SIGNATURES = (
    r"skickat\s+fr(?:å|a)n\s+.{1,40}",  # iOS "Skickat från min iPhone"
    r"h(?:ä|a)mta\s+outlook\s+f(?:ö|o)r\s+(?:ios|android)",
)
BANNERS: tuple[str, ...] = ()  # gateway warnings above the message
DISCLAIMERS = (
    r"detta\s+(?:e-?post)?meddelande\s+(?:(?:ä|a)r|kan)\s+.{0,40}(?:konfidentiell|sekretess|avsett)",
    r"informationen\s+i\s+detta\s+(?:e-?post)?meddelande",
)
