"""The httptools protocol of :mod:`authsvc.protocol` (apart: importing it needs httptools)."""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from authsvc.protocol import bad_request

__all__ = ["ProblemHttpToolsProtocol"]


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """httptools (uvicorn's default C parser) with a problem+json 400."""

    def send_400_response(self, msg: str) -> None:  # noqa: ARG002 (uvicorn's text is replaced)
        """Answer a request httptools could not parse, then close the connection."""
        headers, body = bad_request()
        content = [STATUS_LINE[400]]
        for name, value in [*self.server_state.default_headers, *headers]:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"\r\n", body])
        self.transport.write(b"".join(content))
        self.transport.close()
