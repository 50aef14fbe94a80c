"""Patron card readers: PC/SC contactless readers, and turning card data into patron identifiers."""
