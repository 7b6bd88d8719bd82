"""Datasets for the SMS emulator: the doc's three example tasks and a generated, seeded fleet.

Generated tasks follow the ListTasks doc strictly: every field of ``TasksResponseBody`` is present
with the documented type, enum and range, nothing else is added, and the only null is a sub task's
``end_date`` while that sub task still runs. The doc's three example tasks are served as they are
(nulls, ``"AVAILABLE"`` and missing fields included) because real responses look like that too.

Everything derives from ``random.Random(seed)`` and the reference time ``now_ms``: a cheap head per
task (the fields filters and ordering need, plus a seed) is drawn in sequence, and the rest of the
task is realised from that seed when first needed. The same (n, now_ms, seed) gives the same fleet
and a smaller fleet is a prefix of a larger one. Values the doc leaves open (sub task order,
``subtask_info`` / ``process_trace`` text, ``error_json`` codes) are plausible inventions, not
copies of real SMS output."""
from __future__ import annotations

import copy
import json
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import accumulate
from pathlib import Path
from typing import Any

Task = dict[str, Any]

DATA_DIR = Path(__file__).resolve().parent / "data"
DOC_EXAMPLE_200 = DATA_DIR / "doc_example_200.json"

DEFAULT_SEED = 20251017
DEFAULT_TASKS = 250
MAX_TASKS = 70_000  # past SMS's offset limit (65,535): a fleet larger than SMS can page

STATES = (
    "READY", "RUNNING", "SYNCING", "MIGRATE_SUCCESS", "MIGRATE_FAIL",
    "ABORTING", "ABORT", "DELETING", "SYNC_F_ROLLBACKING", "SYNC_F_ROLLBACK_SUCCESS",
)
TASK_TYPES = ("MIGRATE_FILE", "MIGRATE_BLOCK")
OS_TYPES = ("WINDOWS", "LINUX")
SOURCE_STATES = (
    "unavailable", "waiting", "initialize", "replicate", "syncing", "stopping", "stopped", "skipping",
    "deleting", "error", "cloning", "testing", "finished", "clearing", "cleared", "clearfailed",
    "premigready", "premiging", "premiged", "premigfailed",
)
LOG_COLLECT_STATUSES = (
    "INIT", "TELL_AGENT_TO_COLLECT", "WAIT_AGENT_COLLECT_ACK", "AGENT_COLLECT_FAIL", "AGENT_COLLECT_SUCCESS",
    "WAIT_SERVER_COLLECT", "SERVER_COLLECT_FAIL", "SERVER_COLLECT_SUCCESS", "TELL_AGENT_RESET_ACL",
    "WAIT_AGENT_RESET_ACL_ACK",
)
FAILED_STATES = frozenset({"MIGRATE_FAIL", "SYNC_F_ROLLBACKING", "SYNC_F_ROLLBACK_SUCCESS"})
# "0" is Huawei Cloud's default enterprise project; the others stand for customer projects.
ENTERPRISE_PROJECTS = (
    "0",
    "2b1f6f2e-6d1c-4a8e-9c1a-6f0b7f1d2a01",
    "5c3e8a90-1f4b-4d7e-8b2a-3e9d0c4f5b02",
    "9e7d6c5b-4a3f-4e2d-9c1b-0a9f8e7d6c03",
)

