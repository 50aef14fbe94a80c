"""The import rules of DESIGN.md §1, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEVICE_AND_NETWORK = ("PySide6", "smartcard", "serial", "requests", "escpos", "cups")
COMPOSITION_ROOT = {"app.py", "wiring.py", "cli.py", "simulation.py"}  # DESIGN §1: the composition root


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def test_the_core_imports_no_qt_driver_or_network_library() -> None:
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for path in modules("kiosk")
        if path.name not in COMPOSITION_ROOT
        for name in imports_of(path)
        if name.split(".")[0] in DEVICE_AND_NETWORK or name.split(".")[0] in {"ui", "hardware",
                                                                              "sync"}
    ]
    assert offenders == []


def test_adapters_never_import_the_ui() -> None:
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for package in ("hardware", "sync")
        for path in modules(package)
        for name in imports_of(path)
        if name.split(".")[0] == "ui"
    ]
    assert offenders == []


def test_the_ui_never_imports_a_driver_or_protocol_module() -> None:
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for path in modules("ui")
        for name in imports_of(path)
        if name.split(".")[0] in {"hardware", "sync", "smartcard", "serial", "requests"}
    ]
    assert offenders == []


def test_no_module_is_asking_to_be_split() -> None:
    long = [f"{p.relative_to(REPO)}: {n}" for pkg in ("kiosk", "hardware", "ui", "sync")
            for p in modules(pkg) if (n := len(p.read_text().splitlines())) > 450]
    assert long == []
