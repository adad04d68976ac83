"""Realistic places a secret sits in: env lines, JSON, YAML, CLI flags, HTTP headers, URLs, code, transcripts.

contexts(secret, name) -> {context name: text}; `name` is the provider word a variable would carry
(the scanner rule's keyword, such as "mailgun"), so keyword-anchored rules see what they would in a repo.
"""

from __future__ import annotations

import json


def transcript_row(content: str) -> str:
    row = {"type": "user", "message": {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_01", "content": content}]}}
    return json.dumps(row)


def contexts(secret: str, name: str) -> dict[str, str]:
    upper, lower = name.upper().replace("-", "_"), name.lower().replace("-", "_")
    camel = lower.split("_")[0] + "".join(part.title() for part in lower.split("_")[1:])
    env_file = f"# production settings\nAPP_ENV=production\n{upper}_API_KEY={secret}\nLOG_LEVEL=info\n"
    return {
        "env": f"export {upper}_TOKEN={secret}\n",
        "dotenv-quoted": f'{upper}_SECRET="{secret}"\n',
        "json": json.dumps({"service": name, f"{lower}_api_key": secret, "region": "eu-west-1"}, indent=2),
        "yaml": f"integrations:\n  {lower}:\n    {lower}_token: {secret}\n    enabled: true\n",
        "cli-flag": f"$ deploy-tool push --{lower.replace('_', '-')}-token={secret} --verbose\n",
        "http-header": f"GET /v1/items HTTP/1.1\r\nHost: api.example.com\r\nX-{name.title()}-Token: {secret}\r\n\r\n",
        "url": f"fetching https://api.example.com/v1/export?format=csv&{lower}_key={secret}\n",
        "code": f'const {camel}ApiKey = "{secret}";\nclient.init({camel}ApiKey);\n',
        "python": f'{lower}_client = Client(api_key="{secret}", timeout=30)\n',
        "transcript": transcript_row(f"$ cat .env\n{env_file}"),
        "prose": f"Here is the key you asked for: {secret} (rotate it after the demo)\n",
    }
