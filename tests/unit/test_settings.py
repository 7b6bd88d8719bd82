from __future__ import annotations

import pytest

from shared.errors import ApiError
from shared.read.regions import known_regions, region_endpoints
from shared.settings import Settings


def test_defaults() -> None:
    s = Settings.from_env({})
    assert (s.validation, s.connect_timeout, s.read_timeout, s.scan_concurrency) == ("warn", 3.0, 10.0, 4)
    assert s.endpoint is None and s.ak is None


def test_secrets_are_not_in_repr() -> None:
    s = Settings.from_env({"HUAWEICLOUD_SDK_AK": "AKVALUE123", "HUAWEICLOUD_SDK_SK": "SKVALUE456"})
    assert s.ak == "AKVALUE123"
    assert "AKVALUE123" not in repr(s) and "SKVALUE456" not in repr(s)


def test_project_id_from_either_name() -> None:
    assert Settings.from_env({"HUAWEICLOUD_SDK_PROJECT_ID": "p1"}).project_id == "p1"
    assert Settings.from_env({"SMS_PROJECT_ID": "p2", "HUAWEICLOUD_SDK_PROJECT_ID": "p1"}).project_id == "p2"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"SMS_VALIDATION": "loud"}, "SMS_VALIDATION"),
        ({"SMS_READ_TIMEOUT": "soon"}, "SMS_READ_TIMEOUT"),
        ({"SMS_CONNECT_TIMEOUT": "0"}, "SMS_CONNECT_TIMEOUT"),
        ({"SMS_SCAN_CONCURRENCY": "100"}, "SMS_SCAN_CONCURRENCY"),
        ({"SMS_ENDPOINT": "sms.example"}, "SMS_ENDPOINT"),
    ],
)
def test_bad_settings_are_clear_config_errors(env: dict, fragment: str) -> None:
    with pytest.raises(ApiError) as info:
        Settings.from_env(env)
    assert info.value.status == 500 and fragment in info.value.error_msg


def test_region_table_matches_the_sdk() -> None:
    from huaweicloudsdksms.v3.region.sms_region import SmsRegion

    assert known_regions() == sorted(SmsRegion.static_fields)
    for region in known_regions():
        assert region_endpoints(region) == SmsRegion.value_of(region).endpoints


def test_unknown_region_lists_the_known_ones() -> None:
    with pytest.raises(ApiError) as info:
        region_endpoints("mars-1")
    assert "cn-north-4" in info.value.error_msg
