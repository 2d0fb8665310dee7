"""Run a Python script as N cooperating JAX processes on localhost (a test helper).

Meant for tests of multi-process ("multi-host") JAX code on a single CPU
machine. Every process gets `devices_per_process` virtual CPU devices, so
with the defaults (n=2, 4 devices each) the script sees a global mesh of 8
devices spread over 2 processes, exactly like two 4-chip hosts.

The script is launched with these environment variables:

    PROCESS_ID     this process's index, 0 .. n-1
    NUM_PROCESSES  n
    COORDINATOR    "127.0.0.1:<free port>", the address of process 0's
                   coordinator service

and must itself call `jax.distributed.initialize` before touching any JAX
device, e.g. by starting with `INIT_SNIPPET` below.

Guarantees: the call never hangs (hard `timeout` for the whole group), if
any process fails all the others are killed at once (a peer stuck in a
collective would otherwise wait for minutes), and on failure an
AssertionError shows the exit code, stdout tail and stderr tail of every
process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Preamble scripts can start with (`INIT_SNIPPET + body`).
#
# * The excepthook makes a process that raises exit *at once*: by default
#   its atexit handler (jax.distributed.shutdown) first waits at the
#   shutdown barrier for the peers, i.e. up to shutdown_timeout_seconds,
#   and only then exits. With os._exit the harness sees the failure in
#   well under a second and kills the peers.
# * The short timeouts make a process that loses its peer fail in seconds
#   instead of the defaults (300 s init, 100 s heartbeat, 300 s shutdown
#   barrier); the harness kills the group anyway, this just gives clearer
#   errors. shutdown_timeout_seconds bounds how far apart the processes
#   may finish on success, so keep it well above the skew of your script.
INIT_SNIPPET = """\
import os
import sys
import traceback


def _die_on_uncaught(tp, value, tb):
    traceback.print_exception(tp, value, tb)
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(1)  # skip the atexit shutdown barrier


sys.excepthook = _die_on_uncaught

import jax
jax.distributed.initialize(
    coordinator_address=os.environ["COORDINATOR"],
    num_processes=int(os.environ["NUM_PROCESSES"]),
    process_id=int(os.environ["PROCESS_ID"]),
    initialization_timeout=60,
    heartbeat_timeout_seconds=15,
    shutdown_timeout_seconds=30,
)
PROCESS_ID = jax.process_index()
NUM_PROCESSES = jax.process_count()
"""

# Environment variables that must not leak into the children: any *_proxy
# variable (gRPC would route the coordinator connection to 127.0.0.1
# through the proxy and hang; JAX warns about all of them, NO_PROXY
# included), and cluster variables that could trigger JAX's SLURM/Open MPI
# auto-detection or override our device settings.
_DROP_ENV_PREFIXES = ("SLURM_", "OMPI_", "PMI_", "PMIX_")
_DROP_ENV = {
    "JAX_NUM_CPU_DEVICES", "JAX_PLATFORMS", "JAX_PLATFORM_NAME",
    "CUDA_VISIBLE_DEVICES", "TPU_VISIBLE_CHIPS",
    "JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID",
}


def _dropped(name: str) -> bool:
    return (name in _DROP_ENV or name.startswith(_DROP_ENV_PREFIXES)
            or "_proxy" in name.lower())


_TAIL_CHARS = 4000  # how much of each process's output to show on failure
# What a coordinator port taken by someone else looks like in process 0's
# stderr (gRPC: "Failed to add port to server"; JAX: "Failed to start RPC
# server").
_PORT_TAKEN = ("Failed to start RPC server", "Failed to add port",
               "Address already in use")


def free_port() -> int:
    """Ask the OS for a currently unused TCP port.

    Binding to port 0 lets the kernel pick a free port; we release it right
    away, so another program could in principle grab it before process 0's
    coordinator binds it. `run_processes` retries once with a new port when
    that happens.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # The coordinator binds all interfaces ([::]:port), so probe those.
        s.bind(("", 0))
        return s.getsockname()[1]


