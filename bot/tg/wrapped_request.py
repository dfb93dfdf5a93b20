"""`WrappedRequest`: python-telegram-bot's HTTP layer around another one, for adding a step to
every Bot API call (noting contact with the API, recording updates before confirming them)."""

from __future__ import annotations

from telegram.request import BaseRequest, RequestData


class WrappedRequest(BaseRequest):
    """A request object around python-telegram-bot's real one (`inner`): passes everything
    through; subclasses add to `do_request`."""

    def __init__(self, inner: BaseRequest):
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, read_timeout=None,
                         write_timeout=None, connect_timeout=None, pool_timeout=None) -> tuple[int, bytes]:
        return await self.inner.do_request(
            url, method, request_data=request_data, read_timeout=read_timeout, write_timeout=write_timeout,
            connect_timeout=connect_timeout, pool_timeout=pool_timeout)
