"""The read path: query rules, the signed SMS client and its regions, the pager, and the read API the
triggers call."""
