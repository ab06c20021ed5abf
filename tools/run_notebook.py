#!/usr/bin/python3
"""Executes Jupyter notebooks headless on the Deno kernel without losing outputs.

Why not `jupyter nbconvert --execute`: the Deno 2.9.6 kernel sometimes publishes a cell's output after
its `idle` status, and nbclient stops reading a cell's IOPub messages at idle, so about one output in
ten is silently dropped (exit code 0). This runner reads IOPub in a task of its own for the kernel's
whole life and routes every message to the cell whose request it answers (by `parent_header.msg_id`),
however late it arrives; before each next cell it waits a grace period after idle, and after the last
cell a final one.

For each notebook it executes the code cells in order, fails on the first cell error (printing the
cell's source and the traceback), checks the outputs each cell declares in its metadata:

    "metadata": {"ssp": {"expect": ["image/png", "text/html", "stdout"], "timeout": 300}}

(MIME types of display data / execute results, "stdout" / "stderr" for streams; "timeout" overrides the
per-cell timeout in seconds), writes the executed notebook (outputs included) and an HTML export into
the output folder, and prints the run time of each notebook.

A stalled kernel is retried once: the Deno 2.9.6 kernel (its Rust ZeroMQ) now and then stops in the middle
of a notebook, sleeping with no messages and no CPU use, under load (seen once in ~25 notebook runs of CI,
on a cell that takes 1 s). When a cell has sent nothing and the kernel's process tree has used no CPU
for `--stall` seconds (under half a CPU second), the notebook is run again from the start with a new kernel (`--retries`); a
second stall fails it. A slow cell keeps using CPU, so it is not taken for a stall.

Uses Debian's system Python and its packages: python3-jupyter-client, python3-nbformat,
python3-nbconvert. Exit status: 0 all passed, 1 a notebook failed, 2 usage or environment error.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MISSING_HINT = (
    "the notebook runner needs jupyter_client, nbformat and nbconvert in {python}. On Debian/Ubuntu: "
    "apt-get install -y python3-jupyter-client python3-nbformat python3-nbconvert "
    "(elsewhere: {python} -m pip install jupyter_client nbformat nbconvert)"
)

try:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import AsyncKernelManager
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"run_notebook.py: {e}: " + MISSING_HINT.format(python=sys.executable), file=sys.stderr)
    sys.exit(2)

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
RUNNER_KERNEL = "ssp-deno-runner"


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


@dataclass
class CellRun:
    """What one code cell produced."""

    index: int
    source: str
    outputs: list = field(default_factory=list)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    reply: asyncio.Event = field(default_factory=asyncio.Event)
    reply_content: dict = field(default_factory=dict)
    execution_count: int | None = None
    clear_on_next: bool = False
    late_outputs: int = 0
    seconds: float = 0.0
    # IOPub and shell messages routed to this cell, and the count the stall check saw last.
    messages: int = 0
    seen_messages: int = 0


class NotebookFailure(Exception):
    pass


class KernelStalled(Exception):
    pass


class Router:
    """Routes every IOPub and shell message to the cell whose request it answers."""

    def __init__(self, kc: Any) -> None:
        self.kc = kc
        self.cells: dict[str, CellRun] = {}
        self.displays: dict[str, list[tuple[CellRun, dict]]] = {}
        self.tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self.tasks = [asyncio.ensure_future(self._read_iopub()), asyncio.ensure_future(self._read_shell())]

    async def stop(self) -> None:
        for t in self.tasks:
            t.cancel()
        for t in self.tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass

    async def _read_shell(self) -> None:
        while True:
            msg = await self.kc.get_shell_msg(timeout=None)
            run = self.cells.get(msg.get("parent_header", {}).get("msg_id", ""))
            if run is not None:
                run.messages += 1
            if run is not None and msg["msg_type"] == "execute_reply":
                run.reply_content = msg["content"]
                run.reply.set()

    async def _read_iopub(self) -> None:
        while True:
            msg = await self.kc.get_iopub_msg(timeout=None)
            run = self.cells.get(msg.get("parent_header", {}).get("msg_id", ""))
            if run is not None:
                run.messages += 1
                self._handle(run, msg)

    def _handle(self, run: CellRun, msg: dict) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            if content.get("execution_state") == "idle":
                run.idle.set()
            return
        if kind == "execute_input":
            run.execution_count = content.get("execution_count")
            return
        if kind == "clear_output":
            if content.get("wait"):
                run.clear_on_next = True
            else:
                run.outputs.clear()
            return
        if kind == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for _, out in self.displays.get(display_id, []):
                out["data"] = content.get("data", {})
                out["metadata"] = content.get("metadata", {})
            return
        if kind not in ("stream", "display_data", "execute_result", "error"):
            return
        if run.idle.is_set():
            run.late_outputs += 1
        if run.clear_on_next:
            run.outputs.clear()
            run.clear_on_next = False
        out = nbformat.v4.output_from_msg(msg)
        if kind == "stream" and run.outputs and run.outputs[-1].get("output_type") == "stream" \
                and run.outputs[-1].get("name") == out["name"]:
            run.outputs[-1]["text"] += out["text"]
            return
        if kind == "execute_result":
            out["execution_count"] = run.execution_count
        run.outputs.append(out)
        display_id = content.get("transient", {}).get("display_id")
        if display_id:
            self.displays.setdefault(display_id, []).append((run, out))


def output_kinds(outputs: list) -> set[str]:
    kinds: set[str] = set()
    for out in outputs:
        t = out.get("output_type")
        if t == "stream":
            kinds.add(out.get("name", "stdout"))
        elif t == "error":
            kinds.add("error")
        else:
            kinds.update(out.get("data", {}).keys())
    return kinds


def cell_error_text(nb_path: Path, cell_no: int, source: str, tb: str, cell_id: str | None = None) -> str:
    """Names a cell by its position (from 0, markdown cells included) and id, with its numbered source."""
    numbered = "\n".join(f"  {i + 1:3d} | {line}" for i, line in enumerate(source.splitlines()))
    ident = f' (id "{cell_id}")' if cell_id else ""
    return f"{nb_path}: cell {cell_no}{ident} failed:\n{numbered}\n{tb}"


def write_kernelspec(folder: Path, deno: str, env: dict[str, str]) -> None:
    spec_dir = folder / RUNNER_KERNEL
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
        "display_name": "Deno (notebook runner)",
        "language": "typescript",
        "env": env,
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=2))


@dataclass
class Options:
    out: Path
    kernel_name: str | None
    deno: str | None
    startup_timeout: float
    cell_timeout: float
    grace: float
    html: bool
    env: dict[str, str]
    stall: float = 120.0


async def execute_notebook(nb_path: Path, opts: Options) -> tuple[Any, list[str], dict]:
    """Runs one notebook; returns (executed notebook, failures, timings)."""
    nb = nbformat.read(nb_path, as_version=4)
    failures: list[str] = []
    timings: dict[str, Any] = {}
    ksm = KernelSpecManager()
    tmp = None
    kernel_name = opts.kernel_name
    if kernel_name is None:
        tmp = tempfile.mkdtemp(prefix="ssp-kernelspec-")
        write_kernelspec(Path(tmp), opts.deno or "deno", opts.env)
        ksm.kernel_dirs = [tmp]
        kernel_name = RUNNER_KERNEL
    km = AsyncKernelManager(kernel_name=kernel_name, kernel_spec_manager=ksm)
    kc = None
    router = None
    t0 = time.monotonic()
    try:
        env = dict(os.environ)
        env.update(opts.env)
        await km.start_kernel(cwd=str(nb_path.parent.resolve()), env=env)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=opts.startup_timeout)
        except RuntimeError as e:
            raise NotebookFailure(f"{nb_path}: the kernel did not start within {opts.startup_timeout} s: {e}")
        timings["kernel_start_s"] = round(time.monotonic() - t0, 2)
        router = Router(kc)
        router.start()
        runs: list[tuple[Any, CellRun]] = []
        for cell_no, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            ssp_meta = cell.metadata.get("ssp", {})
            run = CellRun(index=cell_no, source=cell.source)
            runs.append((cell, run))
            if not cell.source.strip():
                continue
            c0 = time.monotonic()
            msg_id = kc.execute(cell.source, store_history=True, allow_stdin=False, stop_on_error=True)
            router.cells[msg_id] = run
            limit = float(ssp_meta.get("timeout", opts.cell_timeout))
            outcome = await wait_for_cell(km, run, limit, opts.stall)
            if outcome == "stalled":
                raise KernelStalled(
                    f"{nb_path}: cell {cell_no} (id \"{cell.get('id')}\"): the kernel sent nothing and used no CPU "
                    f"for {opts.stall:.0f} s"
                )
            if outcome != "done":
                if outcome == "timeout":
                    await km.interrupt_kernel()
                    why = f"timed out after {limit} s"
                else:
                    why = "the kernel died while running this cell (out of memory? Deno.exit?)"
                failures.append(cell_error_text(nb_path, cell_no, cell.source, why, cell.get("id")))
                run.seconds = time.monotonic() - c0
                break
            run.seconds = time.monotonic() - c0
            await asyncio.sleep(opts.grace)
            if run.reply_content.get("status") == "error" or "error" in output_kinds(run.outputs):
                errs = [o for o in run.outputs if o.get("output_type") == "error"]
                c = errs[0] if errs else run.reply_content
                tb = strip_ansi("\n".join(c.get("traceback", [])) or f"{c.get('ename')}: {c.get('evalue')}")
                failures.append(cell_error_text(nb_path, cell_no, cell.source, tb, cell.get("id")))
                break
        await asyncio.sleep(opts.grace * 2)  # final drain: late outputs of the last cell
        for cell, run in runs:
            cell.outputs = run.outputs
            cell.execution_count = run.execution_count
            cell.metadata.setdefault("ssp", {})
            cell.metadata["ssp"]["seconds"] = round(run.seconds, 3)
        if not failures:
            for cell, run in runs:
                want = cell.metadata.get("ssp", {}).get("expect", [])
                have = output_kinds(run.outputs)
                missing = [k for k in want if k not in have]
                if missing:
                    failures.append(
                        f"{nb_path}: cell {run.index} (id \"{cell.get('id')}\") is expected to output {missing} but produced "
                        f"{sorted(have) or 'nothing'}:\n{run.source}"
                    )
        timings["late_outputs"] = sum(r.late_outputs for _, r in runs)
        timings["cells"] = [round(r.seconds, 2) for _, r in runs]
    finally:
        if router is not None:
            await router.stop()
        if kc is not None:
            kc.stop_channels()
        try:
            if await km.is_alive():
                await asyncio.wait_for(km.shutdown_kernel(now=False), timeout=10)
        except Exception:
            pass
        try:
            if await km.is_alive():
                await km.shutdown_kernel(now=True)
        except Exception:
            pass
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    timings["total_s"] = round(time.monotonic() - t0, 2)
    return nb, failures, timings


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) of a process and its live descendants, from /proc; None if unreadable."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        stats: dict[int, tuple[int, float]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # fields[0] is the state (field 3); ppid is field 4, utime 14, stime 15
            stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    except OSError:
        return None
    if pid not in stats:
        return None
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += stats[p][1]
        todo.extend(c for c, (pp, _) in stats.items() if pp == p)
    return total


async def wait_for_cell(km: Any, run: CellRun, limit: float, stall: float) -> str:
    """Waits for a cell's idle status and execute reply: "done", "timeout", "died" (kernel gone) or
    "stalled" (no message for the cell and no CPU used by the kernel's process tree for `stall` seconds)."""
    done = asyncio.ensure_future(asyncio.gather(run.idle.wait(), run.reply.wait()))
    deadline = time.monotonic() + limit
    pid = getattr(getattr(getattr(km, "provisioner", None), "process", None), "pid", None)
    last_cpu = tree_cpu_seconds(pid) if pid else None
    last_change = time.monotonic()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            finished, _ = await asyncio.wait({done}, timeout=min(1.0, remaining))
            if finished:
                return "done"
            if not await km.is_alive():
                return "died"
            cpu = tree_cpu_seconds(pid) if pid else None
            now = time.monotonic()
            # Activity: a message, or half a CPU second since the last activity (an idle kernel's timers and
            # heartbeats use far less; a working cell far more).
            if cpu is None or last_cpu is None or cpu - last_cpu > 0.5 or run.messages != run.seen_messages:
                last_cpu, last_change, run.seen_messages = cpu, now, run.messages
            elif stall > 0 and now - last_change > stall:
                return "stalled"
    finally:
        if not done.done():
            done.cancel()


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def export(nb: Any, nb_path: Path, opts: Options) -> list[Path]:
    nb.metadata.setdefault("kernelspec", {"name": "deno", "display_name": "Deno", "language": "typescript"})
    out_nb = opts.out / nb_path.name
    write_atomic(out_nb, nbformat.writes(nb))
    written = [out_nb]
    if opts.html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        out_html = out_nb.with_suffix(".html")
        write_atomic(out_html, body)
        written.append(out_html)
    return written


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for p in pairs:
        if "=" not in p:
            raise SystemExit(f"run_notebook.py: --env expects NAME=VALUE, got {p!r}")
        k, v = p.split("=", 1)
        env[k] = v
    return env


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path("build/notebooks"), help="folder of the executed notebooks and HTML")
    ap.add_argument("--deno", help="deno executable for the runner's own kernelspec (default: deno on PATH)")
    ap.add_argument("--kernel-name", help="use an installed kernelspec (e.g. deno) instead of the runner's own")
    ap.add_argument("--startup-timeout", type=float, default=60.0, help="seconds for the kernel to start")
    ap.add_argument("--cell-timeout", type=float, default=600.0, help="seconds per cell (metadata ssp.timeout overrides)")
    ap.add_argument("--grace", type=float, default=0.3, help="seconds to keep reading IOPub after a cell's idle")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML export")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the kernel's environment")
    ap.add_argument("--stall", type=float, default=120.0,
                    help="seconds without a message or kernel CPU use that count as a stalled kernel (0: never)")
    ap.add_argument("--retries", type=int, default=1, help="reruns of a notebook whose kernel stalled")
    a = ap.parse_args(argv)
    if a.kernel_name is None:
        deno = a.deno or shutil.which("deno")
        if not deno:
            print("run_notebook.py: no deno on PATH: pass --deno PATH or --kernel-name", file=sys.stderr)
            return 2
        a.deno = deno
    env = {"DENO_V8_FLAGS": "--max-old-space-size=8192", "DENO_NO_UPDATE_CHECK": "1", "NO_COLOR": "1"}
    env.update(parse_env(a.env))
    opts = Options(a.out, a.kernel_name, a.deno, a.startup_timeout, a.cell_timeout, a.grace, not a.no_html, env,
                   a.stall)
    failed = 0
    for nb_path in a.notebooks:
        if not nb_path.is_file():
            print(f"run_notebook.py: {nb_path}: no such notebook", file=sys.stderr)
            return 2
        try:
            for attempt in range(a.retries + 1):
                try:
                    nb, failures, timings = asyncio.run(execute_notebook(nb_path, opts))
                    break
                except KernelStalled as e:
                    if attempt == a.retries:
                        raise NotebookFailure(f"{e}; stalled on every one of {a.retries + 1} runs")
                    print(f"{e}: the kernel stalled; running the notebook again with a new kernel", flush=True)
        except NotebookFailure as e:
            print(str(e), file=sys.stderr)
            failed += 1
            continue
        except NoSuchKernel:
            print(f"run_notebook.py: no kernelspec named {a.kernel_name!r}: run `deno task jupyter:install`, "
                  "or leave out --kernel-name to use the runner's own", file=sys.stderr)
            return 2
        written = export(nb, nb_path, opts)
        status = "FAILED" if failures else "ok"
        print(
            f"{nb_path}: {status} in {timings['total_s']:.1f} s (kernel start {timings.get('kernel_start_s', 0):.1f} s, "
            f"{len(timings.get('cells', []))} code cells, {timings.get('late_outputs', 0)} outputs after idle) "
            f"-> {', '.join(str(p) for p in written)}",
            flush=True,
        )
        for f in failures:
            print(f, file=sys.stderr)
        failed += bool(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
