"""The build cache: one store (store.py: keys from declared inputs, atomic entries, never code
read back), every kind of entry it holds as a frozen dataclass of its inputs (entries.py), and
the digests and memos that make keys cheap (fingerprint.py, remembered.py)."""