def _child_env(process_id: int, n: int, devices_per_process: int,
               coordinator: str, extra_env: dict[str, str] | None
               ) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _dropped(k)}
    # Drop any device-count flag inherited from the parent (e.g. a test
    # session that itself forces 8 host devices) and set ours instead.
    # JAX_NUM_CPU_DEVICES is the jax_num_cpu_devices config option. It
    # already takes precedence over --xla_force_host_platform_device_count
    # (both work with jax.distributed), the strip just avoids confusion.
    xla_flags = [f for f in env.get("XLA_FLAGS", "").split()
                 if not f.startswith("--xla_force_host_platform_device_count")]
    if xla_flags:
        env["XLA_FLAGS"] = " ".join(xla_flags)
    else:
        env.pop("XLA_FLAGS", None)
    env.update(
        JAX_PLATFORMS="cpu",
        JAX_NUM_CPU_DEVICES=str(devices_per_process),
        # Gloo is already the default CPU collectives implementation in
        # jax 0.10.2; set it explicitly so cross-process collectives work
        # with older/newer defaults too.
        JAX_CPU_COLLECTIVES_IMPLEMENTATION="gloo",
        PYTHONUNBUFFERED="1",  # so a killed process still shows its output
        PROCESS_ID=str(process_id),
        NUM_PROCESSES=str(n),
        COORDINATOR=coordinator,
    )
    env.update(extra_env or {})
    return env


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill a child and anything it spawned (it leads its own session)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def _tail(path: str) -> str:
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - _TAIL_CHARS))
        return f.read().decode("utf-8", "replace")


def _read(path: str) -> str:
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def _launch_once(script_path: str, n: int, devices_per_process: int,
                 timeout: float, workdir: str, attempt: int,
                 extra_env: dict[str, str] | None, cwd: str | None):
    """Start n processes and wait for all of them, or for the first failure.

    Returns (ok, reason, returncodes, stdout_paths, stderr_paths).
    """
    coordinator = f"127.0.0.1:{free_port()}"
    procs, outs, errs = [], [], []
    try:
        for i in range(n):
            out = os.path.join(workdir, f"try{attempt}_proc{i}.stdout")
            err = os.path.join(workdir, f"try{attempt}_proc{i}.stderr")
            outs.append(out)
            errs.append(err)
            # Output goes to files, not pipes: a chatty child can't block
            # on a full pipe, and nothing is lost when we kill it.
            with open(out, "wb") as fo, open(err, "wb") as fe:
                procs.append(subprocess.Popen(
                    [sys.executable, script_path],
                    env=_child_env(i, n, devices_per_process, coordinator,
                                   extra_env),
                    stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                    cwd=cwd or workdir,
                    start_new_session=True,  # own process group -> killpg
                ))

        deadline = time.monotonic() + timeout
        reason = None
        while True:
            codes = [p.poll() for p in procs]
            if any(c not in (None, 0) for c in codes):
                bad = [i for i, c in enumerate(codes) if c not in (None, 0)]
                reason = f"process(es) {bad} failed"
                break
            if all(c == 0 for c in codes):
                break
            if time.monotonic() > deadline:
                reason = f"timed out after {timeout:.0f} s"
                break
            time.sleep(0.05)
    finally:
        # Always reap everything: on failure this kills the peers that are
        # typically stuck in a collective or the shutdown barrier.
        for p in procs:
            _kill_group(p)
    return reason is None, reason, [p.returncode for p in procs], outs, errs


def run_processes(script: str, n: int = 2, devices_per_process: int = 4,
                  timeout: float = 120, *,
                  extra_env: dict[str, str] | None = None,
                  cwd: str | None = None) -> list[str]:
    """Run `script` (Python source) in `n` JAX processes; return their stdouts.

    `extra_env` is added to every child's environment (e.g. a shared
    checkpoint directory); `cwd` is the children's working directory
    (default: a fresh temporary directory, which also holds the script).
    Children run `sys.executable`, so they see the same packages as the
    caller; put anything else they must import on PYTHONPATH.

    Raises AssertionError, with every process's exit code and output tails,
    if any process exits non-zero or the group runs longer than `timeout`
    seconds. Note that Gloo prints "[Gloo] Rank ..." lines to stdout, so
    look for your own markers in the returned text rather than comparing
    it whole.
    """
    with tempfile.TemporaryDirectory(prefix="jax_mp_") as workdir:
        script_path = os.path.join(workdir, "script.py")
        with open(script_path, "w") as f:
            f.write(script)

        for attempt in range(2):
            ok, reason, codes, outs, errs = _launch_once(
                script_path, n, devices_per_process, timeout, workdir,
                attempt, extra_env, cwd)
            if ok:
                return [_read(p) for p in outs]
            # The free port was taken between probing and binding: retry
            # once with a fresh port, otherwise report.
            # (gRPC reports it as "Failed to add port to server" and JAX
            # then raises "Failed to start RPC server".)
            if attempt == 0 and any(
                    m in _tail(p) for p in errs for m in _PORT_TAKEN):
                continue
            break

        report = [f"multi-process JAX run failed: {reason}"]
        for i in range(n):
            code = codes[i]
            if code == -signal.SIGKILL:
                code = f"{code}, killed by the harness"
            report.append(
                f"\n===== process {i} (exit code {code}) stdout tail =====\n"
                f"{_tail(outs[i])}"
                f"\n===== process {i} stderr tail =====\n{_tail(errs[i])}")
        raise AssertionError("\n".join(report))
