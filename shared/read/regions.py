"""SMS endpoints by region, taken from the SDK's own ``SmsRegion`` table.

``huaweicloudsdksms.v3.region.sms_region`` sits inside the ``huaweicloudsdksms.v3`` package, whose
``__init__`` imports all ~300 model classes (tens of ms of cold start we never use: we read raw
JSON). The region module itself only needs ``huaweicloudsdkcore``, so it is loaded from its file
without running the package ``__init__``. ``SmsRegion.value_of`` still honours the SDK's own
overrides (``HUAWEICLOUD_SDK_REGION_SMS_<REGION>`` environment variables and region files)."""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.errors import config_error


@lru_cache(maxsize=1)
def _sms_region_class() -> Any:
    spec = importlib.util.find_spec("huaweicloudsdksms")
    if spec is None or not spec.submodule_search_locations:
        raise config_error("the huaweicloudsdksms package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "v3" / "region" / "sms_region.py"
    module_spec = importlib.util.spec_from_file_location("_sms_region_table", path)
    if module_spec is None or module_spec.loader is None:
        raise config_error(f"cannot load the SDK's SMS region table from {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.SmsRegion


def known_regions() -> list[str]:
    return sorted(_sms_region_class().static_fields)


def region_endpoints(region_id: str) -> list[str]:
    """The SDK's endpoint list for ``region_id``; a clear configuration error for unknown ones."""
    try:
        region = _sms_region_class().value_of(region_id)
    except KeyError:
        raise config_error(
            f"SMS_REGION {region_id!r} is not an SMS region of the SDK; use one of "
            f"{', '.join(known_regions())} or set SMS_ENDPOINT"
        ) from None
    return list(region.endpoints)
