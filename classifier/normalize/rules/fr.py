"""French reply, signature and disclaimer patterns, as data (see ``en.py``)."""

REPLY_HEADERS = (
    r"Le\s.{1,200}\sa\s(?:é|e)crit\s?:",  # Gmail "Le mar. 5 mars 2024 à 10:12, X <x@y> a écrit :", Apple, Thunderbird
    r".{1,200}\sa\s(?:é|e)crit\s?:",  # "X a écrit :"
    r"De\s?:\s.{1,200}\sEnvoy(?:é|e)\s?:\s.{1,200}",  # Outlook header flattened onto one line
)
ORIGINAL_HEADERS = (
    r"-{2,}\s*Message d'origine\s*-{2,}",  # Outlook "-----Message d'origine-----"
    r"-{2,}\s*Message original\s*-{2,}",  # Samsung
)
FORWARD_HEADERS = (
    r"-{2,}\s*Message transf(?:é|e)r(?:é|e)\s*-{2,}",  # Gmail "---------- Message transféré ---------"
    r"D(?:é|e)but du message (?:r(?:é|e)exp(?:é|e)di(?:é|e)|transf(?:é|e)r(?:é|e))\s?:",  # Apple Mail
)
FROM_FIELDS = ("De",)
HEADER_FIELDS = ("Envoyé", "Envoye", "Date", "À", "A", "Cc", "Objet")  # Outlook
SUBJECT_PREFIXES = ("TR", "RE", "Réf", "Fwd")
SIGNOFFS = (
    r"(?:bien\s+)?cordialement",  # "Cordialement", "Bien cordialement"
    r"bien\s+(?:à|a)\s+vous",
    r"(?:meilleures|sinc(?:è|e)res)\s+salutations",
    r"salutations(?:\s+distingu(?:é|e)es)?",
    r"(?:un\s+grand\s+)?merci(?:\s+(?:beaucoup|d'avance|par\s+avance))?",
    r"bonne\s+(?:journ(?:é|e)e|soir(?:é|e)e)",
    r"amicalement|bises",
)
DEVICE_SIGNATURES = (
    r"envoy(?:é|e)\s+(?:de|depuis)\s+(?:mon|ma)\s+.{1,40}",  # iOS "Envoyé de mon iPhone"
    r"envoy(?:é|e)\s+(?:à\s+partir|depuis)\s+de?\s*.{1,40}",  # "Envoyé à partir de Outlook pour Android"
    r"obtenir\s+outlook\s+pour\s+(?:ios|android)",
)
BANNERS: tuple[str, ...] = ()  # gateway warnings above the message
DISCLAIMERS = (
    r"ce\s+(?:message|courriel|e-?mail)\s+(?:et\s+(?:toutes\s+)?(?:les|ses)\s+pi(?:è|e)ces\s+jointes\s+)?(?:sont|est)\s+(?:confidentiel|strictement)",
    r"les\s+informations\s+contenues\s+dans\s+ce\s+(?:message|courriel)",
    r"avis\s+de\s+confidentialit(?:é|e)",
    r"pensez\s+(?:à|a)\s+l'environnement",
)
