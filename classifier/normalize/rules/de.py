"""German reply, signature and disclaimer patterns, as data (see ``en.py``)."""

REPLY_HEADERS = (
    r"Am\s.{1,200}\sschrieb\s.{1,200}:",  # Gmail "Am Di., 5. März 2024 um 10:12 Uhr schrieb X <x@y>:", Apple
    r".{1,200}\sschrieb\s(?:am\s)?.{1,100}:",  # Outlook.com/Lotus "X <x@y> schrieb am 05.03.2024 10:12:"
    r".{1,200}\sschrieb\s?:",  # Thunderbird "X schrieb:"
    r"Zitat von\s.{1,200}:",  # Horde webmail "Zitat von X <x@y>:"
    r"Von:\s.{1,200}\sGesendet:\s.{1,200}",  # Outlook header flattened onto one line
)
ORIGINAL_HEADERS = (
    r"-{2,}\s*Urspr(?:ü|ue)ngliche Nachricht\s*-{2,}",  # Outlook "-----Ursprüngliche Nachricht-----"
    r"-{2,}\s*Originalnachricht\s*-{2,}",  # Samsung/Android "-------- Originalnachricht --------"
)
FORWARD_HEADERS = (
    r"-{2,}\s*Weitergeleitete Nachricht\s*-{2,}",  # Thunderbird, Gmail "-------- Weitergeleitete Nachricht --------"
    r"Anfang der weitergeleiteten Nachricht\s?:",  # Apple Mail
    r"-{2,}\s*Weitergeleitet von\s.{1,100}",  # Lotus Notes
)
FROM_FIELDS = ("Von",)
HEADER_FIELDS = (
    "Gesendet",
    "Datum",
    "An",
    "Cc",
    "Betreff",
)  # Outlook, GMX/WEB.DE, Thunderbird
SUBJECT_PREFIXES = ("AW", "WG", "Antw", "Antwort", "Wg")
SIGNOFFS = (
    r"mit\s+(?:den\s+)?(?:freundlichen|besten|herzlichen|lieben)\s+gr(?:ü|ue)(?:ß|ss)en",  # "Mit freundlichen Grüßen"
    r"mit\s+freundlichem\s+gru(?:ß|ss)",
    r"(?:viele|liebe|beste|freundliche|herzliche|sch(?:ö|oe)ne|sonnige)\s+gr(?:ü|ue)(?:ß|ss)e",  # "Viele Grüße"
    r"(?:freundlicher|herzlicher|lieber|bester)?\s*gru(?:ß|ss)",  # "Gruß", "Herzlicher Gruß"
    r"gr(?:ü|ue)(?:ß|ss)e",
    r"mfg|lg|vg|bg|mbg",  # abbreviations: "MfG", "LG Anna"
    r"danke(?:\s+(?:schön|sehr|und\s+gru(?:ß|ss)|im\s+voraus))?",  # "Danke und Gruß"
    r"vielen\s+dank(?:\s+im\s+voraus)?",
    r"besten\s+dank",
    r"servus|tschüss|ciao",
)
DEVICE_SIGNATURES = (
    r"von\s+meinem\s+.{1,40}\s+gesendet",  # iOS "Von meinem iPhone gesendet"
    r"gesendet\s+(?:von|vom|mit|über)\s+.{1,50}",  # "Gesendet von Outlook für Android", WEB.DE/GMX apps
    r"outlook\s+für\s+(?:ios|android)\s+(?:beziehen|herunterladen)",  # Outlook mobile
)
BANNERS = (
    r"(?:achtung|vorsicht)\s*:\s*diese\s+e-?mail\s+(?:stammt|kommt)\s+von\s+(?:einem\s+)?extern",  # M365 gateways
    r"\[extern\]",
)
DISCLAIMERS = (
    r"diese\s+(?:e-?mail|nachricht)\s+(?:enth(?:ä|ae)lt|ist|kann)\s+.{0,40}(?:vertraulich|informationen)",
    r"(?:der\s+)?inhalt\s+dieser\s+(?:e-?mail|nachricht)\s+ist\s+vertraulich",
    r"wenn\s+sie\s+nicht\s+der\s+(?:richtige|beabsichtigte)\s+(?:adressat|empfänger)",
    r"(?:wichtiger\s+)?hinweis\s*:\s*diese\s+(?:e-?mail|nachricht)",
    r"bitte\s+denken\s+sie\s+an\s+die\s+umwelt",
    r"sitz\s+der\s+gesellschaft\s*:",  # Impressum lines of a company footer
    r"gesch(?:ä|ae)ftsf(?:ü|ue)hr(?:er|ung)\s*:",
    r"registergericht\s*:|amtsgericht\s+\S+.{0,10}hrb",
)
