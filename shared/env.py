"""Reading typed settings from an environment mapping: one place for the range checks and the
wording of their errors (a clear ``SMSFN.0500`` naming the variable, never its value, never a
crash at import)."""
from __future__ import annotations

from collections.abc import Mapping

from shared.errors import config_error

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def env_number(env: Mapping[str, str], name: str, default: float, lo: float, hi: float, kind: type = float) -> float:
    """``kind`` (int or float) from ``env[name]``, ``default`` when unset, in ``[lo, hi]``."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    noun = "an integer" if kind is int else "a number"
    try:
        value = kind(raw)
    except ValueError:
        raise config_error(f"{name} must be {noun} from {lo} to {hi}") from None
    if not lo <= value <= hi:
        raise config_error(f"{name} must be {noun} from {lo} to {hi}")
    return value


def env_int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    return int(env_number(env, name, default, lo, hi, int))


def env_flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise config_error(f"{name} must be true or false")
