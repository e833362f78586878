"""English reply, signature and disclaimer patterns, as data.

Every pattern is a regex string matched against one stripped line (case-insensitive);
``classifier.normalize.mail`` merges all languages and compiles them once, since the
language of a mail is not known when it is cleaned. Every language module has the same
tables. ``REPLY_HEADERS``, ``ORIGINAL_HEADERS``, ``FORWARD_HEADERS``, ``SIGNOFFS`` and
``DEVICE_SIGNATURES`` match the whole line (a reply header may be wrapped over three
lines; a sign-off may carry a name of up to three words); ``BANNERS`` and
``DISCLAIMERS`` match the start of a line. ``FROM_FIELDS``/``HEADER_FIELDS`` are plain
field names and ``SUBJECT_PREFIXES`` plain prefixes, not regexes.
"""

# Attribution lines written above a quoted reply.
REPLY_HEADERS = (
    r"On\s.{1,200}\swrote\s?:",  # Gmail "On Tue, 5 Mar 2024 at 10:12, X <x@y> wrote:", Apple, iOS
    r".{1,200}\swrote\s?:",  # Thunderbird "X wrote:", Outlook.com "X <x@y> wrote:"
    r"Quoting\s.{1,200}:",  # Horde/IMP webmail "Quoting X <x@y>:"
    r".{1,200}\swrote\son\s.{1,100}:",  # Lotus Notes "X <x@y> wrote on 05/03/2024 10:12:"
    r"\d{4}-\d{2}-\d{2}\s.{1,200}<[^<>\s]+@[^<>\s]+>\s?:",  # old Gmail "2024-03-05 10:12 GMT+01:00 X <x@y>:"
    r"From:\s.{1,200}\sSent:\s.{1,200}",  # Outlook header flattened onto one line
)
# Separator lines that start a quoted original (Outlook, Android).
ORIGINAL_HEADERS = (
    r"-{2,}\s*Original Message\s*-{2,}",  # Outlook "-----Original Message-----", Samsung
    r"-{2,}\s*Reply message\s*-{2,}",  # Android stock mail "----- Reply message -----"
)
# Separator lines that start a forwarded message.
FORWARD_HEADERS = (
    r"-{2,}\s*Forwarded message\s*-{2,}",  # Gmail "---------- Forwarded message ---------"
    r"Begin forwarded message\s?:",  # Apple Mail
    r"-{2,}\s*Forwarded by\s.{1,100}",  # Lotus Notes "----- Forwarded by X on 05/03/2024 -----"
)
# Field names of an Outlook/Thunderbird header block ("From: ...\nSent: ...").
FROM_FIELDS = ("From",)
HEADER_FIELDS = ("Sent", "Date", "To", "Cc", "Subject")
# Subject prefixes of replies and forwards.
SUBJECT_PREFIXES = ("Re", "Fwd", "Fw")
# Closing phrases; a trailing name of up to three words may follow on the same line.
SIGNOFFS = (
    r"(?:best|kind|warm|warmest|many)\s+(?:regards|wishes)",  # "Best regards, John"
    r"regards",
    r"(?:yours\s+)?(?:sincerely|faithfully|truly)",  # formal letters
    r"cheers",
    r"thanks?(?:\s+(?:a lot|so much|again|in advance))?",  # "Thanks in advance"
    r"thank\s+you(?:\s+(?:very much|so much|in advance))?",
    r"many\s+thanks",
    r"all\s+the\s+best",
    r"best",
    r"br",  # "BR John" (business shorthand)
)
# Footers that mail clients append.
DEVICE_SIGNATURES = (
    r"sent\s+from\s+my\s+.{1,40}",  # "Sent from my iPhone", "Sent from my Galaxy"
    r"sent\s+from\s+(?:mail|outlook|yahoo mail|gmail)\b.{0,40}",  # "Sent from Mail for Windows"
    r"get\s+outlook\s+for\s+(?:ios|android)",  # Outlook mobile
    r"sent\s+(?:with|via|using)\s+.{1,40}",  # "Sent with ProtonMail secure email"
)
# Warning banners that mail gateways put above the message; the first paragraph is dropped.
BANNERS = (
    r"\[?(?:external|extern)\]?\s*(?:e-?mail)?\s*[:!-]?\s*(?:caution|this\s+e-?mail\s+originated)",  # "[EXTERNAL] ..."
    r"caution\s*:\s*this\s+e-?mail\s+originated\s+from\s+outside",  # Microsoft 365 / Mimecast
    r"\[external\]",
)
# Openings of legal disclaimers and footers.
DISCLAIMERS = (
    r"this\s+e-?mail\s+(?:and\s+any\s+(?:attachments|files)|message)?.{0,40}\b(?:confidential|intended)",
    r"this\s+(?:message|communication)\s+.{0,60}\b(?:confidential|privileged|intended)",
    r"the\s+information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message)",
    r"confidentiality\s+(?:notice|note)\b",
    r"disclaimer\s*:",
    r"please\s+consider\s+the\s+environment\s+before\s+printing",
    r"if\s+you\s+(?:are\s+not\s+the\s+intended|have\s+received\s+this\s+(?:e-?mail|message)\s+in\s+error)",
)
