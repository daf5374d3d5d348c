"""Real libvirt hosts on this one machine: each its own libvirtd in its own network and mount namespace.

Layout (every address inside LAB_NETWORK, a private range nothing else on the machine uses):

- rack r: a bridge ``labrack<r>`` in the root namespace holding 10.254.<r>.1/24;
- host i in rack r: a network namespace ``labh<i>`` joined to its rack's bridge by a veth pair (``labh<i>`` in the root
  namespace, ``eth0`` inside) at 10.254.<r>.<10+i>, and a libvirt network ``lab`` (routed, bridge ``labnet0``) for its
  guests, 10.254.<128+i>.0/24 with gateway .1, which the root namespace reaches through a route via the host.

The hosts only route 10.254.0.0/16 and the root namespace does not forward, so no guest traffic leaves the machine.
A state file in the work directory records every link and route before it is made and every namespace and process
as soon as it exists (_check_free has made sure the names were free), so that
``stop_hosts`` removes exactly those, also after a crash, and is harmless when called again.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

LAB_NETWORK = ipaddress.ip_network("10.254.0.0/16")
# The load balancer's public addresses, made local to this machine (a route of table local on lo) while the lab runs.
LAB_PUBLIC_ADDRESSES = ipaddress.ip_network("10.254.250.0/24")
BALANCER_DIRECTORY = "balancer"
MAX_HOSTS = 100
MAX_RACKS = 100
STATE_FILE = "lab-state.json"
# Where `manage.py lab` keeps the hosts, finds the built guest image and caches qemu's capabilities by default.
DEFAULT_WORKDIR = "var/lab/hosts"
DEFAULT_IMAGES = "var/lab/images"
DEFAULT_CACHE = "var/lab/qemu-capabilities"
POOL_NAME = "lab"
NETWORK_NAME = "lab"
NETWORK_BRIDGE = "labnet0"
BASE_KERNEL = "lab-guest-vmlinuz"
BASE_INITRD = "lab-guest-initrd.img"
BASE_DISK = "lab-guest-disk.raw"
BASE_DISK_BYTES = 64 * 1024 * 1024
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0
LIBVIRT_DIRS = {
    "etc": "/etc/libvirt",
    "run": "/run/libvirt",
    "lib": "/var/lib/libvirt",
    "log": "/var/log/libvirt",
    "cache": "/var/cache/libvirt",
}
SBIN = "/usr/sbin"


class LabError(RuntimeError):
    """The lab could not be started or checked."""


@dataclass(frozen=True)
class LabBalancer:
    """The lab's HAProxy (master-worker): its files and sockets, and the public addresses routed to this machine."""

    binary: str
    config_path: str
    runtime_socket: str
    master_socket: str
    pid_file: str
    public_addresses: str


@dataclass(frozen=True)
class LabHost:
    """One lab host: a libvirtd reachable on a unix socket, with a routed guest network and a storage pool.

    run_path is the host's /run/libvirt as seen from outside: a guest's qemu pid is in run_path/qemu/NAME.pid.
    """

    name: str
    rack: str
    uri: str
    address: str
    subnet: str
    gateway: str
    network: str
    pool: str
    pool_path: str
    run_path: str
    base_volumes: dict[str, str] = field(default_factory=dict)
    cores: int = 1
    memory_mib: int = 512

    def guest_address(self, index: int) -> str:
        """Return the address (with prefix) of the index-th guest on this host's network, counting from 0."""
        network = ipaddress.ip_network(self.subnet)
        return f"{network.network_address + 10 + index}/{network.prefixlen}"


def rack_bridge(rack: int) -> str:
    return f"labrack{rack}"


def rack_gateway(rack: int) -> ipaddress.IPv4Address:
    return LAB_NETWORK.network_address + rack * 256 + 1


def host_address(rack: int, host: int) -> ipaddress.IPv4Address:
    return LAB_NETWORK.network_address + rack * 256 + 10 + host


def guest_network(host: int) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(f"{LAB_NETWORK.network_address + (128 + host) * 256}/24")


# --- the state file ---------------------------------------------------------------------------------------------


