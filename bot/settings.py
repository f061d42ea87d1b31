"""Typed settings, loaded once from the environment or `.env` and passed in; never read deep inside."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

API_ROOTS = {
    "telegram": ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
    "bale": ("https://tapi.bale.ai/bot", "https://tapi.bale.ai/file/bot"),
}


class Settings(BaseSettings):
    """Everything an operator can set, with the defaults a fresh clone runs on."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", extra="ignore")

    token: str | None = None
    platform: Literal["telegram", "bale"] = "telegram"
    api_base_url: str | None = None
    # A file path (as always) or a database URL, `sqlite:///data/bot.db`; storage.open_database reads both.
    database: Path | str = Path("data/bot.db")
    knowledge_dir: Path = ROOT / "knowledge"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    log_retention_days: int = Field(default=180, ge=1)
    # Requests done or rejected this long ago lose their personal data (the request itself stays).
    request_retention_days: int = Field(default=365, ge=1)
    # Requests one chat account may register in 24 hours (a national code is no secret: this bounds what
    # one account can claim).
    max_requests_per_day: int = Field(default=5, ge=1)
    log_level: str = "INFO"
    # Per-user flood control: a burst of this many updates, then this many per second.
    flood_burst: int = Field(default=30, ge=1)
    flood_rate: float = Field(default=5.0, gt=0)
    max_concurrent_updates: int = Field(default=64, ge=1)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """`BOT_ADMIN_IDS=12,34 56` → {12, 34, 56}."""
        if isinstance(value, str):
            parts = [p for p in value.replace(",", " ").split() if p]
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("database", mode="before")
    @classmethod
    def _path_or_url(cls, value: object) -> object:
        """A URL (`scheme://...`) stays text, since a Path would fold its slashes; anything else is a Path."""
        if isinstance(value, str):
            return value.strip() if "://" in value else Path(value)
        return value

    @field_validator("token", "api_base_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def base_url(self) -> str:
        """The Bot API root (PTB `base_url`): the override, or the platform's own.

        An override may be given with or without the trailing `/bot` (`http://127.0.0.1:8081`)."""
        if self.api_base_url:
            root = self.api_base_url.rstrip("/")
            return root if root.endswith("/bot") else root + "/bot"
        return API_ROOTS[self.platform][0]

    @property
    def base_file_url(self) -> str:
        """The file root (PTB `base_file_url`), next to the API root."""
        if self.api_base_url:
            return self.base_url[: -len("/bot")] + "/file/bot"
        return API_ROOTS[self.platform][1]


def load_settings(**overrides: object) -> Settings:
    """Settings from env/.env, with explicit overrides (CLI flags) winning."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
