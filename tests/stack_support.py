"""Reading the stack's compose files the way Docker Compose does, for the stack tests (no daemon needed).

- `load_compose(path)`: YAML with Compose's `!reset` / `!override` tags (markers, not values).
- `interpolate(model, env)`: Compose's variable syntax ($$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e},
  ${VAR?e}, ${VAR:+r}, ${VAR+r}); a missing required variable raises MissingVariable with Compose's message.
- `merge(base, override)`: the override-file merge of the Compose spec (13-merge.md): mappings merge,
  sequences append, `!reset` removes, `!override` replaces.
- `active_services(model, profiles)`: the services Compose starts with those profiles enabled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
CLOUD = REPO / "docker-compose.cloud.yml"
ENV_TEMPLATE = REPO / ".env.example"


class Reset:
    """`!reset`: the key is removed from the merged model."""


class Override:
    def __init__(self, value: Any) -> None:
        self.value = value


class _Loader(yaml.SafeLoader):
    pass


def _reset(loader: yaml.SafeLoader, node: yaml.Node) -> Reset:
    return Reset()


def _override(loader: yaml.SafeLoader, node: yaml.Node) -> Override:
    if isinstance(node, yaml.MappingNode):
        return Override(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return Override(loader.construct_sequence(node, deep=True))
    return Override(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.add_constructor("!reset", _reset)
_Loader.add_constructor("!override", _override)


def load_compose(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a SafeLoader subclass


class MissingVariable(Exception):
    pass


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_BRACED = re.compile(r"\$\{(?P<name>" + _NAME + r")(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")
_TOKEN = re.compile(r"\$\$|\$\{[^}]*\}|\$" + _NAME)


def variable_references(text: str) -> list[tuple[str, str | None, str]]:
    """(name, operator or None, argument) of every ${...} / $NAME in text ($$ is a literal $)."""
    found = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token == "$$":
            continue
        braced = _BRACED.fullmatch(token)
        if braced:
            found.append((braced["name"], braced["op"], braced["arg"] or ""))
        elif token.startswith("${"):
            raise ValueError(f"invalid interpolation {token!r}")
        else:
            found.append((token[1:], None, ""))
    return found


def _substitute(text: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$$":
            return "$"
        braced = _BRACED.fullmatch(token)
        if braced is None:
            if token.startswith("${"):
                raise ValueError(f"invalid interpolation {token!r}")
            return env.get(token[1:], "")
        name, op, arg = braced["name"], braced["op"], braced["arg"] or ""
        value = env.get(name)
        empty = value is None or value == ""
        if op == ":-":
            return arg if empty else value  # type: ignore[return-value]
        if op == "-":
            return arg if value is None else value
        if op == ":?":
            if empty:
                raise MissingVariable(f"required variable {name} is missing a value: {arg}")
            return value  # type: ignore[return-value]
        if op == "?":
            if value is None:
                raise MissingVariable(f"required variable {name} is missing a value: {arg}")
            return value
        if op == ":+":
            return "" if empty else arg
        if op == "+":
            return "" if value is None else arg
        return value or ""

    return _TOKEN.sub(replace, text)


def interpolate(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return _substitute(node, env)
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, Override):
        return Override(interpolate(node.value, env))
    return node


def all_strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [text for item in node for text in all_strings(item)]
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in [str(key), *all_strings(value)]]
    if isinstance(node, Override):
        return all_strings(node.value)
    return []


def merge(base: Any, override: Any) -> Any:
    if isinstance(override, Override):
        return override.value
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for key, value in override.items():
            if isinstance(value, Reset):
                result.pop(key, None)
            elif key in result:
                result[key] = merge(result[key], value)
            else:
                result[key] = value.value if isinstance(value, Override) else value
        return result
    if isinstance(base, list) and isinstance(override, list):
        return base + [item for item in override if item not in base]
    return override


def active_services(model: Mapping[str, Any], profiles: set[str]) -> dict[str, Any]:
    return {name: service for name, service in model["services"].items()
            if not service.get("profiles") or set(service["profiles"]) & profiles}


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping (Compose allows a list of NAME=value too)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {str(key): "" if value is None else str(value) for key, value in raw.items()}


def compose_model(env: Mapping[str, str]) -> dict[str, Any]:
    """docker-compose.yml as Compose reads it with a fresh .env (what `ccotel init` writes) plus `env`."""
    from ccotel.commands._envfile import parse_env, render_env

    fresh = parse_env(render_env(ENV_TEMPLATE.read_text(encoding="utf-8"), source=str(ENV_TEMPLATE)).text)
    return interpolate(load_compose(COMPOSE), {**fresh, **env})


def budget_rules(env: Mapping[str, str], directory: Path) -> Path:
    """The budgets file Compose renders from .env (the prometheus-budgets config)."""
    path = directory / "budgets.yml"
    path.write_text(compose_model(env)["configs"]["prometheus-budgets"]["content"], encoding="utf-8")
    return path
