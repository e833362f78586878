"""Italian reply, signature and disclaimer patterns, as data (see ``en.py``)."""

REPLY_HEADERS = (
    r"Il giorno\s.{1,200}\sha scritto\s?:",  # Gmail "Il giorno mar 5 mar 2024 alle ore 10:12 X <x@y> ha scritto:"
    r"Il\s.{1,200}\sha scritto\s?:",  # Thunderbird/Apple "Il 05/03/2024 10:12, X ha scritto:"
    r".{1,200}\sha scritto\s?:",  # "X ha scritto:"
    r"Da:\s.{1,200}\sInviato:\s.{1,200}",  # Outlook header flattened onto one line
)
ORIGINAL_HEADERS = (
    r"-{2,}\s*Messaggio originale\s*-{2,}",  # Outlook "-----Messaggio originale-----"
)
FORWARD_HEADERS = (
    r"-{2,}\s*Messaggio inoltrato\s*-{2,}",  # Gmail "---------- Messaggio inoltrato ---------"
    r"Inizio messaggio inoltrato\s?:",  # Apple Mail
)
FROM_FIELDS = ("Da",)
HEADER_FIELDS = ("Inviato", "Data", "A", "Cc", "Oggetto")  # Outlook
SUBJECT_PREFIXES = ("R", "RE", "I", "RIF", "Fwd")
SIGNOFFS = (
    r"(?:cordiali|distinti|tanti|cari)\s+saluti",  # "Cordiali saluti"
    r"(?:un\s+)?salut[oi]",
    r"(?:grazie\s+e\s+)?(?:buona\s+giornata|buona\s+serata)",
    r"(?:molte\s+|mille\s+)?grazie(?:\s+(?:mille|in\s+anticipo))?",
    r"un\s+caro\s+saluto|a\s+presto",
)
DEVICE_SIGNATURES = (
    r"inviato\s+da(?:l)?\s+(?:mio\s+)?.{1,40}",  # iOS "Inviato da iPhone", "Inviato dal mio iPhone"
    r"scarica\s+outlook\s+per\s+(?:ios|android)",
)
BANNERS: tuple[str, ...] = ()  # gateway warnings above the message
DISCLAIMERS = (
    r"questo\s+(?:messaggio|e-?mail)\s+(?:e\s+i\s+suoi\s+allegati\s+)?(?:è|e|sono|contiene|pu(?:ò|o))\s+.{0,40}(?:riservat|confidenzial)",
    r"le\s+informazioni\s+contenute\s+in\s+questo\s+messaggio",
    r"ai\s+sensi\s+del\s+(?:d\.?\s?lgs|regolamento)",
)
