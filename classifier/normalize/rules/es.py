"""Spanish reply, signature and disclaimer patterns, as data (see ``en.py``)."""

REPLY_HEADERS = (
    r"El\s.{1,200}\sescribi(?:ó|o)\s?:",  # Gmail "El mar, 5 mar 2024 a las 10:12, X (<x@y>) escribió:"
    r".{1,200}\sescribi(?:ó|o)\s?:",  # Thunderbird "X escribió:"
    r"De:\s.{1,200}\sEnviado(?: el)?:\s.{1,200}",  # Outlook header flattened onto one line
)
ORIGINAL_HEADERS = (
    r"-{2,}\s*Mensaje original\s*-{2,}",  # Outlook "-----Mensaje original-----"
)
FORWARD_HEADERS = (
    r"-{2,}\s*Mensaje reenviado\s*-{2,}",  # Gmail "---------- Mensaje reenviado ---------"
    r"Inicio del mensaje reenviado\s?:",  # Apple Mail
)
FROM_FIELDS = ("De",)
HEADER_FIELDS = ("Enviado", "Enviado el", "Fecha", "Para", "CC", "Asunto")  # Outlook
SUBJECT_PREFIXES = ("RE", "RV", "Fwd", "REF")
SIGNOFFS = (
    r"(?:un\s+)?saludos?(?:\s+cordiales)?",  # "Saludos", "Un saludo", "Saludos cordiales"
    r"atentamente",
    r"cordialmente",
    r"(?:muchas\s+)?gracias(?:\s+de\s+antemano)?",
    r"un\s+abrazo|abrazos",
)
DEVICE_SIGNATURES = (
    r"enviado\s+desde\s+mi\s+.{1,40}",  # iOS "Enviado desde mi iPhone"
    r"enviado\s+desde\s+(?:outlook|correo|yahoo).{0,40}",  # "Enviado desde Outlook para Android"
    r"obtener\s+outlook\s+para\s+(?:ios|android)",
)
BANNERS: tuple[str, ...] = ()  # gateway warnings above the message
DISCLAIMERS = (
    r"este\s+(?:mensaje|correo(?:\s+electr(?:ó|o)nico)?)\s+(?:y\s+sus\s+(?:anexos|adjuntos)\s+)?(?:es|son|contiene|puede)\s+.{0,40}confidencial",
    r"la\s+informaci(?:ó|o)n\s+contenida\s+en\s+este\s+(?:mensaje|correo)",
    r"aviso\s+(?:legal|de\s+confidencialidad)",
    r"antes\s+de\s+imprimir\s+este",
)
