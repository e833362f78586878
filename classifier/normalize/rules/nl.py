"""Dutch reply, signature and disclaimer patterns, as data (see ``en.py``)."""

REPLY_HEADERS = (
    r"Op\s.{1,200}\sschreef\s.{1,200}:",  # Gmail "Op di 5 mrt 2024 om 10:12 schreef X <x@y>:", Apple
    r".{1,200}\sschreef\s?.{0,200}:",  # Thunderbird "X schreef op 05-03-2024 10:12:"
    r"Van:\s.{1,200}\sVerzonden:\s.{1,200}",  # Outlook header flattened onto one line
)
ORIGINAL_HEADERS = (
    r"-{2,}\s*Oorspronkelijk bericht\s*-{2,}",  # Outlook "-----Oorspronkelijk bericht-----"
    r"-{2,}\s*Origineel bericht\s*-{2,}",
)
FORWARD_HEADERS = (
    r"-{2,}\s*Doorgestuurd bericht\s*-{2,}",  # Gmail "---------- Doorgestuurd bericht ---------"
    r"Begin doorgestuurd bericht\s?:",  # Apple Mail
)
FROM_FIELDS = ("Van",)
HEADER_FIELDS = ("Verzonden", "Datum", "Aan", "CC", "Onderwerp")  # Outlook
SUBJECT_PREFIXES = ("Antw", "Doorst", "FW", "RE")
SIGNOFFS = (
    r"met\s+(?:vriendelijke|hartelijke)\s+groet(?:en)?",  # "Met vriendelijke groet"
    r"(?:vriendelijke|hartelijke|beste)\s+groet(?:en)?",
    r"groet(?:en|jes)?",
    r"mvg",
    r"(?:alvast\s+)?bedankt(?:\s+alvast)?|dank\s+u(?:\s+wel)?|dank\s+je(?:\s+wel)?",
)
DEVICE_SIGNATURES = (
    r"(?:verzonden|verstuurd)\s+(?:vanaf|van|met)\s+.{1,40}",  # iOS "Verzonden vanaf mijn iPhone"
    r"outlook\s+voor\s+(?:ios|android)\s+downloaden",
)
BANNERS: tuple[str, ...] = ()  # gateway warnings above the message
DISCLAIMERS = (
    r"dit\s+(?:e-?mail)?bericht\s+(?:is|kan)\s+.{0,40}(?:uitsluitend|vertrouwelijk)",
    r"de\s+informatie\s+(?:verzonden\s+)?in\s+dit\s+(?:e-?mail)?bericht",
    r"aan\s+dit\s+bericht\s+kunnen\s+geen\s+rechten",
)
