"""Portuguese reply, signature and disclaimer patterns, as data (see ``en.py``)."""

REPLY_HEADERS = (
    r"Em\s.{1,200}\sescreveu\s?:",  # Gmail "Em ter., 5 de mar. de 2024 às 10:12, X <x@y> escreveu:"
    r".{1,200}\sescreveu\s?:",  # Thunderbird "X escreveu:"
    r"De:\s.{1,200}\sEnviad[oa]:\s.{1,200}",  # Outlook header flattened onto one line
)
ORIGINAL_HEADERS = (
    r"-{2,}\s*Mensagem original\s*-{2,}",  # Outlook "-----Mensagem original-----"
)
FORWARD_HEADERS = (
    r"-{2,}\s*Mensagem (?:encaminhada|reencaminhada)\s*-{2,}",  # Gmail "---------- Mensagem encaminhada ---------"
    r"In(?:í|i)cio da mensagem (?:encaminhada|reencaminhada)\s?:",  # Apple Mail
)
FROM_FIELDS = ("De",)
HEADER_FIELDS = ("Enviado", "Enviada", "Data", "Para", "Cc", "Assunto")  # Outlook
SUBJECT_PREFIXES = ("RES", "ENC", "Enc", "RE", "Fwd")
SIGNOFFS = (
    r"atenciosamente|att\.?",  # Brazilian formal close
    r"(?:com\s+os\s+)?(?:melhores\s+)?cumprimentos",  # "Com os melhores cumprimentos"
    r"(?:um\s+)?abra(?:ç|c)os?|beijos?",
    r"(?:muito\s+)?obrigad[oa](?:\s+desde\s+j(?:á|a))?",
    r"sauda(?:ç|c)(?:õ|o)es",
)
DEVICE_SIGNATURES = (
    r"enviado\s+do\s+meu\s+.{1,40}",  # iOS "Enviado do meu iPhone"
    r"enviado\s+(?:a\s+partir\s+)?do\s+(?:outlook|email|yahoo).{0,40}",
    r"obter\s+o?\s*outlook\s+para\s+(?:ios|android)",
)
BANNERS: tuple[str, ...] = ()  # gateway warnings above the message
DISCLAIMERS = (
    r"esta\s+mensagem\s+(?:e\s+quaisquer\s+anexos\s+)?(?:é|e|são|sao|pode)\s+.{0,40}confidencia",
    r"as\s+informa(?:ç|c)(?:õ|o)es\s+contidas\s+nesta\s+mensagem",
)
