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


class UserData:
    def __init__(self, **values: str) -> None:
        self.values = values

    def getUserData(self, key: str) -> str | None:
        return self.values.get(key)


def test_environment_asks_user_data_first_then_the_fallback() -> None:
    from shared.settings import Environment

    env = Environment(UserData(SMS_REGION="ap-southeast-3", EMPTY=""), {"SMS_REGION": "cn-north-4", "EMPTY": "x",
                                                                           "ONLY_ENV": "1"})
    assert env["SMS_REGION"] == "ap-southeast-3"
    assert env.get("ONLY_ENV") == "1" and env.get("EMPTY") == "x"  # an empty user-data value falls through
    assert "MISSING" not in env and env.get("MISSING") is None
    assert Environment(object(), {"A": "1"}).get("A") == "1"  # a context without getUserData


def test_a_bad_setting_names_the_variable_never_its_value() -> None:
    with pytest.raises(ApiError) as info:
        Settings.from_env({"SMS_READ_TIMEOUT": "secret-looking-value"})
    assert "SMS_READ_TIMEOUT" in info.value.error_msg and "secret-looking-value" not in info.value.error_msg


def test_sections_are_read_on_first_use_only() -> None:
    s = Settings.from_env({"SUMMARY_MAX_ITEMS": "many", "EVENT_MAX_RECORD_BYTES": "1"})
    assert s.region is None  # building the SMS settings does not touch the broken sections
    with pytest.raises(ApiError, match="SUMMARY_MAX_ITEMS"):
        _ = s.summary
    with pytest.raises(ApiError, match="EVENT_MAX_RECORD_BYTES"):
        _ = s.events
    assert Settings.from_env({}).summary.max_items == 50 and Settings.from_env({}).webhooks.max_attempts == 4


# --- dashboard link settings (issue 21) ---------------------------------------------------------

@pytest.mark.parametrize("weak", [
    "a" * 64,                                   # one symbol
    "abababababababababababababababababababab",  # two symbols: 40 bits by the estimate
    "0123456789abcdef",                          # the old 16-character minimum
    "short-but-Rand0m!",                         # under 32 characters
    "0101010101010101010101010101010101010101010101010101010101",
])
def test_a_weak_link_secret_is_refused_naming_the_rule_not_the_value(weak: str) -> None:
    with pytest.raises(ApiError) as info:
        _ = Settings(env={"DASHBOARD_LINK_SECRET": weak}).dashboard
    assert "DASHBOARD_LINK_SECRET" in info.value.error_msg and weak not in info.value.error_msg
    assert "make dashboard-link NEW_SECRET=1" in info.value.error_msg


def test_a_fresh_secret_passes_the_rule() -> None:
    import secrets

    from local.dashboard_link import new_secret
    from shared.settings import MIN_LINK_SECRET_BITS, secret_bits

    for _ in range(200):
        fresh = new_secret()
        assert secret_bits(fresh) >= MIN_LINK_SECRET_BITS
        assert Settings(env={"DASHBOARD_LINK_SECRET": fresh}).dashboard.link_secret == fresh
    assert Settings(env={"DASHBOARD_LINK_SECRET": secrets.token_hex(32)}).dashboard.link_secret


def test_link_lifetimes_are_capped() -> None:
    d = Settings(env={}).dashboard
    assert d.max_link_ttl_s == 30 * 86400 and d.link_ttl_s <= d.max_link_ttl_s
    assert Settings(env={"DASHBOARD_LINK_MAX_TTL_SECONDS": str(90 * 86400)}).dashboard.max_link_ttl_s == 90 * 86400
    for env in ({"DASHBOARD_LINK_MAX_TTL_SECONDS": str(91 * 86400)},
                {"DASHBOARD_LINK_TTL_SECONDS": "7200", "DASHBOARD_LINK_MAX_TTL_SECONDS": "3600"}):
        with pytest.raises(ApiError):
            _ = Settings(env=env).dashboard
