"""Printers: the receipt printer (ESC/POS through python-escpos) and the document printer (CUPS)."""
