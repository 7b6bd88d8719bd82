"""Operator views after the summary: a dashboard page, a page per task and a CSV export, behind
signed links (links.py, which also makes the links chat messages carry), in Chinese and English
(``shared.i18n``)."""
