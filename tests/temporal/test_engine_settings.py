"""TemporalSettings from SAGEFLOW_TEMPORAL_* variables, and what a bad one says."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sageflow._cli import cli
from sageflow._temporal import TemporalSettings, TemporalSettingsError


def test_settings_from_the_environment() -> None:
    settings = TemporalSettings.from_env(
        {
            "SAGEFLOW_TEMPORAL_ADDRESS": "acme.a1b2c.tmprl.cloud:7233",
            "SAGEFLOW_TEMPORAL_NAMESPACE": "acme.a1b2c",
            "SAGEFLOW_TEMPORAL_TASK_QUEUE": "tenants-eu",
            "SAGEFLOW_TEMPORAL_API_KEY": "key-never-shown",
            "SAGEFLOW_TEMPORAL_HEARTBEAT_TIMEOUT": "7.5",
            "SAGEFLOW_TEMPORAL_ACTIVITY_ATTEMPTS": "0",
        }
    )
    assert settings.address == "acme.a1b2c.tmprl.cloud:7233"
    assert settings.namespace == "acme.a1b2c"
    assert settings.task_queue == "tenants-eu"
    assert settings.heartbeat_timeout == 7.5
    assert settings.activity_attempts == 0
    assert settings.activity_timeout == TemporalSettings().activity_timeout
    assert "key-never-shown" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("SAGEFLOW_TEMPORAL_HEARTBEAT_TIMEOUT", "soon", id="not-a-number"),
        pytest.param("SAGEFLOW_TEMPORAL_ACTIVITY_TIMEOUT", "0", id="zero-seconds"),
        pytest.param("SAGEFLOW_TEMPORAL_ACTIVITY_ATTEMPTS", "2.5", id="not-whole"),
        pytest.param("SAGEFLOW_TEMPORAL_ACTIVITY_ATTEMPTS", "-1", id="negative"),
    ],
)
def test_a_bad_variable_is_named(name: str, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TemporalSettingsError, match=name):
        TemporalSettings.from_env({name: text})
    monkeypatch.setenv(name, text)
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 2
    assert f"{name}={text!r}" in result.output
    assert "Traceback" not in result.output
