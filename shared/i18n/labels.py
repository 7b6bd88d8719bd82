"""Display names of the states, task types and OS types, marked for the catalogs (``N_``: the
lookup happens where a language is known)."""
from __future__ import annotations


def N_(message: str) -> str:
    return message


STATE_LABELS = {
    "READY": N_("Ready"),
    "RUNNING": N_("Running"),
    "SYNCING": N_("Syncing"),
    "MIGRATE_SUCCESS": N_("Migrated"),
    "MIGRATE_FAIL": N_("Migration failed"),
    "ABORTING": N_("Aborting"),
    "ABORT": N_("Aborted"),
    "DELETING": N_("Deleting"),
    "SYNC_F_ROLLBACKING": N_("Rolling back a failed sync"),
    "SYNC_F_ROLLBACK_SUCCESS": N_("Failed sync rolled back"),
    "OTHER": N_("Other"),
}
# The seven healths of shared/summary/health.py, worst first.
HEALTH_LABELS = {
    "failed": N_("Failed"),
    "stalled": N_("Stalled"),
    "lagging": N_("Lagging"),
    "healthy": N_("Healthy"),
    "waiting": N_("Waiting"),
    "stopped": N_("Stopped"),
    "done": N_("Done"),
}
TYPE_LABELS = {"MIGRATE_FILE": N_("File-level"), "MIGRATE_BLOCK": N_("Block-level"), "OTHER": N_("Other")}
OS_LABELS = {"WINDOWS": N_("Windows"), "LINUX": N_("Linux"), "OTHER": N_("Other")}
# Which group a state belongs to: its badge carries this word besides its colour.
STATE_TONE = {
    "MIGRATE_SUCCESS": "ok",
    "RUNNING": "busy", "SYNCING": "busy", "ABORTING": "busy", "DELETING": "busy", "READY": "idle",
    "MIGRATE_FAIL": "bad", "SYNC_F_ROLLBACKING": "bad", "SYNC_F_ROLLBACK_SUCCESS": "bad",
    "ABORT": "idle", "OTHER": "idle",
}
