"""Barcode scanners and magnetic card readers.

``classify`` and ``magstripe`` are pure (no device library); the serial driver is in
``hardware.scanner.serial_scanner`` and its simulator in ``hardware.scanner.scanner_sim``.
"""

from hardware.scanner.classify import DEFAULT_RULES, ClassifierRules, ScanRefused, classify, mask_cpr

__all__ = ["DEFAULT_RULES", "ClassifierRules", "ScanRefused", "classify", "mask_cpr"]
