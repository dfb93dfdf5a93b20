"""What the Telegram side tells the observer (bot/observability.py): every successful Bot API
call (`ObservedRequest`, for /healthz), and `IGNORED`, what a handler returns for an update that
was not meant for the bot (logged at DEBUG with that outcome)."""

from __future__ import annotations

from telegram.request import BaseRequest

from ..observability import IGNORED_OUTCOME, ApiContact
from .wrapped_request import WrappedRequest

IGNORED = IGNORED_OUTCOME  # the handler marker is the outcome it is logged with


class ObservedRequest(WrappedRequest):
    """python-telegram-bot's HTTP layer, passed through, noting every successful Bot API call."""

    def __init__(self, inner: BaseRequest, contact: ApiContact):
        super().__init__(inner)
        self.contact = contact

    async def do_request(self, url: str, method: str, *args, **kwargs) -> tuple[int, bytes]:
        status, payload = await super().do_request(url, method, *args, **kwargs)
        if 200 <= status < 300:
            self.contact.touch()
        return status, payload
