"""Settings: the only place that reads the environment."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]

# -- the formats of two settings (their rules live with them, so validating needs no layer above)

HOST_GATEWAY = "host-gateway"
_ENTRY = re.compile(r"^(?P<dest>[^:]+?)(?::(?P<port>\d{1,5}))?$")


@dataclass(frozen=True)
class Allow:
    """One destination the admin allows: a network (None: the host gateway) and maybe a TCP port."""

    network: ipaddress.IPv4Network | None
    port: int | None

    def destination(self, gateway: str) -> str:
        return f"{gateway}/32" if self.network is None else str(self.network)


def parse_allow(entries: Sequence[str]) -> list[Allow]:
    """Parse `CIDR[:PORT]` / `host-gateway:PORT` entries; ValueError names the bad one."""
    out: list[Allow] = []
    for raw in entries:
        entry = raw.strip()
        match = _ENTRY.match(entry)
        if not match:
            raise ValueError(f"container egress entry {raw!r}: expected CIDR[:PORT] or host-gateway:PORT")
        port = int(match.group("port")) if match.group("port") else None
        if port is not None and not 1 <= port <= 65535:
            raise ValueError(f"container egress entry {raw!r}: port out of range")
        dest = match.group("dest")
        if dest == HOST_GATEWAY:
            if port is None:
                raise ValueError(f"container egress entry {raw!r}: host-gateway needs a port")
            out.append(Allow(None, port))
            continue
        try:
            network = ipaddress.IPv4Network(dest, strict=False)
        except ValueError as exc:
            raise ValueError(f"container egress entry {raw!r}: {exc}") from exc
        out.append(Allow(network, port))
    return out


def check_template(template: str) -> str:
    """Refuse a preview URL template that is not http(s) with `{name}` as its host's first label."""
    parts = urlsplit(template.replace("{name}", "pname"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("AUTOCODE_PREVIEW_URL must be an http(s) URL")
    if not template.split("://", 1)[1].startswith("{name}.") or template.count("{name}") != 1:
        raise ValueError(
            "AUTOCODE_PREVIEW_URL needs {name} as the first label of its host, e.g. https://{name}.preview.example.com"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("AUTOCODE_PREVIEW_URL is an origin: no path, query or fragment")
    return template.rstrip("/")


class Settings(BaseSettings):
    """Validated configuration, prefix `AUTOCODE_`."""

    model_config = SettingsConfigDict(env_prefix="AUTOCODE_", extra="ignore")
    _without_master_secret: ClassVar[bool] = False

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # Master secret for JWT signing and Fernet; generated into data/secret.key when unset.
    secret_key: SecretStr | None = None
    admin_username: str = "admin"
    admin_password: SecretStr | None = None

    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    ws_ticket_seconds: int = Field(default=30, ge=5, le=600)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Uploads into a workspace have limits of their own: per file, per request (the body,
    # multipart framing included) and files per request. Keep deploy/Caddyfile's upload
    # max_size a little above upload_max_bytes.
    upload_max_file_bytes: int = Field(default=100_000_000, ge=1024)
    upload_max_bytes: int = Field(default=250_000_000, ge=1024)
    upload_max_files: int = Field(default=1000, ge=1, le=10_000)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    cookie_secure: bool | None = None
    # "Test key" in Settings: how long the provider has to answer before the verdict says so.
    key_test_timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    static_dir: Path | None = None

    # --- live preview of what a project serves (a separate origin: docs/deploy.md) ---
    # The preview server listens on the app's host at this port. Each preview (project + port)
    # gets a host of its own from `preview_url`, a URL template with `{name}` in its host
    # (e.g. https://{name}.preview.example.com); empty: http://{name}.localhost:<preview_port>.
    preview_port: int = Field(default=8001, ge=1, le=65535)
    preview_url: str = ""
    preview_token_seconds: int = Field(default=60, ge=5, le=600)
    preview_cookie_minutes: int = Field(default=30, ge=1, le=24 * 60)

    # --- trust boundary (auth) ---
    # Proxies whose X-Forwarded-For / -Proto are believed: a comma list of IPs or CIDRs.
    # Empty (the default) trusts nobody; behind Caddy on the same host, 127.0.0.1.
    trusted_proxies: str = ""
    # At most this many throttle keys are remembered; the least recently used go first.
    throttle_max_keys: int = Field(default=10_000, ge=100)

    runtime: Literal["local", "docker"] = "local"
    workspace_image: str = "autocode-workspace:latest"
    container_memory: str = "2g"
    container_cpus: float = Field(default=1.0, gt=0)
    container_pids: int = Field(default=512, ge=16)
    container_network: str | None = None
    idle_minutes: float = Field(default=30, gt=0)
    # A project's clone from its repository is stopped after this long.
    clone_timeout_seconds: float = Field(default=600, ge=5, le=3600)
    terminals_per_user: int = Field(default=8, ge=1)
    # Open WebSockets (events feeds and terminals) an account may hold at once.
    sockets_per_user: int = Field(default=32, ge=2)
    # Supervisors poke the server after each commit; this poll only catches pokes that were lost.
    events_safety_poll_seconds: float = Field(default=5.0, gt=0, le=3600)

    claude_command: str = "claude"
    # Supervisor tuning: silence while busy before interrupting, and the retry backoff cap.
    stall_seconds: float = Field(default=300, gt=0)
    retry_backoff_max_seconds: float = Field(default=60, gt=0)
    supervisor_tick_seconds: float = Field(default=0.2, gt=0, le=5)
    context_window_tokens: int = Field(default=200_000, ge=1000)
    context_compact_ratio: float = Field(default=0.85, gt=0, le=1)
    usage_limit_wait_seconds: float = Field(default=900, gt=0)
    brain_enabled: bool = True

    # Web Push: the contact push services see in the VAPID token (a mailto: or https: URL;
    # Apple's refuses a localhost address).
    vapid_subject: str = Field(default="mailto:admin@autocode.invalid", pattern=r"^(mailto:|https://)\S+$")

    # Agent templates' MCP servers (the decision model's tools). Commands run inside the user's
    # container under the docker runtime; under the local runtime they would run on the host, so
    # only these exact absolute commands may (comma list; default none). URL servers may reach
    # public addresses only, plus these networks (comma list of CIDRs, e.g. 10.0.5.0/24).
    mcp_host_commands: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mcp_allowed_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("mcp_host_commands", "mcp_allowed_networks", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("mcp_host_commands")
    @classmethod
    def _absolute_commands(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.startswith("/"):
                raise ValueError(f"AUTOCODE_MCP_HOST_COMMANDS: {item!r} is not an absolute path")
        return value

    @field_validator("mcp_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    # --- isolation between users (docs/security.md) -------------------------------------------
    # The local runtime runs every account's shell as the service user: in production only
    # admins may use it, unless the admin opts in with "all" (then nothing separates users).
    local_runtime_users: Literal["admins", "all"] = "admins"
    # What users' containers may reach besides the public internet and DNS, as
    # `CIDR[:PORT]` or `host-gateway:PORT` (the host, e.g. a model gateway on it). JSON list.
    container_egress_allow: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        # A supervisor is handed the server's settings without the master secret (supervisor/boot.py).
        if self.environment == "production" and not self._without_master_secret:
            if self.secret_key is None or len(self.secret_key.get_secret_value()) < 32:
                raise ValueError("production requires AUTOCODE_SECRET_KEY (at least 32 characters)")
            network = self.container_network or ""
            if network == "host" or network.startswith("container:"):
                raise ValueError(
                    "AUTOCODE_CONTAINER_NETWORK=host (or container:...) is refused in production:"
                    " it gives users' containers the host's 127.0.0.1 (the API, Caddy's admin)"
                )
        parse_allow(self.container_egress_allow)
        return self

    @field_validator("preview_url")
    @classmethod
    def _preview_template(cls, value: str) -> str:
        return check_template(value) if value else value

    @property
    def preview_template(self) -> str:
        """The URL template of one preview (`{name}` is its host label)."""
        return self.preview_url or f"http://{{name}}.localhost:{self.preview_port}"

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if item:
                ipaddress.ip_network(item, strict=False)  # raises ValueError: a clear 422-like error
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies, one IP or CIDR each (empty: trust no forwarded header)."""
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    @property
    def api_docs_enabled(self) -> bool:
        """`/docs`, `/redoc` and `/openapi.json` are for development only."""
        return self.environment != "production"

    @cached_property
    def data_path(self) -> Path:
        """The data directory as an absolute path."""
        return self.data_dir.expanduser().resolve()

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_path / 'autocode.db'}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.environment == "production"

    @property
    def pwa_dir(self) -> Path | None:
        """Where the built PWA is, if it was built."""
        candidate = self.static_dir or REPO_ROOT / "frontend" / "dist"
        return candidate if (candidate / "index.html").is_file() else None
