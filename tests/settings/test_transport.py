"""Transport: plain SIP2 only to this machine unless the settings say the line is private (then warned
at every start and by doctor); the central system over https only (loopback excepted)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.bootstrap.lms import library_system
from kiosk.cli.main import main
from kiosk.domain.errors import ConfigError
from kiosk.settings import load_settings
from tests.cli.test_doctor import settings_file

FAR = "192.0.2.1"  # TEST-NET-1: another machine, never reached


@pytest.mark.parametrize("host", ["lms.example.dk", FAR, "10.0.0.5", "::ffff:10.0.0.5"])
def test_plain_sip2_to_another_machine_is_refused(tmp_path: Path, host: str) -> None:
    path = settings_file(tmp_path, f'[lms]\nkind = "sip2"\n[lms.sip2]\nhost = "{host}"\n')
    with pytest.raises(ConfigError, match=r"lms\.sip2: tls: SIP2 without TLS to .* in clear; set tls = true"):
        load_settings(path)


@pytest.mark.parametrize("extra", ['host = "127.0.0.1"', 'host = "localhost"', 'host = "::1"',
                                   f'host = "{FAR}"\ntls = true'])
def test_tls_or_this_machine_needs_nothing_more(tmp_path: Path, extra: str) -> None:
    settings = load_settings(settings_file(tmp_path, f'[lms]\nkind = "sip2"\n[lms.sip2]\n{extra}\n'))
    assert not settings.lms.sip2.plaintext_over_network


def test_allowed_plain_sip2_is_warned_at_start_and_by_doctor(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    path = settings_file(tmp_path, f'[lms]\nkind = "sip2"\n[lms.sip2]\nhost = "{FAR}"\n'
                                   "allow_plaintext = true\nkeepalive_s = 0\nconnect_timeout_s = 0.2\n")
    settings = load_settings(path)
    closers: list[Callable[[], None]] = []
    with caplog.at_level(logging.WARNING):
        library_system(settings, closers)
    for close in closers:
        close()
    assert f"SIP2 to {FAR} without TLS" in caplog.text and "in clear" in caplog.text
    main(["doctor", "--config", str(path)])
    assert f"warning: SIP2 to {FAR} without TLS" in capsys.readouterr().out


@pytest.mark.parametrize(("url", "ok"), [
    ("https://central.example.dk", True), ("http://127.0.0.1:8080", True),
    ("http://central.example.dk", False), (f"http://{FAR}", False)])
def test_the_central_system_is_https_unless_on_this_machine(tmp_path: Path, url: str, ok: bool) -> None:
    path = settings_file(tmp_path, f'[central]\nkind = "http"\nurl = "{url}"\n')
    if ok:
        assert load_settings(path).central.url == url
    else:
        with pytest.raises(ConfigError, match="https:// only"):
            load_settings(path)


def test_the_sip2_probe_refuses_plain_text_to_another_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sip2", "--host", FAR, "status"]) == 2
    err = capsys.readouterr().err
    assert "--allow-plaintext" in err and "in clear" in err