class _State:
    """What the lab made, written to disk after every step."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict = {
            "bridges": [],
            "links": [],
            "netns": [],
            "routes": [],
            "processes": [],
            "hosts": [],
            "balancer": None,
        }
        if path.exists():
            self.data.update(json.loads(path.read_text()))

    def add(self, kind: str, item) -> None:
        self.data[kind].append(item)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data, indent=2))
        temporary.replace(self.path)

    def empty(self) -> bool:
        return not any(self.data[kind] for kind in ("bridges", "links", "netns", "routes", "processes"))


# --- small helpers ----------------------------------------------------------------------------------------------


def _run(*command: str, check: bool = True, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    if check and result.returncode != 0:
        raise LabError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def _start_time(pid: int) -> int | None:
    """Return the process's start time in clock ticks since boot, or None when it is gone (or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def _netns_inode(name: str) -> int | None:
    try:
        return os.stat(f"/run/netns/{name}").st_ino
    except FileNotFoundError:
        return None


def _pids_in_netns(inode: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.stat(entry / "ns" / "net").st_ino == inode and _start_time(int(entry.name)) is not None:
                pids.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pids


def _wait(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise LabError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _memory_available_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    return 1024


def check_requirements() -> list[str]:
    """Return what is missing to run the lab here (empty when it can run)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces and libvirtd need it)")
    for command in ("ip", "unshare", "nsenter", f"{SBIN}/libvirtd", f"{SBIN}/virtlogd", "virsh", "qemu-system-x86_64"):
        if not shutil.which(command):
            missing.append(f"the command {command} (fabric/lab/install.sh installs it)")
    return missing


def _check_free() -> None:
    """Refuse to start when anything already uses the lab's names or addresses."""
    routes = json.loads(_run("ip", "-j", "-4", "route", "show", "table", "all").stdout or "[]")
    for route in routes:
        destination = route.get("dst", "")
        if destination in ("", "default"):
            continue
        with contextlib.suppress(ValueError):
            if ipaddress.ip_network(destination, strict=False).overlaps(LAB_NETWORK):
                raise LabError(f"the route {destination} overlaps the lab's range {LAB_NETWORK}: is a lab running?")
    links = json.loads(_run("ip", "-j", "link", "show").stdout or "[]")
    taken = [link["ifname"] for link in links if link["ifname"].startswith(("labh", "labrack"))]
    namespaces = [line.split()[0] for line in _run("ip", "netns", "list").stdout.splitlines() if line.strip()]
    taken += [name for name in namespaces if name.startswith("labh")]
    if taken:
        raise LabError(f"lab links or namespaces already exist ({', '.join(taken)}): is a lab running?")


# --- starting ---------------------------------------------------------------------------------------------------


def _prepare_host_files(directory: Path, name: str, network: ipaddress.IPv4Network, images: Path, cache: Path) -> None:
    """Make the host's own copies of libvirt's directories, its configuration, pool and network."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    shutil.copytree("/etc/libvirt", directory / "etc", symlinks=True)
    for key in ("lib", "cache"):
        shutil.copytree(LIBVIRT_DIRS[key], directory / key, symlinks=True)
    for key in ("run", "log"):
        (directory / key).mkdir()
    (directory / "log" / "qemu").mkdir()
    (directory / "lib" / "dnsmasq").mkdir(exist_ok=True)
    (directory / "pids").mkdir()
    if cache.is_dir():
        shutil.copytree(cache, directory / "cache" / "qemu" / "capabilities", dirs_exist_ok=True)

    etc = directory / "etc"
    networks = etc / "qemu" / "networks"
    shutil.rmtree(networks)
    (networks / "autostart").mkdir(parents=True)
    gateway = network.network_address + 1
    (networks / f"{NETWORK_NAME}.xml").write_text(
        f"<network>\n  <name>{NETWORK_NAME}</name>\n  <forward mode='route'/>\n"
        f"  <bridge name='{NETWORK_BRIDGE}' stp='off' delay='0'/>\n  <dns enable='no'/>\n"
        f"  <ip address='{gateway}' prefix='{network.prefixlen}'/>\n</network>\n"
    )
    (networks / "autostart" / f"{NETWORK_NAME}.xml").symlink_to(f"/etc/libvirt/qemu/networks/{NETWORK_NAME}.xml")

    pool = directory / "pool"
    pool.mkdir()
    shutil.copyfile(images / "vmlinuz", pool / BASE_KERNEL)
    shutil.copyfile(images / "initrd.img", pool / BASE_INITRD)
    with (pool / BASE_DISK).open("wb") as disk:
        disk.truncate(BASE_DISK_BYTES)
    storage = etc / "storage"
    (storage / "autostart").mkdir(parents=True, exist_ok=True)
    (storage / f"{POOL_NAME}.xml").write_text(
        f"<pool type='dir'>\n  <name>{POOL_NAME}</name>\n  <target><path>{pool}</path></target>\n</pool>\n"
    )
    (storage / "autostart" / f"{POOL_NAME}.xml").symlink_to(f"/etc/libvirt/storage/{POOL_NAME}.xml")

    # Guests run as root without cgroups or a security driver: the lab's hosts share one kernel and one /sys/fs/cgroup.
    with (etc / "qemu.conf").open("a") as conf:
        conf.write('\n# The lab\nuser = "root"\ngroup = "root"\ncgroup_controllers = [ ]\nsecurity_driver = "none"\n')
    with (etc / "libvirtd.conf").open("a") as conf:
        conf.write('\n# The lab\nlog_outputs = "3:file:/var/log/libvirt/libvirtd.log"\n')
    (directory / "hosts").write_text(f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n")


def _host_script(directory: Path, name: str) -> str:
    mounts = "".join(f"mount --bind {directory / key} {target}\n" for key, target in LIBVIRT_DIRS.items())
    return (
        "set -e\n"
        f"hostname {name}\n"
        f"{mounts}"
        f"mount --bind {directory / 'hosts'} /etc/hosts\n"
        # A sysfs of this network namespace, so libvirt sees the host's own links.
        "mount -t sysfs sysfs /sys\n"
        f"{SBIN}/virtlogd -d --pid-file {directory / 'pids' / 'virtlogd.pid'}\n"
        f"{SBIN}/libvirtd -d --pid-file {directory / 'pids' / 'libvirtd.pid'}\n"
    )


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _host_ready(uri: str) -> bool:
    result = _run("virsh", "-c", uri, "-q", f"net-info {NETWORK_NAME}; pool-info {POOL_NAME}", check=False)
    if result.returncode != 0:
        return False
    lines = [line.split(":", 1) for line in result.stdout.splitlines() if ":" in line]
    values = [(key.strip(), value.strip()) for key, value in lines]
    return ("Active", "yes") in values and ("State", "running") in values


def _start_daemons(state: _State, directory: Path, name: str) -> None:
    script = _host_script(directory, name)
    command = ["unshare", "--mount", "--uts", "--propagation", "private", "--"]
    command += ["nsenter", f"--net=/run/netns/{name}", "--", "/bin/sh", "-c", script]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    for role in ("virtlogd", "libvirtd"):
        pid = _read_pid(directory / "pids" / f"{role}.pid")
        if pid is not None and (started := _start_time(pid)) is not None:
            state.add("processes", {"host": name, "role": role, "pid": pid, "start": started})
    if result.returncode != 0:
        raise LabError(f"starting {name}'s libvirtd failed: {result.stderr.strip() or result.stdout.strip()}")


def start_hosts(
    n: int,
    racks: int,
    workdir: str | os.PathLike,
    *,
    images: str | os.PathLike = DEFAULT_IMAGES,
    cache: str | os.PathLike | None = None,
    cores: int | None = None,
    memory_mib: int | None = None,
    balancer: bool = True,
) -> list[LabHost]:
    """Start n hosts spread over the racks (host i in rack i % racks) and return them once each answers.

    With `balancer`, an HAProxy for the region starts too (recorded_balancer tells its files and addresses).
    """
    if not 1 <= n <= MAX_HOSTS or not 1 <= racks <= min(n, MAX_RACKS):
        raise LabError(f"between 1 and {MAX_HOSTS} hosts and between 1 and that many racks, please")
    missing = check_requirements()
    if missing:
        raise LabError("the lab cannot run here; missing: " + "; ".join(missing))
    workdir = Path(workdir).resolve()
    images = Path(images).resolve()
    if not (images / "vmlinuz").is_file() or not (images / "initrd.img").is_file():
        raise LabError(f"no guest image in {images}: run fabric/lab/build_guest_image.sh {images}")
    cache = Path(cache).resolve() if cache else workdir / "qemu-capabilities"
    state = _State(workdir / STATE_FILE)
    if not state.empty():
        raise LabError(f"a lab is already recorded in {state.path}: stop it first (manage.py lab down)")
    _check_free()
    for target in LIBVIRT_DIRS.values():
        Path(target).mkdir(parents=True, exist_ok=True)

    cores = cores or os.cpu_count() or 1
    memory_mib = memory_mib or max(256, _memory_available_mib() // 2 // n // 128 * 128)
    try:
        for rack in range(racks):
            bridge = rack_bridge(rack)
            state.add("bridges", bridge)
            _run("ip", "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0")
            _run("ip", "addr", "add", f"{rack_gateway(rack)}/24", "dev", bridge)
            _run("ip", "link", "set", bridge, "up")

        hosts = []
        for index in range(n):
            rack = index % racks
            name = f"labh{index}"
            address = host_address(rack, index)
            network = guest_network(index)
            _run("ip", "netns", "add", name)
            state.add("netns", {"name": name, "inode": _netns_inode(name)})
            state.add("links", name)
            _run("ip", "link", "add", name, "type", "veth", "peer", "name", f"{name}p")
            _run("ip", "link", "set", f"{name}p", "netns", name)
            _run("ip", "-n", name, "link", "set", f"{name}p", "name", "eth0")
            _run("ip", "-n", name, "addr", "add", f"{address}/24", "dev", "eth0")
            _run("ip", "-n", name, "link", "set", "eth0", "up")
            _run("ip", "-n", name, "link", "set", "lo", "up")
            # Only the lab's range is routed: a guest's packets for anywhere else stop at its host.
            _run("ip", "-n", name, "route", "add", str(LAB_NETWORK), "via", str(rack_gateway(rack)))
            _run("ip", "link", "set", name, "master", rack_bridge(rack), "up")
            route = [str(network), "via", str(address), "dev", rack_bridge(rack)]
            state.add("routes", route)
            _run("ip", "route", "add", *route)

            directory = workdir / name
            _prepare_host_files(directory, name, network, images, cache)
            uri = f"qemu+unix:///system?socket={directory / 'run' / 'libvirt-sock'}"
            hosts.append(
                LabHost(
                    name=name,
                    rack=f"rack{rack}",
                    uri=uri,
                    address=str(address),
                    subnet=str(network),
                    gateway=str(network.network_address + 1),
                    network=NETWORK_NAME,
                    pool=POOL_NAME,
                    pool_path=str(directory / "pool"),
                    run_path=str(directory / "run"),
                    base_volumes={"kernel": BASE_KERNEL, "initrd": BASE_INITRD, "disk": BASE_DISK},
                    cores=cores,
                    memory_mib=memory_mib,
                )
            )

        # Probing qemu's capabilities costs seconds of CPU per libvirtd. Without a cache from an earlier run, the
        # first host probes (libvirtd does when first asked) and the others start with its answer.
        others = hosts
        if not any(cache.glob("*.xml")):
            first, *others = hosts
            _start_daemons(state, workdir / first.name, first.name)
            _wait(lambda: _host_ready(first.uri), READY_TIMEOUT, f"{first.name}'s libvirtd")
            _run("virsh", "-c", first.uri, "domcapabilities", "--virttype", "qemu", "--arch", "x86_64", timeout=120)
            probed = workdir / first.name / "cache" / "qemu" / "capabilities"
            if probed.is_dir():
                shutil.copytree(probed, cache, dirs_exist_ok=True)
        for host in others:
            if cache.is_dir():
                shutil.copytree(cache, workdir / host.name / "cache" / "qemu" / "capabilities", dirs_exist_ok=True)
            _start_daemons(state, workdir / host.name, host.name)
        for host in others:
            _wait(lambda host=host: _host_ready(host.uri), READY_TIMEOUT, f"{host.name}'s libvirtd")
        if balancer:
            _start_balancer(state, workdir)
        state.data["hosts"] = [asdict(host) for host in hosts]
        state.save()
        return hosts
    except BaseException:
        stop_hosts(workdir)
        raise


def _start_balancer(state: _State, workdir: Path) -> None:
    """Route the public addresses to this machine and start HAProxy in master-worker mode with an empty service."""
    binary = shutil.which("haproxy") or shutil.which("haproxy", path=SBIN)
    if binary is None:
        raise LabError("haproxy is not installed (fabric/lab/install.sh installs it)")
    directory = workdir / BALANCER_DIRECTORY
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    balancer = LabBalancer(
        binary=binary,
        config_path=str(directory / "haproxy.cfg"),
        runtime_socket=str(directory / "runtime.sock"),
        master_socket=str(directory / "master.sock"),
        pid_file=str(directory / "haproxy.pid"),
        public_addresses=str(LAB_PUBLIC_ADDRESSES),
    )
    # The portal replaces this file with the region's configuration on its first pass (balancer.apply_changes).
    Path(balancer.config_path).write_text(
        f"global\n    master-worker\n    stats socket {balancer.runtime_socket} mode 600 level admin\n"
    )
    route = ["local", str(LAB_PUBLIC_ADDRESSES), "dev", "lo"]
    state.add("routes", route)
    _run("ip", "route", "add", *route)
    # -D: the master detaches (it is no child of ours, so stop_hosts's wait is not kept by a zombie) and writes its pid.
    command = [binary, "-W", "-D", "-S", balancer.master_socket, "-p", balancer.pid_file, "-f", balancer.config_path]
    result = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)  # noqa: S603
    pid = _read_pid(Path(balancer.pid_file))
    if pid is not None and (started := _start_time(pid)) is not None:
        state.add("processes", {"host": BALANCER_DIRECTORY, "role": "haproxy", "pid": pid, "start": started})
    if result.returncode != 0 or pid is None:
        raise LabError(f"HAProxy did not start: {result.stderr.strip() or result.stdout.strip()}")
    state.data["balancer"] = asdict(balancer)
    state.save()
    _wait(lambda: Path(balancer.master_socket).exists(), READY_TIMEOUT, "the lab's HAProxy")


def recorded_balancer(workdir: str | os.PathLike) -> LabBalancer | None:
    """Return the HAProxy the state file in workdir records as started, if any."""
    state = _State(Path(workdir).resolve() / STATE_FILE)
    return LabBalancer(**state.data["balancer"]) if state.data.get("balancer") else None


def recorded_hosts(workdir: str | os.PathLike) -> list[LabHost]:
    """Return the hosts the state file in workdir records as started."""
    state = _State(Path(workdir).resolve() / STATE_FILE)
    return [LabHost(**host) for host in state.data["hosts"]]


# --- stopping ---------------------------------------------------------------------------------------------------


def _signal(pid: int, start: int | None, signum: int) -> None:
    if start is not None and _start_time(pid) != start:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def stop_hosts(workdir: str | os.PathLike) -> None:
    """Stop what start_hosts recorded in workdir (guests, daemons, namespaces, links, routes) and nothing else."""
    path = Path(workdir).resolve() / STATE_FILE
    if not path.exists():
        return
    state = _State(path)

    # Everything inside a namespace the lab made is the lab's: the guests' qemu first, then the daemons.
    victims: dict[int, int | None] = {}
    for namespace in state.data["netns"]:
        inode = _netns_inode(namespace["name"])
        if inode is not None and inode == namespace["inode"]:
            victims.update((pid, _start_time(pid)) for pid in _pids_in_netns(inode))
    daemons = {process["pid"]: process["start"] for process in state.data["processes"]}
    for pid, start in victims.items():
        if pid not in daemons:
            _signal(pid, start, signal.SIGKILL)
    for pid, start in daemons.items():
        _signal(pid, start, signal.SIGTERM)
    everyone = {**victims, **daemons}

    def gone() -> bool:
        return all(_start_time(pid) is None or _start_time(pid) != start for pid, start in everyone.items())

    try:
        _wait(gone, STOP_TIMEOUT, "the lab's processes to stop")
    except LabError:
        for pid, start in everyone.items():
            _signal(pid, start, signal.SIGKILL)
        _wait(gone, STOP_TIMEOUT, "the lab's processes to die")
    # Orphans are reaped by the machine's init, not by us: give it a moment, so no zombie lingers in ps.
    with contextlib.suppress(LabError):
        _wait(lambda: not any(Path(f"/proc/{pid}").exists() for pid in everyone), 5.0, "the lab's zombies")

    for route in state.data["routes"]:
        _run("ip", "route", "del", *route, check=False)
    for link in state.data["links"]:
        _run("ip", "link", "del", link, check=False)
    for namespace in state.data["netns"]:
        if _netns_inode(namespace["name"]) == namespace["inode"]:
            _run("ip", "netns", "del", namespace["name"], check=False)
    for bridge in state.data["bridges"]:
        _run("ip", "link", "del", bridge, check=False)
    path.unlink()


def lab_status(workdir: str | os.PathLike) -> list[dict]:
    """Return, per recorded host, whether its libvirtd runs and answers, and which guests it runs."""
    state = _State(Path(workdir).resolve() / STATE_FILE)
    report = []
    for host in recorded_hosts(workdir):
        processes = [p for p in state.data["processes"] if p["host"] == host.name]
        alive = [p["role"] for p in processes if _start_time(p["pid"]) == p["start"]]
        guests = []
        if "libvirtd" in alive:
            result = _run("virsh", "-c", host.uri, "-q", "list", "--name", check=False)
            guests = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        report.append({"host": host, "daemons": alive, "guests": guests})
    return report
