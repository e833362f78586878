"""Polish reply, signature and disclaimer patterns, as data (see ``en.py``)."""

REPLY_HEADERS = (
    r"W dniu\s.{1,200}\snapisał(?:\(a\)|a)?\s?:",  # Thunderbird/Apple "W dniu 5.03.2024 o 10:12, X <x@y> napisał(a):"
    r".{1,200}\spisze\s?:",  # Thunderbird "W dniu 5.03.2024 o 10:12, X <x@y> pisze:"
    r".{1,200}\snapisał(?:\(a\)|a)?\s?:",  # Gmail "wt., 5 mar 2024 o 10:12 X <x@y> napisał(a):"
    r"Od:\s.{1,200}\sWysłan[eo]:\s.{1,200}",  # Outlook header flattened onto one line
)
ORIGINAL_HEADERS = (
    r"-{2,}\s*Oryginalna wiadomo(?:ś|s)(?:ć|c)\s*-{2,}",  # Outlook "-----Oryginalna wiadomość-----"
    r"-{2,}\s*Wiadomo(?:ś|s)(?:ć|c) oryginalna\s*-{2,}",  # Samsung
)
FORWARD_HEADERS = (
    r"-{2,}\s*Przekazana wiadomo(?:ś|s)(?:ć|c)\s*-{2,}",  # Gmail "---------- Przekazana wiadomość ---------"
    r"Pocz(?:ą|a)tek przekazywanej wiadomo(?:ś|s)ci\s?:",  # Apple Mail
)
FROM_FIELDS = ("Od",)
HEADER_FIELDS = ("Wysłano", "Wysłane", "Data", "Do", "DW", "Temat")  # Outlook
SUBJECT_PREFIXES = ("Odp", "PD", "Fwd", "RE")
SIGNOFFS = (
    r"(?:serdecznie\s+)?pozdrawiam(?:\s+serdecznie)?",  # "Pozdrawiam"
    r"z\s+powa(?:ż|z)aniem",  # formal "Z poważaniem"
    r"(?:serdeczne|najlepsze)\s+pozdrowienia|pozdrowienia",
    r"dzi(?:ę|e)kuj(?:ę|e)(?:\s+i\s+pozdrawiam)?|dzi(?:ę|e)ki",
)
DEVICE_SIGNATURES = (
    r"wys(?:ł|l)an[eo]\s+z\s+.{1,40}",  # iOS "Wysłane z iPhone'a"
    r"pobierz\s+outlook\s+dla\s+(?:ios|android)",
)
BANNERS: tuple[str, ...] = ()  # gateway warnings above the message
DISCLAIMERS = (
    r"(?:ta|niniejsza)\s+wiadomo(?:ś|s)(?:ć|c)\s+(?:jest|mo(?:ż|z)e|zawiera)\s+.{0,40}poufn",
    r"informacje\s+zawarte\s+w\s+tej\s+wiadomo(?:ś|s)ci",
)
