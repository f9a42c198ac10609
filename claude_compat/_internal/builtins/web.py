"""WebFetch (fetched here, shown to the model as text) and WebSearch (needs a provider Letta lacks)."""

from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ..tool_types import ToolOutcome
from ._base import InputError, ToolContext, ToolFailure, make_tool, outcome

MAX_DOWNLOAD = 10 * 1024 * 1024
MAX_CHARS = 100_000
MAX_REDIRECTS = 10
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "+json", "+xml")

WEB_FETCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "format": "uri", "description": "The URL to fetch content from"},
        "prompt": {"type": "string", "description": "The prompt to run on the fetched content"},
        "offset": {
            "type": "integer",
            "minimum": 0,
            "description": "Character position in the page text to start reading from, to read on through a "
            "long page with the value the previous result gave.",
        },
    },
    "required": ["url", "prompt"],
}
WEB_FETCH_DESCRIPTION = (
    "Fetches a URL (http or https) and returns its content as text: HTML pages are converted to plain "
    "text with links kept. Apply the prompt to the returned content yourself. A redirect to another host "
    "is reported instead of followed; fetch the new URL to continue. Long pages come in parts: pass the "
    "offset the result gives to read on."
)

WEB_SEARCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "minLength": 2, "description": "The search query to use"},
        "allowed_domains": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Only include search results from these domains",
        },
        "blocked_domains": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Never include search results from these domains",
        },
    },
    "required": ["query"],
}
WEB_SEARCH_DESCRIPTION = (
    "Searches the web and returns result titles and URLs, when a search provider is configured."
)
WEB_SEARCH_UNAVAILABLE = (
    "WebSearch needs a configured search provider on Letta, and this session has none, so no search was "
    "made. Answer from what you know, or fetch a page you know the URL of with WebFetch. (To enable web "
    "search, give the agent Letta's web_search tool on a server that has a search API key such as "
    'EXA_API_KEY; to stop offering this tool, pass disallowed_tools=["WebSearch"].)'
)


class _TextExtractor(HTMLParser):
    """HTML to readable text: block elements on their own lines, links as ``text (url)``."""

    SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
    BLOCK = frozenset(
        "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 "
        "h4 h5 h6 header hr li main nav ol p pre section table tr ul".split()
    )

    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.parts: list[str] = []
        self.skipping = 0
        self.title = ""
        self._in_title = False
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self.SKIP:
            self.skipping += 1
            return
        if tag in self.BLOCK:
            self.parts.append("\n")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.parts.append("#" * int(tag[1]) + " ")
        elif tag == "li":
            self.parts.append("- ")
        elif tag == "a":
            href = dict(attrs).get("href")
            self._href = urljoin(self.base_url, href) if href and not href.startswith("#") else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag == "a" and self._href:
            self.parts.append(f" ({self._href})")
            self._href = None
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if not self.skipping:
            self.parts.append(data)

    def text(self) -> str:
        raw = "".join(self.parts)
        lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in raw.split("\n")]
        body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        title = html.unescape(self.title.strip())
        return f"# {title}\n\n{body}" if title and not body.startswith(f"# {title}") else body


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"Invalid URL: {url!r}. WebFetch needs a full http:// or https:// URL.")


async def _web_fetch(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    url: str = tool_input["url"].strip()
    prompt: str = tool_input["prompt"]
    offset = int(tool_input.get("offset") or 0)
    _check_url(url)
    started = time.monotonic()
    current = url
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                async with client.stream(
                    "GET", current, headers={"User-Agent": "claude-compat WebFetch"}
                ) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        target = urljoin(current, resp.headers["location"])
                        if _host(target) == _host(current):
                            current = target
                            continue
                        return _redirect(url, target, prompt, resp, started)
                    body = bytearray()
                    async for chunk in resp.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > MAX_DOWNLOAD:
                            break
                    return _page(current, resp, bytes(body[:MAX_DOWNLOAD]), offset, started)
            except httpx.TimeoutException as exc:
                raise ToolFailure(_unreachable(current, f"timed out ({type(exc).__name__})")) from None
            except httpx.TransportError as exc:
                raise ToolFailure(_unreachable(current, str(exc) or type(exc).__name__)) from None
    raise ToolFailure(f"Too many redirects (more than {MAX_REDIRECTS}) fetching {url}.")


def _unreachable(url: str, reason: str) -> str:
    return (
        f"WebFetch could not reach {url}: {reason}. The network may be unreachable from this machine; "
        "check the connection or proxy settings (HTTPS_PROXY), or use another source."
    )


def _redirect(url: str, target: str, prompt: str, resp: httpx.Response, started: float) -> ToolOutcome:
    text = (
        "REDIRECT DETECTED: The URL redirects to a different host.\n\n"
        f"Original URL: {url}\nRedirect URL: {target}\nStatus: {resp.status_code} {resp.reason_phrase}\n\n"
        "To complete your request, fetch the redirected URL: use WebFetch again with these parameters:\n"
        f'- url: "{target}"\n- prompt: "{prompt}"'
    )
    return outcome(text, _structured(url, resp, 0, text, started))


def _structured(url: str, resp: httpx.Response, size: int, result: str, started: float) -> dict[str, Any]:
    return {
        "bytes": size,
        "code": resp.status_code,
        "codeText": resp.reason_phrase,
        "result": result,
        "durationMs": int((time.monotonic() - started) * 1000),
        "url": url,
    }


def _page(url: str, resp: httpx.Response, body: bytes, offset: int, started: float) -> ToolOutcome:
    if resp.status_code >= 400:
        raise ToolFailure(
            f"Request failed with status code {resp.status_code} ({resp.reason_phrase}) for {url}"
        )
    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and not any(t in ctype for t in TEXT_TYPES):
        raise ToolFailure(
            f"WebFetch cannot read {ctype} content from {url}: only text and HTML pages can be read."
        )
    text = body.decode(resp.encoding or "utf-8", errors="replace")
    if "html" in ctype or (not ctype and "<html" in text[:1000].lower()):
        parser = _TextExtractor(url)
        parser.feed(text)
        parser.close()
        text = parser.text()
    part = text[offset : offset + MAX_CHARS]
    if offset + MAX_CHARS < len(text):
        part += (
            f"\n\n[Content truncated: showing characters {offset}-{offset + MAX_CHARS} of {len(text)}. "
            f"Call WebFetch again with offset={offset + MAX_CHARS} to read on.]"
        )
    elif offset and not part:
        part = f"[No content at offset {offset}: the page text has {len(text)} characters.]"
    return outcome(part, _structured(url, resp, len(body), part, started))


async def _web_search(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    query = str(tool_input["query"])
    if len(query.strip()) < 2:
        raise InputError("InputValidationError: WebSearch failed: query must be at least 2 characters")
    raise ToolFailure(WEB_SEARCH_UNAVAILABLE)


WEB_FETCH = make_tool("WebFetch", WEB_FETCH_DESCRIPTION, WEB_FETCH_SCHEMA, _web_fetch, read_only=True)
WEB_SEARCH = make_tool("WebSearch", WEB_SEARCH_DESCRIPTION, WEB_SEARCH_SCHEMA, _web_search, read_only=True)