# Sub task names as SMS reports them (UpdateTaskSpeedReq lists the vocabulary), per (os, type).
_PREPARE = ("CREATE_CLOUD_SERVER", "SSL_CONFIG", "ATTACH_AGENT_IMAGE")
SUBTASK_PLANS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("LINUX", "MIGRATE_FILE"): (
        (*_PREPARE, "FORMAT_DISK_LINUX", "MIGRATE_LINUX_FILE", "CONFIGURE_LINUX", "DETTACH_AGENT_IMAGE"),
        "SYNC_LINUX_FILE",
    ),
    ("LINUX", "MIGRATE_BLOCK"): (
        (*_PREPARE, "FORMAT_DISK_LINUX_BLOCK", "MIGRATE_LINUX_BLOCK", "CONFIGURE_LINUX_BLOCK",
         "DETTACH_AGENT_IMAGE"),
        "SYNC_LINUX_BLOCK",
    ),
    ("WINDOWS", "MIGRATE_BLOCK"): (
        (*_PREPARE, "FORMAT_DISK_WINDOWS", "MIGRATE_WINDOWS_BLOCK", "CONFIGURE_WINDOWS",
         "DETTACH_AGENT_IMAGE"),
        "SYNC_WINDOWS_BLOCK",
    ),
}
# Sub task durations in seconds (min, max); data transfer (MIGRATE_*/SYNC_*) dominates.
_STEP_SECONDS = {
    "CREATE_CLOUD_SERVER": (60, 300), "SSL_CONFIG": (10, 60), "ATTACH_AGENT_IMAGE": (30, 120),
    "DETTACH_AGENT_IMAGE": (30, 120), "CLONE_VM": (300, 1800),
}
_TRANSFER_SECONDS = {"MIGRATE_": (1200, 36000), "SYNC_": (300, 7200)}

_STATE_WEIGHTS = (10, 15, 12, 35, 10, 2, 5, 2, 3, 6)  # same order as STATES
_STATE_CUM = tuple(accumulate(_STATE_WEIGHTS))
_SOURCE_STATE_FOR = {
    "READY": "waiting", "RUNNING": "replicate", "SYNCING": "syncing", "MIGRATE_SUCCESS": "finished",
    "MIGRATE_FAIL": "error", "ABORTING": "stopping", "ABORT": "stopped", "DELETING": "deleting",
    "SYNC_F_ROLLBACKING": "error", "SYNC_F_ROLLBACK_SUCCESS": "stopped",
}
_OS_VERSIONS = {
    "LINUX": ("CENTOS_7_9_64BIT", "CENTOS_7_6_64BIT", "UBUNTU_20_04_64BIT", "UBUNTU_22_04_64BIT",
              "DEBIAN_11_64BIT", "EULEROS_2_5_64BIT", "SUSE_12_SP5_64BIT", "RHEL_8_4_64BIT"),
    "WINDOWS": ("WINDOWS2012_R2_64BIT", "WINDOWS2016_DATACENTER_64BIT", "WINDOWS2019_DATACENTER_64BIT",
                "WINDOWS2008_R2_64BIT"),
}
# Non-ASCII names on purpose: clients must cope with UTF-8 in names and filters.
_APPS = {
    "LINUX": ("erp-db", "web-frontend", "crm-app", "k8s-node", "mes-file", "bi-report", "财务系统-app",
              "mail-gw", "sap-hana", "log-es"),
    "WINDOWS": ("ad-dc", "sqlserver", "iis-web", "exchange", "file-share", "办公-oa"),
}
# error_json contents: invented codes in SMS's style, plus plain strings as agents sometimes send.
_JSON_ERRORS = (
    ("SMS.1203", "Failed to connect to the target server {0}.", "target_ip"),
    ("SMS.1504", "Insufficient disk space on target disk {0}.", "disk"),
    ("SMS.3802", "Data transfer interrupted on partition {0}.", "disk"),
    ("SMS.6309", "The agent on source server {0} stopped reporting.", "source_ip"),
    ("SMS.7103", "Failed to synchronize incremental data of {0}.", "disk"),
)
_PLAIN_ERRORS = (
    "Agent connection lost",
    "rsync exited with code 23 (partial transfer due to error)",
    "迁移失败:目的端磁盘空间不足",
    "java.net.SocketTimeoutException: Read timed out",
)
_CONFIG_KEYS = {
    "LINUX": (("EXCLUDE_MIGRATE_PATH", "/tmp,/var/cache"), ("SYNC_EXCLUDE_PATH", "/var/log"),
              ("ONLY_SYNC_PATH", "/data")),
    "WINDOWS": (("EXCLUDE_MIGRATE_PATH", "D:\\temp"), ("SYNC_EXCLUDE_PATH", "C:\\Windows\\Temp")),
}
_EVALUATIONS = ("GOOD", "NORMAL", "POOR")
_HOUR_MS = 3_600_000
_DAY_MS = 24 * _HOUR_MS
_RECENT_SALT = 0x5EED_2026  # the seed offset of _Body._recent's own random stream
_ACTIVE_STATES = frozenset({"RUNNING", "SYNCING", "ABORTING", "SYNC_F_ROLLBACKING"})
_USAGE_KEYS = ("total_cpu_usage", "agent_cpu_usage", "total_mem_usage", "agent_mem_usage", "total_disk_io",
               "agent_disk_io")


