"""Operator views after the summary: a dashboard page, a page per task and a CSV export, behind
signed links (links.py), in Chinese and English (i18n.py and locale/)."""
