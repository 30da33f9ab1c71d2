"""Comments written by an OpenAI-compatible chat endpoint (`POST {base_url}/chat/completions`)."""

from __future__ import annotations

import httpx

from ..errors import StepFailed

__all__ = ["CHATGPT_TIMEOUT", "chat_comment"]

#: Seconds one completion may take.
CHATGPT_TIMEOUT = 30.0


def _unsaid(remark: str, api_key: str) -> str:
    """`remark` without the key: an endpoint may echo it back in an error."""
    return remark.replace(api_key, "********") if api_key else remark


async def chat_comment(http: httpx.AsyncClient | None, *, base_url: str, api_key: str,
                       model: str, prompt: str, max_tokens: int, temperature: float,
                       about: str = "") -> str:
    """One comment from the endpoint: `prompt` as the instruction, `about` (the video's
    caption) as what to comment on. `http` None uses a client for this call only.

    Raises:
        StepFailed: the endpoint is unreachable, answers an error status (named), or
            sends no usable text.
    """
    url = base_url.rstrip("/") + "/chat/completions"
    messages = [{"role": "system", "content": prompt},
                {"role": "user", "content": f"Video caption: {about}" if about
                 else "Write the comment."}]
    body = {"model": model, "messages": messages, "max_tokens": max_tokens,
            "temperature": temperature}
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        if http is None:
            async with httpx.AsyncClient(timeout=CHATGPT_TIMEOUT) as client:
                response = await client.post(url, json=body, headers=headers)
        else:
            response = await http.post(url, json=body, headers=headers,
                                       timeout=CHATGPT_TIMEOUT)
    except httpx.TimeoutException as error:
        raise StepFailed(f"ChatGPT endpoint {url} did not answer in {CHATGPT_TIMEOUT:g} s") \
            from error
    except httpx.HTTPError as error:
        raise StepFailed(_unsaid(f"ChatGPT endpoint {url} unreachable: "
                                 f"{error or type(error).__name__}", api_key)) from error
    if response.status_code != 200:
        raise StepFailed(_unsaid(f"ChatGPT endpoint answered HTTP {response.status_code}: "
                                 f"{response.text[:200]}", api_key))
    try:
        text = response.json()["choices"][0]["message"]["content"]
    except (ValueError, LookupError, TypeError):
        raise StepFailed("ChatGPT endpoint answered without a message") from None
    if not isinstance(text, str) or not text.strip():
        raise StepFailed("ChatGPT endpoint answered an empty comment")
    return text.strip().strip('"')
