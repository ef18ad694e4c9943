"""Where a run's teachers would send an API key, and who may choose that.

An LLM teacher sends the key from its environment variable to its endpoint. From the command line the user
chose both, so the CLI only warns when a key is about to leave for a host other than the provider's. A
dashboard, though, is a web page: whoever can reach it could set `base_url` to their own server and collect
the operator's key, or name any environment variable in `api_key_env` and receive its value as a bearer
token. So a config started from the dashboard may set `base_url` or `api_key_env` only for a host the operator
listed in PSEUDOLENS_ALLOWED_HOSTS (comma-separated host names). localhost and 127.0.0.1 are not allowed
unless listed too: what listens there is unknown (another user's process on a shared machine, a tunnel).

One guard covers every path from the dashboard to an LLM (a run's teachers, a taxonomy proposal, an LLM judge,
anything later): the dashboard marks each script run with `from_dashboard()`, and every chat-model teacher calls
`guard(...)` when it is built and again when it opens its client, so no page has to remember to check."""
from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlparse

from core.errors import ConfigError

ALLOWED_HOSTS_ENV = "PSEUDOLENS_ALLOWED_HOSTS"
# the provider's own endpoint and key variable of each LLM kind; the SDKs read these defaults themselves
PROVIDERS = {"claude": ("https://api.anthropic.com", "ANTHROPIC_API_KEY"),
             "openai_compatible": ("https://api.openai.com/v1", "OPENAI_API_KEY")}
OUTBOUND_PARAMS = ("base_url", "api_key_env")
# set in the dashboard's script thread; asyncio tasks and asyncio.to_thread inherit it, the CLI never sets it
_FROM_DASHBOARD: ContextVar[bool] = ContextVar("pseudolens_from_dashboard", default=False)


def from_dashboard() -> None:
    """Marks the rest of this thread's work (the dashboard's current script run) as chosen on a web page."""
    _FROM_DASHBOARD.set(True)


def in_dashboard() -> bool:
    return _FROM_DASHBOARD.get()


@dataclass(frozen=True)
class Destination:
    """Teacher `teacher` sends the value of `key_env` (when it is set) to `url`."""

    teacher: str
    kind: str
    url: str
    key_env: str

    @property
    def host(self) -> str:
        return (urlparse(self.url).hostname or "").lower()

    @property
    def provider_host(self) -> str:
        return (urlparse(PROVIDERS[self.kind][0]).hostname or "").lower()


def destination(spec) -> Destination | None:
    """The endpoint and key variable of an LLM teacher's spec (name, kind, params); None for other kinds."""
    if spec.kind not in PROVIDERS:
        return None
    default_url, default_env = PROVIDERS[spec.kind]
    if spec.kind == "claude":  # the anthropic SDK also honours this variable when no base_url is given
        default_url = os.environ.get("ANTHROPIC_BASE_URL") or default_url
    return Destination(spec.name, spec.kind, spec.params.get("base_url") or default_url,
                       spec.params.get("api_key_env") or default_env)


def destinations(specs: Iterable) -> list[Destination]:
    """Where each LLM teacher among `specs` sends its key."""
    return [d for d in map(destination, specs) if d is not None]


def allowed_hosts() -> set[str]:
    return {h.strip().lower() for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if h.strip()}


def _refuse(target: Destination, chosen: str) -> None:
    """The one rule: a destination the page chose (`chosen` names the parameter) must be on an allowed host."""
    allowed = allowed_hosts()
    if target.host not in allowed:
        raise ConfigError(
            f"teacher {target.teacher!r}: {chosen} would send a key to {target.host or target.url!r}, "
            f"which the operator has not allowed; the dashboard accepts {' or '.join(OUTBOUND_PARAMS)} only for "
            f"hosts listed in {ALLOWED_HOSTS_ENV} (now: {', '.join(sorted(allowed)) or 'none'}), "
            "or run this config with `python -m core run`")


def check_dashboard_destinations(specs: Iterable) -> None:
    """Raises ConfigError when a config from the dashboard sets an outbound destination (`base_url`,
    `api_key_env`) for a host the operator has not allowed; the Runs page asks before it starts anything."""
    for spec in specs:
        target = destination(spec)
        chosen = [p for p in OUTBOUND_PARAMS if p in spec.params]
        if target is not None and chosen:
            _refuse(target, f"params.{chosen[0]}")


def guard(teacher: str, kind: str, base_url: str | None, key_env: str) -> None:
    """Called by every chat-model teacher when it is built and when it opens its client: in the dashboard, a
    base_url or key variable other than the provider's default must point at an allowed host. Outside the
    dashboard (the command line, where the user chose both) it does nothing."""
    if not in_dashboard():
        return
    default_url, default_env = PROVIDERS[kind]
    chosen = "base_url" if base_url else "api_key_env" if key_env != default_env else None
    if chosen is not None:
        _refuse(Destination(teacher, kind, base_url or default_url, key_env), chosen)


def foreign_key_warnings(specs: Iterable) -> list[str]:
    """One sentence per teacher whose key (set in the environment) would go to a host not its provider's."""
    return [f"warning: teacher {d.teacher!r} will send ${d.key_env} to {d.host}, not to {d.provider_host}"
            for d in destinations(specs) if os.environ.get(d.key_env) and d.host != d.provider_host]
