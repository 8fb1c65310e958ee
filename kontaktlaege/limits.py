"""The request body limit of the embedded server (MAX_REQUEST_BODY_BYTES, as nginx's
client_max_body_size): Django's own limit applies only after the body was spooled to disk."""

from typing import Any

from django.conf import settings

TOO_LARGE = b"Anmodningen er for stor."


class BodyLimit:
    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        limit = settings.MAX_REQUEST_BODY_BYTES
        length = dict(scope.get("headers", ())).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            return await _refuse(send)
        received = 0

        async def limited() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a chunked body that does not say its length
                    await _refuse(send)
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing
            return message

        return await self.application(scope, limited, send)


async def _refuse(send: Any) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": TOO_LARGE})
