"""Settings are validated once, on load, with errors that name the file and the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from kiosk.cli.main import main
from kiosk.domain.errors import ConfigError
from kiosk.settings import DEFAULT_SETTINGS, DEMO_SETTINGS, Settings, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "terminal.toml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = '[terminal]\nid = "t1"\nbranch = "viby"\n'


def test_minimal_file_gets_documented_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.terminal.id == "t1"
    assert settings.session.idle_timeout_s == 60
    assert settings.session.idle_warning_s == 10
    assert settings.terminal.language == "da"


def test_unknown_key_is_named_with_its_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[session]\nidle_timeout = 30\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert str(path) in str(error.value)
    assert "session.idle_timeout: unknown setting" in str(error.value)


def test_wrong_type_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[session]\nidle_timeout_s = "60"\n')
    with pytest.raises(ConfigError, match=r"session\.idle_timeout_s: .*integer.*'60'"):
        load_settings(path)


def test_missing_required_value_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[terminal]\nid = "t1"\n')
    with pytest.raises(ConfigError, match=r"terminal\.branch: required setting is missing"):
        load_settings(path)


def test_inconsistent_values_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[session]\nidle_timeout_s = 20\nidle_warning_s = 30\n")
    with pytest.raises(ConfigError, match="idle_warning_s must be shorter"):
        load_settings(path)


def test_the_exit_button_cannot_share_the_door_contacts_input(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[devices.door_sensor]\nkind = "numato"\npin = 2\n'
                 '[devices.exit_button]\nkind = "numato"\npin = 2\n')
    with pytest.raises(ConfigError, match="GPIO 2 is the door contact's"):
        load_settings(path)


def test_broken_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[terminal\nid = "t1"\n')
    with pytest.raises(ConfigError, match=r"terminal\.toml: not valid TOML: .*line 1"):
        load_settings(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="settings file not found"):
        load_settings(tmp_path / "nope.toml")


def test_binary_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path)


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[paths]\ndata_dir = "var/data"\n[lms]\nseed = "seed.toml"\n')
    settings = load_settings(path)
    assert settings.paths.data_dir == tmp_path.resolve() / "var/data"
    assert settings.lms.seed == tmp_path.resolve() / "seed.toml"
    assert settings.paths.log_dir is None


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    with pytest.raises(ValueError):
        settings.terminal.id = "other"  # type: ignore[misc]


def _model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _model_keys(annotation, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def _file_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in data.items():
        if isinstance(value, dict):
            keys |= _file_keys(value, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def test_default_toml_documents_every_setting() -> None:
    documented = _file_keys(tomllib.loads(DEFAULT_SETTINGS.read_text(encoding="utf-8")))
    assert documented == _model_keys(Settings)


def test_default_and_demo_files_are_valid() -> None:
    assert load_settings(DEFAULT_SETTINGS).terminal.id
    assert load_settings(DEMO_SETTINGS).lms.seed is not None


def test_check_config_command_reports_ok_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", str(DEMO_SETTINGS)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = write(tmp_path, MINIMAL + "[terminal2]\n")
    assert main(["check-config", str(bad)]) == 2
    assert "terminal2: unknown setting" in capsys.readouterr().err


def test_an_lms_that_needs_seed_data_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[lms]\nkind = "emulator"\n')
    with pytest.raises(ConfigError, match=r"lms: seed: the 'emulator' LMS needs a seed file"):
        load_settings(path)


def test_a_missing_tls_ca_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[lms.sip2]\ntls = true\ntls_ca_file = "nope.pem"\n')
    with pytest.raises(ConfigError, match=r"lms\.sip2\.tls_ca_file: .*nope\.pem not found"):
        load_settings(path)


def test_a_home_folder_of_nobody_is_a_settings_error_not_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[paths]\ndata_dir = "~nosuchuser-kiosk/x"\n')
    with pytest.raises(ConfigError, match=r"\.toml: paths\.data_dir: '~nosuchuser-kiosk/x': there is no"):
        load_settings(path)


@pytest.mark.parametrize(("section", "key"), [("lms.sip2", "password"), ("central", "token")])
def test_a_wrongly_typed_secret_is_not_echoed(tmp_path: Path, section: str, key: str) -> None:
    path = write(tmp_path, MINIMAL + f'[{section}]\n{key} = 918273645\n')
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert f"{section}.{key}: Input should be a valid string" in str(error.value)
    assert "918273645" not in str(error.value)
