"""Validation: JSON Schemas derived from the SMS doc, their rule modes, the msgspec fast path and the
violation reports."""