@dataclass(slots=True)
class TaskHead:
    """What filtering and ordering need, drawn eagerly; ``realize`` derives the rest on demand.

    Generating only heads keeps a 50,000-task fleet fast to build; the full task comes from its own
    ``body_seed``, so it is the same whenever (and in whichever thread) it is realised."""

    index: int
    id: str
    name: str
    state: str
    os_type: str
    task_type: str
    source: dict[str, Any]  # source server identity, without the per-task "state"
    enterprise_project_id: str
    create_date: int
    body_seed: int


def load_doc_tasks() -> list[Task]:
    """The three tasks of the doc's example response, as extracted (a fresh copy each call)."""
    with DOC_EXAMPLE_200.open(encoding="utf-8") as fh:
        return copy.deepcopy(json.load(fh)["tasks"])


def generate_heads(n: int, now_ms: int, seed: int = DEFAULT_SEED) -> list[TaskHead]:
    """Heads of ``n`` generated tasks. The first ten cover every state, both OSes and both types."""
    if not 0 <= n <= MAX_TASKS:
        raise ValueError(f"tasks must be between 0 and {MAX_TASKS}, got {n}")
    draw = _HeadDraw(random.Random(seed), now_ms)
    return [draw.head(i) for i in range(n)]


# ``fleet-cjk``: every task named in CJK, the worst case for a plain JSON answer (json.dumps writes
# each of these characters as a 6-byte \\uXXXX escape) and for anything that measures text.
_CJK_NAMES = ("财务系统迁移", "华东生产数据库", "办公自动化平台", "客户关系管理", "制造执行系统", "数据仓库报表",
              "邮件网关服务", "文件共享存储", "人力资源系统", "供应链协同")


def cjk_named(heads: list[TaskHead]) -> list[TaskHead]:
    """``heads`` with CJK names (``财务系统迁移-00042``): same ids, order and everything else."""
    for h in heads:
        h.name = f"{_CJK_NAMES[h.index % len(_CJK_NAMES)]}-{h.index:05d}"
    return heads


def generate_tasks(n: int, now_ms: int, seed: int = DEFAULT_SEED) -> list[Task]:
    """``n`` complete generated tasks (heads realised), in generation order."""
    return [realize(head, now_ms) for head in generate_heads(n, now_ms, seed)]


def new_ready_heads(n: int, created_ms: int, start: int, seed: int = DEFAULT_SEED) -> list[TaskHead]:
    """Freshly created READY tasks, newest first, for growing a served fleet between pages."""
    draw = _HeadDraw(random.Random(f"{seed}:new:{start}"), created_ms)
    heads = []
    for k in range(n):
        head = draw.head(start + k, state="READY")
        head.create_date = created_ms - k
        heads.append(head)
    return heads


def realize(head: TaskHead, now_ms: int) -> Task:
    """The full task of a head: deterministic for (head, now_ms)."""
    return _Body(head, now_ms).task()


