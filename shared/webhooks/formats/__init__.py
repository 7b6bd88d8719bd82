"""One module per platform, each with ``render(summary, url, secret, ctx) -> Prepared`` and
``interpret(status, body) -> Verdict``; ``FORMAT_MODULES`` maps format names to them."""
from __future__ import annotations

from types import ModuleType

from shared.webhooks.formats import dingtalk, feishu, generic, slack, wecom
from shared.webhooks.formats.base import OutgoingRequest, Prepared, RenderContext, RenderError, Verdict

FORMAT_MODULES: dict[str, ModuleType] = {
    "generic": generic,
    "slack": slack,
    "feishu": feishu,
    "dingtalk": dingtalk,
    "wecom": wecom,
}

__all__ = ["FORMAT_MODULES", "OutgoingRequest", "Prepared", "RenderContext", "RenderError", "Verdict"]
