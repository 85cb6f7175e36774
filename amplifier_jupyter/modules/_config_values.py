"""Reading a built-in module's config: a wrong type is one line naming the key.

``int(config["max_output"])`` on ``"big"`` says ``invalid literal for int()``,
and ``config["tools"].items()`` on ``"yes"`` says ``'str' object has no
attribute 'items'``: neither tells the user which key to fix. These readers
raise :class:`ConfigError` with ``config KEY must be ..., not VALUE``; the
loader prefixes the module's id (``tool-python did not load: ...``).
"""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """A module's config has a value of the wrong kind."""


def _wrong(key: str, wanted: str, value: Any) -> ConfigError:
    return ConfigError(f"config {key} must be {wanted}, not {value!r}")


def _converted(key: str, value: Any, convert: Any, wanted: str) -> Any:
    """``convert(value)`` for a number or a string; else, or when it fails, the error."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _wrong(key, wanted, value)
    try:
        return convert(value)
    except ValueError:
        raise _wrong(key, wanted, value) from None


def whole_number(config: dict[str, Any], key: str, default: int, *, minimum: int = 0) -> int:
    """``config[key]`` as an int of at least ``minimum`` (``default`` when absent)."""
    value = config.get(key, default)
    number: int = _converted(key, value, int, f"a whole number (e.g. {default})")
    if (number != value and not isinstance(value, str)) or number < minimum:
        raise _wrong(key, f"a whole number of at least {minimum} (e.g. {default})", value)
    return number


def seconds(config: dict[str, Any], key: str, default: float) -> float:
    """``config[key]`` as a number of seconds, zero or more."""
    value = config.get(key, default)
    number: float = _converted(key, value, float, f"a number of seconds (e.g. {default:g})")
    if not number >= 0:  # also NaN
        raise _wrong(key, "a number of seconds, zero or more", value)
    return number


def flag(config: dict[str, Any], key: str, default: bool) -> bool:
    """``config[key]`` as a bool: true/false, or the strings a YAML user may write."""
    value = config.get(key, default)
    if isinstance(value, bool):
        return value
    words = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
    if isinstance(value, str) and value.strip().lower() in words:
        return words[value.strip().lower()]
    raise _wrong(key, "true or false", value)


def mapping(config: dict[str, Any], key: str, example: str) -> dict[str, Any]:
    """``config[key]`` as a dict (empty when absent)."""
    value = config.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(key, f"a mapping, e.g. {example}", value)
    return value
