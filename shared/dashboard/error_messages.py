"""What an error page tells its reader, in the page's language: one translated sentence per
``SMSFN`` code (and for SMS's own errors, by status), so a Chinese page never leads with an
English message. The original ``error_msg`` (English, redacted) stays on the page as the
technical detail an operator quotes."""
from __future__ import annotations

from shared.i18n.labels import N_

# Marked for the catalogs with N_; translated where the page's language is known.
CODE_MESSAGES = {
    "SMSFN.0400": N_("The request is not valid: a parameter is wrong (see the detail below)."),
    "SMSFN.0401": N_("This link is not valid: it was altered, has expired or opens another page."),
    "SMSFN.0404": N_("There is nothing here: no such page, or no such task within this link's filters."),
    "SMSFN.0405": N_("This page can only be read (GET)."),
    "SMSFN.0409": N_("The task list changed while it was being read. Reload the page."),
    "SMSFN.0413": N_("The answer is too large for the function to send and no export bucket is set. "
                     "Narrow the filters."),
    "SMSFN.0500": N_("Something went wrong on our side. Quote the request id to the operator."),
    "SMSFN.0502": N_("SMS could not be reached or answered with an error. Try again in a minute."),
    "SMSFN.0504": N_("SMS did not answer in time. Try again in a minute."),
    "SMSFN.0512": N_("SMS answered with data that could not be read. Try again in a minute."),
    "SMSFN.0513": N_("SMS answered with data that breaks its documented format."),
    "SMSFN.0514": N_("SMS's answer was too large to read."),
    "SMSFN.0515": N_("One task is too large for any answer on its own. Ask with gzip, or narrow the filters."),
    "SMSFN.0516": N_("The export could not be stored in the export bucket. Try again later."),
}
STATUS_MESSAGES = {
    400: N_("SMS refused the request."),
    401: N_("SMS refused the function's credentials: the link is fine, the function's setup is not."),
    403: N_("SMS refused the request: the function's agency lacks a permission."),
    404: N_("SMS has no such resource."),
    429: N_("SMS is throttling requests. Try again later."),
}
FALLBACK = N_("The request failed.")


def error_message(status: int, error_code: str) -> str:
    """The untranslated sentence for an error (``N_`` msgid): by our code, else by status."""
    return CODE_MESSAGES.get(error_code) or STATUS_MESSAGES.get(status, FALLBACK)