class _Draws:
    """``random.randint``/``choice`` cost microseconds each; these cheap forms keep 50k heads fast."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random

    def between(self, lo: int, hi: int) -> int:
        return lo + int(self.random() * (hi - lo + 1))

    def pick(self, seq: tuple[Any, ...] | list[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def uniform(self, lo: float, hi: float, digits: int = 2) -> float:
        return round(lo + (hi - lo) * self.random(), digits)

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"

    def ip(self, first_octet: int) -> str:
        r = self.rng.getrandbits(24)
        return f"{first_octet}.{(r >> 16) & 255}.{(r >> 8) & 255}.{(r & 253) + 1}"


class _HeadDraw(_Draws):
    """Draws heads in sequence; remembers source servers so a few tasks can share one."""

    def __init__(self, rng: random.Random, now_ms: int) -> None:
        super().__init__(rng)
        self.now_ms = now_ms
        self.sources: list[dict[str, Any]] = []

    def head(self, i: int, state: str | None = None) -> TaskHead:
        if state is None:
            state = STATES[i] if i < len(STATES) else _random_state(self.random())
        source = self._source(i)
        os_type = source["os_type"]
        app = source["name"].rsplit("-src-", 1)[0]
        return TaskHead(
            index=i,
            id=self.uuid(),
            name=f"{app}-{i:05d}",
            state=state,
            os_type=os_type,
            task_type=_task_type(i, os_type, self.random()),
            source=source,
            enterprise_project_id=ENTERPRISE_PROJECTS[0 if self.random() < 0.55 else self.between(1, 3)],
            create_date=self.now_ms - self._age_ms(state),
            body_seed=self.rng.getrandbits(63),
        )

    def _source(self, i: int) -> dict[str, Any]:
        """A new source server, or (every 25th task and ~2% at random) one an earlier task used."""
        if i >= len(STATES) and self.sources and (i % 25 == 12 or self.random() < 0.02):
            return self.pick(self.sources)
        os_type = OS_TYPES[i % 2] if i < len(STATES) else ("LINUX" if self.random() < 0.65 else "WINDOWS")
        source = {
            "id": self.uuid(),
            "ip": self.ip(10),
            "name": f"{self.pick(_APPS[os_type])}-src-{i:05d}",
            "os_type": os_type,
            "os_version": self.pick(_OS_VERSIONS[os_type]),
            "oem_system": os_type == "WINDOWS" and self.random() < 0.2,
        }
        self.sources.append(source)
        return source

    def _age_ms(self, state: str) -> int:
        """How long ago the task was created: recent for READY and running tasks, up to half a year else."""
        if state == "READY":
            return self.between(600_000, 10 * _DAY_MS)
        if state in _ACTIVE_STATES:
            return self.between(6 * _HOUR_MS, 7 * _DAY_MS)
        return self.between(2 * _DAY_MS, 180 * _DAY_MS)


class _Body(_Draws):
    """Everything but the head, from the head's own seed."""

    def __init__(self, head: TaskHead, now_ms: int) -> None:
        super().__init__(random.Random(head.body_seed))
        self.head = head
        self.now_ms = now_ms

    def task(self) -> Task:
        h = self.head
        subs, running, stalled = self._sub_tasks()
        overdue = self._recent(subs, running, stalled)
        created = bool(subs)
        target = self._target(created)
        task = {
            "id": h.id,
            "name": h.name,
            "type": h.task_type,
            "os_type": h.os_type,
            "state": h.state,
            "estimate_complete_time": self._estimate(running, stalled),
            "create_date": h.create_date,
            "priority": self.between(0, 2),
            "speed_limit": 0 if self.random() < 0.7 else self.pick((50, 100, 200, 500, 1000)),
            "migrate_speed": self.uniform(5, 120) if running and not stalled else 0.0,
            "compress_rate": self.uniform(1, 3) if created else 0.0,
            "start_target_server": self.random() < 0.8,
            "error_json": self._error_json(target),
            "total_time": ((self.now_ms if running else subs[-1]["end_date"]) - subs[0]["start_date"])
            if created else 0,
            "migration_ip": target["ip"] if self.random() < 0.8 else "",
            "sub_tasks": subs,
            "source_server": {**h.source, "state": _SOURCE_STATE_FOR[h.state]},
            "enterprise_project_id": h.enterprise_project_id,
            "target_server": target,
            "log_collect_status": "INIT" if self.random() < 0.9 else self.pick(LOG_COLLECT_STATUSES),
            "clone_server": self._clone(subs),
            "syncing": h.state in ("SYNCING", "SYNC_F_ROLLBACKING", "SYNC_F_ROLLBACK_SUCCESS")
            or (h.state == "MIGRATE_SUCCESS" and self.random() < 0.3),
            "network_check_info": self._network(),
            "special_config": self._special_config(),
            **self._usage(running, stalled),
            "need_migration_test": self.random() < 0.1,
            "subtask_info": f"{running['name']}:{running['progress']}%" if running else "",
        }
        if overdue is not None:
            task["estimate_complete_time"] = overdue
        return task

    def _recent(self, subs: list[dict[str, Any]], running: dict[str, Any] | None, stalled: bool) -> int | None:
        """What makes a summary's every section non-empty, drawn from a stream of its own (the task's
        other draws stay as they were): among running tasks, lagging ones (still moving, SMS's
        estimate passed: returned, to replace it, as for newly stalled ones), recovered ones (a sub
        task started within the hour after hours of nothing) and newly stalled ones (idle 61-115
        minutes); among finished ones, a few that completed or failed within the last hour."""
        if not subs:
            return None
        rng = random.Random(self.head.body_seed ^ _RECENT_SALT)
        x, now, minute = rng.random(), self.now_ms, 60_000
        if running is not None and stalled:
            if x < 0.3:  # newly stalled: the stall began within the hour; SMS's estimate has passed
                _shift(subs, now - rng.randint(61, 115) * minute - running["start_date"])
                return running["start_date"] + rng.randint(30, 60) * minute
        elif running is not None:
            if x < 0.15:
                return now - rng.randint(5, 180) * minute
            gap = rng.randint(90, 240) * minute
            if x < 0.25 and len(subs) > 1 and subs[0]["start_date"] - gap > self.head.create_date:
                _shift(subs, now - rng.randint(5, 50) * minute - running["start_date"])
                _shift(subs[:-1], -gap)  # recovered: nothing ran for the gap before the current step
        elif self.head.state in ("MIGRATE_SUCCESS", "MIGRATE_FAIL") and x < 0.04:
            last = max(sub["end_date"] or sub["start_date"] for sub in subs)
            _shift(subs, now - rng.randint(1, 55) * minute - last)
        return None

    def _sub_tasks(self) -> tuple[list[dict[str, Any]], dict[str, Any] | None, bool]:
        """Sub tasks started so far, the one still running (``end_date`` null) and whether it stalled."""
        state = self.head.state
        if state == "READY":
            return [], None, False
        steps, sync_step = SUBTASK_PLANS[(self.head.os_type, self.head.task_type)]
        if state in ("RUNNING", "ABORTING"):
            names, mode = steps[: self.between(1, len(steps))], "running"
        elif state == "SYNCING":
            names, mode = (*steps, sync_step), "running"
        elif state in ("MIGRATE_FAIL", "ABORT"):
            names, mode = steps[: self.between(1, len(steps))], "broken"
        elif state.startswith("SYNC_F_"):
            names, mode = (*steps, sync_step), "broken"
        else:  # MIGRATE_SUCCESS, DELETING
            synced = (sync_step,) if self.random() < 0.3 else ()
            cloned = ("CLONE_VM",) if self.random() < 0.15 else ()
            names, mode = steps + synced + cloned, "done"
        return self._timeline(names, mode)

    def _timeline(self, names: tuple[str, ...], mode: str) -> tuple[list[dict[str, Any]], Any, bool]:
        """Sub tasks laid out between creation and ``now_ms``; a running last one started ``elapsed`` ago.

        Natural durations shrink to fit when the task is too young for them."""
        rnd = self.random
        begin = self.head.create_date + self.between(60_000, 1_800_000)
        last = len(names) - 1
        running = mode == "running"
        stalled = False
        end_point = self.now_ms - 60_000
        if running:
            room = self.now_ms - begin
            # One in five running tasks is stalled: its current sub task started 3 to 30 hours ago.
            stalled = rnd() < 0.2 and room > 4 * _HOUR_MS
            elapsed = self.between(3 * _HOUR_MS, min(30 * _HOUR_MS, room - _HOUR_MS)) if stalled \
                else self.between(1_000, min(2 * _HOUR_MS, room // 3))
            end_point = self.now_ms - elapsed
        spans = []
        for name in names[:last] if running else names:
            lo, span, _ = _STEP_MS[name]
            spans.append((lo + int(rnd() * span), 1_000 + int(rnd() * 29_000)))  # duration, gap after
        total = sum(d + g for d, g in spans)
        scale = min(1.0, (end_point - begin) / total) if total else 1.0
        cursor = end_point - int(total * scale) if running else begin
        subs = []
        for idx, name in enumerate(names):
            if idx == last and running:
                subs.append(self._sub_task(idx, name, int(rnd() * 100), cursor, None))
                break
            duration, gap = spans[idx]
            end = cursor + int(duration * scale)
            progress = 100 if idx < last or mode == "done" else int(rnd() * 100)
            subs.append(self._sub_task(idx, name, progress, cursor, end))
            cursor = end + int(gap * scale)
        return subs, (subs[-1] if running else None), stalled

    def _sub_task(self, idx: int, name: str, progress: int, start: int, end: int | None) -> dict[str, Any]:
        trace = ""
        if _STEP_MS[name][2]:
            total_gb = 10 + 1990 * self.random()
            trace = f"replicated {total_gb * progress / 100:.1f} GB of {total_gb:.1f} GB"
        # Sub task ids are unique across the fleet: a block of 16 per generated task.
        return {"id": 10_000_000 + self.head.index * 16 + idx, "name": name, "progress": progress,
                "start_date": start, "end_date": end, "process_trace": trace}

    def _target(self, created: bool) -> dict[str, Any]:
        return {
            "id": self.uuid(),
            "vm_id": self.uuid() if created else "",
            "name": f"ecs-sms-{self.rng.getrandbits(20):05x}",
            "ip": self.ip(172) if created else "",
            "os_type": self.head.os_type,
            "os_version": self.head.source["os_version"],
        }

    def _estimate(self, running: dict[str, Any] | None, stalled: bool) -> int:
        """Epoch ms; a stalled task keeps an estimate already in the past; 0 when nothing runs."""
        if running is None:
            return 0
        if stalled:
            return running["start_date"] + self.between(_HOUR_MS, 2 * _HOUR_MS)
        return self.now_ms + self.between(60_000, 12 * _HOUR_MS)

    def _error_json(self, target: dict[str, Any]) -> str:
        if self.head.state not in FAILED_STATES:
            return ""
        if self.random() < 0.25:
            return self.pick(_PLAIN_ERRORS)
        code, msg, kind = self.pick(_JSON_ERRORS)
        param = {"target_ip": target["ip"], "source_ip": self.head.source["ip"]}.get(kind) \
            or self.pick(("/dev/vda1", "/dev/vdb", "C:", "D:"))
        body = {"error_code": code, "error_msg": msg.format(param), "error_params": [param]}
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    def _clone(self, subs: list[dict[str, Any]]) -> dict[str, str]:
        if subs and subs[-1]["name"] == "CLONE_VM":
            return {"vm_id": self.uuid(), "name": f"clone-{self.rng.getrandbits(20):05x}"}
        return {"vm_id": "", "name": ""}

    def _network(self) -> dict[str, Any]:
        return {
            "domain_connectivity": self.random() < 0.95,
            "destination_connectivity": self.head.state not in FAILED_STATES or self.random() < 0.5,
            "network_delay": self.uniform(0.5, 150),
            "network_jitter": self.uniform(0, 20),
            "migration_speed": self.uniform(10, 1000),
            "loss_percentage": self.uniform(0, 3),
            "cpu_usage": self.uniform(1, 95),
            "mem_usage": self.uniform(5, 95),
            "evaluation_result": self.pick(_EVALUATIONS),
        }

    def _special_config(self) -> list[dict[str, str]]:
        os_type = self.head.os_type
        if (os_type == "LINUX" and self.head.task_type == "MIGRATE_BLOCK") or self.random() < 0.7:
            return []
        key, value = self.pick(_CONFIG_KEYS[os_type])
        return [{"config_key": key, "config_value": value, "config_status": ""}]

    def _usage(self, running: dict[str, Any] | None, stalled: bool) -> dict[str, float]:
        """Host and agent load: busy while transferring, near idle when stalled, zero otherwise."""
        if running is None:
            return dict.fromkeys(_USAGE_KEYS, 0.0)
        u = self.uniform
        total_cpu, total_mem, total_io = u(5, 95), u(1024, 65536, 1), u(1, 400)
        busy = 0.02 if stalled else 1.0
        return {
            "total_cpu_usage": total_cpu,
            "agent_cpu_usage": round(min(total_cpu, u(1, 40)) * busy, 2),
            "total_mem_usage": total_mem,
            "agent_mem_usage": min(total_mem, u(50, 800, 1)),
            "total_disk_io": total_io,
            "agent_disk_io": round(min(total_io, u(1, 200)) * busy, 2),
        }


def _step_ms(name: str) -> tuple[int, int, bool]:
    """(minimum ms, extra ms span, carries data) for a sub task name."""
    for prefix, seconds in _TRANSFER_SECONDS.items():
        if name.startswith(prefix):
            return seconds[0] * 1000, (seconds[1] - seconds[0]) * 1000, True
    lo, hi = _STEP_SECONDS.get(name, (20, 600))
    return lo * 1000, (hi - lo) * 1000, False


_STEP_MS = {
    name: _step_ms(name) for plan, sync in SUBTASK_PLANS.values() for name in (*plan, sync, "CLONE_VM")
}


def _shift(subs: list[dict[str, Any]], delta_ms: int) -> None:
    """Move sub tasks in time, durations and gaps kept."""
    for sub in subs:
        sub["start_date"] += delta_ms
        if sub["end_date"] is not None:
            sub["end_date"] += delta_ms


def demo_waves(now_ms: int) -> list[dict[str, Any]]:
    """A ``SUMMARY_GROUPS`` for the generated fleet (``make run`` sets it when unset): waves by
    name and by enterprise project, a tight target (tasks behind it lag), one already passed."""
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    return [
        {"name": "finance", "match": {"enterprise_project_id": ENTERPRISE_PROJECTS[1]},
         "target": iso(now_ms + 4 * _HOUR_MS)},
        {"name": "web tier", "match": {"name": "web-frontend-*"}, "target": iso(now_ms + 3 * _DAY_MS)},
        {"name": "databases", "match": {"name": "erp-db-*"}, "target": iso(now_ms + 2 * _DAY_MS)},
        {"name": "sql weekend", "match": {"name": "sqlserver-*"}, "target": iso(now_ms - _DAY_MS)},
    ]


def _random_state(draw: float) -> str:
    return STATES[bisect(_STATE_CUM, draw * _STATE_CUM[-1])]


def _task_type(i: int, os_type: str, draw: float) -> str:
    """Windows migrates block-level only; Linux mostly file-level (the first ten include both)."""
    if os_type == "WINDOWS":
        return "MIGRATE_BLOCK"
    if i < len(STATES):
        return "MIGRATE_BLOCK" if i % 4 == 3 else "MIGRATE_FILE"
    return "MIGRATE_FILE" if draw < 0.7 else "MIGRATE_BLOCK"
