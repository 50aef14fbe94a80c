#!/usr/bin/python3
"""The README's "Deploying a terminal", done on a fresh Debian 12 machine and then tried as a patron
and as somebody who wants out of the kiosk would try it (as root: ``make vm-test``).

The machine is a virtual one (QEMU; with KVM where the processor offers it to this machine, emulated
otherwise): a real Debian kernel, a virtio graphics card whose DRM device seatd hands to cage, a USB
keyboard and a USB tablet (the touchscreen's stand-in) whose events arrive through the kernel's input
layer and libinput as a terminal's do, an i6300esb hardware watchdog, and the door's LCUS relay board
on the second serial port (what the kiosk sends it is recorded on this side). The root is a plain
``debootstrap`` of Debian 12 with a kernel and an SSH server (what the installer's "minimal, with an
SSH server" gives). The deploy is the README's commands, in order, run as root on that root in a
container at this machine's speed (each step a container of its own):

    apt-get install git make cage xwayland seatd
    git clone ... /usr/local/src/library-kiosk && cd /usr/local/src/library-kiosk
    make .venv/.installed
    cp config/default.toml my-terminal.toml     # then edited (here: written over with the test's
                                                # file: the demo's LMS and devices, the door relay)
    .venv/bin/library-kiosk check-config my-terminal.toml
    .venv/bin/library-kiosk install --config my-terminal.toml
    reboot

Then it boots the machine from that disk and checks, printing PASS/FAIL for each:
    boot      the kiosk unit is active (READY=1), on tty1, and its window on the screen (a screen blanked
              after closing time is woken by a tap, as a patron wakes it)
    escape    keys pressed on the keyboard (VT switches, Ctrl+Alt+Del once and 8 times in a row,
              Ctrl+Alt+Backspace, Alt+F4, Alt+Tab, Ctrl+W/Q/C, the Super key, Escape, SysRq reboot and
              kill-all, a wedge scanner's typing): the machine neither rebooted nor left tty1, the same
              kiosk process runs, no job is queued, and the kiosk's window still shows
    kill9     kill -9 of the kiosk -> systemd starts it again within 10 s; ready and on the screen again
    hang      kill -STOP of the kiosk -> ended by a watchdog and started again within 45 s; on the screen
    door      the relay was switched off and never on through all of this; the door unit never restarted
    reset     a hard reset of the machine (a power cut's stand-in) -> the kiosk on the screen again, the
              relay never on
Exit 0 only if all pass. Everything it saw is in $VM_TEST_DIR/run-<time>/ (default
/var/tmp/library-kiosk-vm-test): the screen after every step as PNG, the console, the commands' output,
the bytes the relay board got.

Test rig, not what a terminal does: the source tree reaches the machine as a git bundle (its
"REPOSITORY-URL"); this machine's egress proxy's CA certificate is trusted inside (apt and pip go out
through it); the serial console is the kernel's log; the demo's emulated LMS stands in for the
library's; one drop-in, vm-test-rig.conf: QEMU's virtio GPU has no Mesa driver of its own and cage's
GLES renderer crashed in Mesa's software rasteriser under emulation, so cage renders with pixman (as
wlroots itself chooses where EGL reports software rendering), and without KVM the kiosk starts about
20 times slower than on a terminal, so it gets 300 s to report ready (WatchdogSec stays the product's).
Needs: root, Debian's qemu-system-x86, debootstrap and systemd-container (installed if missing), the
Debian mirror and PyPI, about 12 GB. About 15 minutes on 2 cores without KVM, the debootstrapped root
cached (cache/root.tar) after the first run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

TREE = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TREE))  # run by Debian's Python, outside the project's virtualenv
from hardware.door.relay_protocols import RelayCommand, parse_lcus_frame  # noqa: E402

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("linux-image-amd64,systemd-sysv,openssh-server,ca-certificates,udev,kmod,"
                 "initramfs-tools,dbus,libpam-systemd")
SRC = "/usr/local/src/library-kiosk"
SCREEN = (1920, 1080)


def _accel() -> tuple[str, ...]:
    """KVM where the processor offers virtualisation to this machine; QEMU's emulation otherwise (a
    virtual machine without nested virtualisation has a /dev/kvm whose guests hang)."""
    flags = Path("/proc/cpuinfo").read_text().split()
    if Path("/dev/kvm").exists() and ("vmx" in flags or "svm" in flags):
        return ("-accel", "kvm", "-cpu", "host")
    return ("-accel", "tcg,thread=multi", "-cpu", "max")


ACCEL = _accel()
# How much longer the kiosk takes to start here than on a terminal: QEMU's emulated CPU (no KVM) runs
# Python about 20 times slower. Limits on "on the screen again" are multiplied by it; systemd's own
# restart (a new main process) is timed as it is.
SLOW = 1 if ACCEL[1] == "kvm" else 10

# What somebody at the keyboard tries: QEMU key codes pressed together, how many times in a row.
ESCAPES: list[tuple[str, list[str], int]] = [
    ("Ctrl+Alt+F2", ["ctrl", "alt", "f2"], 1),
    ("Ctrl+Alt+F3", ["ctrl", "alt", "f3"], 1),
    ("Ctrl+Alt+F6", ["ctrl", "alt", "f6"], 1),
    ("Alt+F2", ["alt", "f2"], 1),
    ("Alt+Right", ["alt", "right"], 1),
    ("Ctrl+Alt+Backspace", ["ctrl", "alt", "backspace"], 1),
    ("Ctrl+Alt+Delete", ["ctrl", "alt", "delete"], 1),
    ("Ctrl+Alt+Delete 8 times in a row (systemd's burst: reboot at once)", ["ctrl", "alt", "delete"], 8),
    ("Alt+F4", ["alt", "f4"], 1),
    ("Ctrl+W", ["ctrl", "w"], 1),
    ("Ctrl+Q", ["ctrl", "q"], 1),
    ("Alt+Tab", ["alt", "tab"], 1),
    ("Super", ["meta_l"], 1),
    ("Escape", ["esc"], 1),
    ("Ctrl+C", ["ctrl", "c"], 1),
    ("Alt+SysRq+K (kill all on this VT)", ["alt", "sysrq", "k"], 1),
    ("Alt+SysRq+B (reboot at once)", ["alt", "sysrq", "b"], 1),
]
WEDGE = "root\n"  # a wedge scanner (or a keyboard) typing a word and Enter


# ---------------------------------------------------------------- small things
T0 = time.monotonic()


def log(text: str) -> None:
    print(f"[{time.monotonic() - T0:7.1f}s] {text}", flush=True)


def run(cmd: list[str], *, log_to: Path | None = None, check: bool = True,
        timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if log_to is not None:
        with log_to.open("a") as out:
            out.write(f"$ {' '.join(cmd)}\n{done.stdout}{done.stderr}[exit {done.returncode}]\n")
    if check and done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return done


class Fail(Exception):
    pass


# ---------------------------------------------------------------- screen
@dataclass
class Picture:
    width: int
    height: int
    rgb: bytes

    @classmethod
    def from_ppm(cls, data: bytes) -> Picture:
        fields: list[bytes] = []
        pos = 0
        while len(fields) < 4:  # P6, width, height, maxval; comments are not written by QEMU
            while data[pos:pos + 1].isspace():
                pos += 1
            end = pos
            while not data[end:end + 1].isspace():
                end += 1
            fields.append(data[pos:end])
            pos = end
        if fields[0] != b"P6":
            raise ValueError(f"not a binary PPM: {fields[0]!r}")
        width, height = int(fields[1]), int(fields[2])
        return cls(width, height, data[pos + 1:pos + 1 + width * height * 3])

    def png(self) -> bytes:
        def chunk(kind: bytes, body: bytes) -> bytes:
            return (struct.pack(">I", len(body)) + kind + body
                    + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
        row = self.width * 3
        raw = b"".join(b"\0" + self.rgb[y * row:(y + 1) * row] for y in range(self.height))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))

    def colours(self) -> int:
        """How many distinct colours a sample of pixels has (a console or a black screen: few)."""
        step = 3 * 97
        return len({self.rgb[i:i + 3] for i in range(0, len(self.rgb) - 3, step)})

    def light(self) -> float:
        """The share of sampled pixels that are light (the kiosk's screens are light; a console dark)."""
        step = 3 * 101
        samples = [sum(self.rgb[i:i + 3]) for i in range(0, len(self.rgb) - 3, step)]
        return sum(1 for s in samples if s > 3 * 160) / max(1, len(samples))

    def differs(self, other: Picture) -> float:
        """The share of sampled pixels that differ from ``other``'s."""
        if (self.width, self.height) != (other.width, other.height):
            return 1.0
        step = 3 * 53
        idx = range(0, len(self.rgb) - 3, step)
        return sum(1 for i in idx if self.rgb[i:i + 3] != other.rgb[i:i + 3]) / max(1, len(idx))


# ---------------------------------------------------------------- the machine
@dataclass
class Machine:
    run_dir: Path
    disk: Path
    kernel: Path
    initrd: Path
    key: Path
    ssh_port: int
    proc: subprocess.Popen[bytes] | None = None
    qmp: socket.socket | None = None
    qmp_buffer: bytes = b""
    shots: int = 0
    relay_file: Path = field(default_factory=Path)

    def start(self) -> None:
        qmp_path = self.run_dir / "qmp.sock"
        self.relay_file = self.run_dir / "relay.bin"
        cmd = [
            "qemu-system-x86_64", "-machine", "q35", *ACCEL, "-smp", "2", "-m", "4096",
            "-kernel", str(self.kernel), "-initrd", str(self.initrd),
            "-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0",
            "-drive", f"file={self.disk},format=raw,if=virtio,cache=unsafe",
            "-nic", f"user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22",
            "-vga", "none", "-device", f"virtio-vga,xres={SCREEN[0]},yres={SCREEN[1]}",
            "-display", "none", "-device", "qemu-xhci", "-device", "usb-tablet",
            "-device", "usb-kbd",
            "-serial", f"file:{self.run_dir / 'console.log'}",
            "-serial", f"file:{self.relay_file}",
            "-device", "i6300esb", "-watchdog-action", "reset",
            "-qmp", f"unix:{qmp_path},server=on,wait=off",
        ]
        (self.run_dir / "qemu-command.txt").write_text(" ".join(cmd) + "\n")
        self.proc = subprocess.Popen(cmd, stdout=(self.run_dir / "qemu.log").open("wb"),
                                     stderr=subprocess.STDOUT)
        for _ in range(100):
            if qmp_path.exists():
                break
            time.sleep(0.1)
        self.qmp = socket.socket(socket.AF_UNIX)
        self.qmp.connect(str(qmp_path))
        self._qmp_read()  # the greeting
        self.command("qmp_capabilities")

    def _qmp_read(self) -> dict[str, object]:
        assert self.qmp is not None
        while b"\n" not in self.qmp_buffer:
            data = self.qmp.recv(65536)
            if not data:
                raise Fail("QEMU closed its monitor")
            self.qmp_buffer += data
        line, self.qmp_buffer = self.qmp_buffer.split(b"\n", 1)
        reply: dict[str, object] = json.loads(line)
        return reply

    def command(self, name: str, **arguments: object) -> object:
        assert self.qmp is not None
        message: dict[str, object] = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.qmp.sendall(json.dumps(message).encode() + b"\n")
        while True:
            reply = self._qmp_read()
            if "event" in reply:
                with (self.run_dir / "qmp-events.txt").open("a") as out:
                    out.write(json.dumps(reply) + "\n")
                continue
            if "error" in reply:
                raise Fail(f"QMP {name}: {reply['error']}")
            return reply.get("return")

    def keys(self, codes: list[str]) -> None:
        self.command("send-key", keys=[{"type": "qcode", "data": c} for c in codes], **{"hold-time": 150})

    def touch(self, x: float, y: float) -> None:
        """A tap at (x, y), as fractions of the screen, on the USB tablet (the touchscreen's stand-in).
        The pointer comes from beside the point first: cage gives a surface the pointer when it moves
        over it, and its cursor starts where a first tap might be (a touchscreen's touch needs no
        such focus)."""
        def at(px: float, py: float) -> list[dict[str, object]]:
            return [{"type": "abs", "data": {"axis": "x", "value": int(px * 32767)}},
                    {"type": "abs", "data": {"axis": "y", "value": int(py * 32767)}}]
        self.command("input-send-event", events=at(x + 0.01, y + 0.01))
        time.sleep(0.1)
        self.command("input-send-event", events=at(x, y))
        time.sleep(0.1)
        for down in (True, False):
            button = {"type": "btn", "data": {"down": down, "button": "left"}}
            self.command("input-send-event", events=[button])
            time.sleep(0.15)

    def type(self, text: str) -> None:
        names = {"\n": "ret", " ": "spc"}
        for ch in text:
            self.keys([names.get(ch, ch)])
            time.sleep(0.05)

    def screen(self, name: str) -> Picture:
        self.shots += 1
        ppm = self.run_dir / "screen.ppm"
        self.command("screendump", filename=str(ppm))
        for _ in range(50):  # QEMU writes it from its main loop
            if ppm.exists() and ppm.stat().st_size > 15:
                break
            time.sleep(0.1)
        time.sleep(0.2)
        picture = Picture.from_ppm(ppm.read_bytes())
        ppm.unlink()
        (self.run_dir / f"screen-{self.shots:02d}-{name}.png").write_bytes(picture.png())
        return picture

    def ssh(self, command: str, *, timeout: float = 60, check: bool = False,
            log_name: str | None = None) -> subprocess.CompletedProcess[str]:
        cmd = ["ssh", "-i", str(self.key), "-p", str(self.ssh_port), "-o", "BatchMode=yes",
               "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", "root@127.0.0.1", command]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            done = subprocess.CompletedProcess(cmd, 124, "", f"timed out after {timeout} s")
        if log_name is not None:
            with (self.run_dir / log_name).open("a") as out:
                out.write(f"# {command}\n{done.stdout}{done.stderr}[exit {done.returncode}]\n\n")
        if check and done.returncode != 0:
            raise Fail(f"{command}: exit {done.returncode}\n{(done.stdout + done.stderr)[-3000:]}")
        return done

    def value(self, command: str) -> str:
        return self.ssh(command, timeout=30).stdout.strip()

    def wait_ssh(self, limit: float, *, not_boot: str = "") -> str:
        """Wait until SSH answers on a boot other than ``not_boot``; its boot id."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            done = self.ssh("cat /proc/sys/kernel/random/boot_id", timeout=10)
            if done.returncode == 0 and done.stdout.strip() and done.stdout.strip() != not_boot:
                return done.stdout.strip()
            time.sleep(2)
        raise Fail(f"no SSH within {limit:.0f} s (console: {self.run_dir / 'console.log'})")

    def relay_frames(self) -> bytes:
        return self.relay_file.read_bytes() if self.relay_file.exists() else b""

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(Fail, OSError):
            self.command("quit")
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def lcus_switches(frames: bytes) -> list[RelayCommand]:
    """The LCUS frames the kiosk sent, read by the kiosk's own parser (a frame cut off by the reading
    left out)."""
    return [parse_lcus_frame(frames[i:i + 4]) for i in range(0, len(frames) - len(frames) % 4, 4)]


# ---------------------------------------------------------------- the fresh machine's disk
def host_tools(run_dir: Path) -> None:
    need = {"qemu-system-x86_64": "qemu-system-x86", "debootstrap": "debootstrap",
            "mkfs.ext4": "e2fsprogs", "ssh": "openssh-client", "systemd-nspawn": "systemd-container"}
    missing = sorted({pkg for prog, pkg in need.items() if shutil.which(prog) is None})
    if missing:
        log(f"installing on this machine: {' '.join(missing)}")
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            log_to=run_dir / "apt-host.log")


def base_root(cache: Path, root: Path, run_dir: Path) -> None:
    tar = cache / "root.tar"
    if not tar.exists():
        log(f"debootstrap {SUITE} (cached in {tar} afterwards)")
        scratch = cache / "debootstrap"
        shutil.rmtree(scratch, ignore_errors=True)
        run(["debootstrap", f"--include={BASE_PACKAGES}", SUITE, str(scratch), MIRROR],
            log_to=run_dir / "debootstrap.log")
        for deb in (scratch / "var/cache/apt/archives").glob("*.deb"):
            deb.unlink()
        run(["tar", "-C", str(scratch), "--numeric-owner", "-cpf", f"{tar}.new", "."])
        os.replace(f"{tar}.new", tar)
        shutil.rmtree(scratch)
    root.mkdir()
    run(["tar", "-C", str(root), "--numeric-owner", "-xpf", str(tar)])


TERMINAL_EDIT = """
# vm-test's terminal file (in place of an edited copy of config/default.toml): the demo's LMS and
# central service (emulated), the
# demo's simulated pads, and the door strike on an LCUS relay board on the second serial port, whose
# crash watchdog is the door unit.
[terminal]
id = "vm-test-1"
branch = "hovedbiblioteket"
name = "vm test"
language = "da"
languages = ["da", "en"]
fullscreen = true
[terminal.screen]
diagonal_in = 21.5
[calendar]
file = "{src}/config/demo/calendar.toml"
kiosk_hours = false
[lms]
kind = "emulator"
seed = "{src}/config/demo/lms.toml"
[devices.card_reader]
kind = "memory"
[devices.rfid_pad]
kind = "simulated"
[devices.barcode_scanner]
kind = "simulated"
[devices.receipt_printer]
kind = "simulated"
[devices.document_printer]
kind = "simulated"
[devices.announcer]
kind = "memory"
[devices.door]
kind = "lcus"
port = "/dev/ttyS1"
channel = 1
watchdog = "service"
[central]
kind = "emulator"
seed = "{src}/config/demo/central.toml"
"""


def prepare_root(root: Path, run_dir: Path, key: Path) -> None:
    """A fresh machine's root: what a Debian installer leaves, no more (and the test rig's files)."""
    (root / "etc/hostname").write_text("kiosk-vm\n")
    (root / "etc/hosts").write_text("127.0.0.1 localhost\n127.0.1.1 kiosk-vm\n")
    (root / "etc/fstab").write_text("/dev/vda / ext4 errors=remount-ro 0 1\n")
    network = root / "etc/systemd/network/80-wired.network"
    network.parent.mkdir(parents=True, exist_ok=True)
    network.write_text("[Match]\nName=eth*\n[Network]\nDHCP=yes\n")
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / "systemd-networkd.service").unlink(missing_ok=True)
    (wants / "systemd-networkd.service").symlink_to("/lib/systemd/system/systemd-networkd.service")
    resolv = root / "etc/resolv.conf"
    resolv.unlink(missing_ok=True)
    resolv.write_text("nameserver 10.0.2.3\n")
    # the serial console is this test's log of the kernel, not a login (a real terminal has none)
    (root / "etc/systemd/system/serial-getty@ttyS0.service").unlink(missing_ok=True)
    (root / "etc/systemd/system/serial-getty@ttyS0.service").symlink_to("/dev/null")
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(Path(f"{key}.pub").read_text())
    os.chmod(ssh_dir / "authorized_keys", 0o600)
    # test rig: this machine's egress proxy re-signs TLS; trust its CA inside as on this machine
    for crt in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        shutil.copy(crt, root / "usr/local/share/ca-certificates" / crt.name)
    run(["chroot", str(root), "update-ca-certificates"], log_to=run_dir / "prepare.log")
    (root / "etc/pip.conf").write_text("[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n")
    # the repository, as the README's "git clone REPOSITORY-URL" reaches it
    run(["git", "-C", str(TREE), "bundle", "create", str(root / "root/library-kiosk.bundle"), "HEAD"],
        log_to=run_dir / "prepare.log")
    (root / "root/vm-test-terminal.toml").write_text(TERMINAL_EDIT.format(src=SRC))


def make_disk(root: Path, run_dir: Path) -> tuple[Path, Path, Path]:
    """The root on a disk image, and the kernel and initrd the machine boots."""
    boot = root / "boot"
    kernel = run_dir / "vmlinuz"
    initrd = run_dir / "initrd.img"
    shutil.copy(sorted(boot.glob("vmlinuz-*"))[-1], kernel)
    shutil.copy(sorted(boot.glob("initrd.img-*"))[-1], initrd)
    disk = run_dir / "disk.raw"
    run(["truncate", "-s", "16G", str(disk)])
    run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(root), str(disk)], log_to=run_dir / "prepare.log")
    return disk, kernel, initrd


# ---------------------------------------------------------------- the checks
RESULTS: dict[str, str] = {}
ORDER = ["deploy", "boot", "escape", "kill9", "hang", "door", "reset"]


def result(name: str, ok: bool, detail: str) -> None:
    RESULTS[name] = ("PASS" if ok else "FAIL") + f" - {detail}"
    log(f"CHECK {name}: {RESULTS[name]}")


def kiosk_state(vm: Machine) -> dict[str, str]:
    lines = vm.value("systemctl show library-kiosk -p ActiveState -p MainPID -p NRestarts -p StatusText;"
                     " echo Vt=$(cat /sys/class/tty/tty0/active);"
                     " echo Boot=$(cat /proc/sys/kernel/random/boot_id);"
                     " m=$(systemctl show library-kiosk -p MainPID --value);"
                     " echo Kiosk=$(for c in $(cat /proc/$m/task/*/children 2>/dev/null);"
                     " do grep -q library-kiosk /proc/$c/cmdline && echo $c; done | head -1)")
    return dict(line.split("=", 1) for line in lines.splitlines() if "=" in line)


def on_screen(vm: Machine, name: str, limit: float,
              baseline: Picture | None = None) -> tuple[bool, Picture, float]:
    """Wait until the kiosk's window shows (light, many colours); how long it took."""
    t = time.monotonic()
    picture = vm.screen(name)
    while True:
        if picture.colours() == 1 and picture.light() == 0:  # blanked after closing time: a touch wakes it
            vm.touch(0.5, 0.5)
            time.sleep(2)
            picture = vm.screen(name)
        shown = picture.light() > 0.5 and picture.colours() > 8
        if shown and (baseline is None or picture.differs(baseline) < 0.2):
            return True, picture, time.monotonic() - t
        if time.monotonic() - t > limit:
            return False, picture, time.monotonic() - t
        time.sleep(1)
        picture = vm.screen(name)


def wait_new_main(vm: Machine, old_main: str, limit: float) -> float | None:
    """Seconds until systemd started the unit again (another main process), or None."""
    t = time.monotonic()
    while time.monotonic() - t < limit:
        main = vm.value("systemctl show library-kiosk -p MainPID --value")
        if main not in ("", "0", old_main):
            return time.monotonic() - t
        time.sleep(0.3)
    return None


def wait_active(vm: Machine, old_main: str, limit: float) -> dict[str, str] | None:
    """The unit's state once it is active with a kiosk under a main process other than ``old_main``."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        state = kiosk_state(vm)
        if state.get("ActiveState") == "active" and state.get("MainPID") not in ("0", old_main) \
                and state.get("Kiosk"):
            return state
        time.sleep(0.5)
    return None


def restart_check(vm: Machine, name: str, signal: str, limit: float, done: str) -> None:
    """``kill SIGNAL`` to the kiosk: a new kiosk within ``limit`` s (systemd's restart, as timed here),
    then ready and on the screen again (the kiosk's own start, slower under emulation)."""
    before = kiosk_state(vm)
    t = time.monotonic()
    vm.ssh(f"kill {signal} {before.get('Kiosk')}")
    restarted = wait_new_main(vm, before.get("MainPID", ""), 60)
    after = wait_active(vm, before.get("MainPID", ""), 15 * SLOW)
    shown, _, _ = on_screen(vm, f"after-{name}", 15 * SLOW)
    took = time.monotonic() - t
    why = vm.value(f"journalctl -u library-kiosk -u library-kiosk-door --since '-{int(took) + 5}s' --no-pager"
                   " | grep -E -i 'watchdog|heartbeat|silent|timeout|gone' | tail -3")
    result(name, restarted is not None and restarted < limit and after is not None and shown,
           f"kiosk PID {before.get('Kiosk')} {done}; a new kiosk started "
           f"{f'after {restarted:.1f} s' if restarted is not None else 'not within 60 s'}, ready (MainPID "
           f"{after and after.get('MainPID')}) and on the screen {took:.1f} s after; "
           f"journal: {why.replace(chr(10), ' | ') or 'nothing'}")
    time.sleep(5)


def deploy(root: Path, run_dir: Path) -> None:
    """The README's commands, in order, as root on the fresh machine's root: in a container at this
    machine's own speed (each step a container of its own, as a shell would run them one by one)."""
    steps = [
        "apt-get update -qq",
        "apt-get install -y git make cage xwayland seatd",
        f"git clone /root/library-kiosk.bundle {SRC}",
        f"cd {SRC} && make .venv/.installed",
        f"cd {SRC} && cp config/default.toml my-terminal.toml"
        " && cp /root/vm-test-terminal.toml my-terminal.toml",
        f"cd {SRC} && .venv/bin/library-kiosk check-config my-terminal.toml",
        f"cd {SRC} && .venv/bin/library-kiosk install --config my-terminal.toml",
    ]
    for step in steps:
        t = time.monotonic()
        run(["systemd-nspawn", "-q", "-D", str(root), "--register=no", "--keep-unit",
             "--resolv-conf=copy-host", "--timezone=off",
             "--setenv=DEBIAN_FRONTEND=noninteractive", "--setenv=LANG=C.UTF-8", "/bin/sh", "-c", step],
            log_to=run_dir / "deploy.log")
        log(f"deploy: {step} ({time.monotonic() - t:.0f} s)")
    # test rig: QEMU's virtio GPU has no Mesa driver of its own (cage's GLES renderer falls back to
    # llvmpipe, which crashes under QEMU's emulated CPU): cage renders with pixman, as wlroots does
    # by itself where EGL says "software". The kiosk draws into shared memory either way. Under
    # emulation (no KVM) the kiosk starts about 20 times slower than on a terminal: more time to start.
    rig = root / "etc/systemd/system/library-kiosk.service.d/vm-test-rig.conf"
    rig.parent.mkdir(parents=True, exist_ok=True)
    rig.write_text("# vm-test's rig, not the product: see tests/deploy/terminal_vm.py\n[Service]\n"
                   "Environment=WLR_RENDERER=pixman\n"
                   + ("TimeoutStartSec=300\n" if "tcg" in ACCEL[1] else ""))
    # the container's resolver file goes; the machine's own (from its DHCP server) comes back
    resolv = root / "etc/resolv.conf"
    resolv.unlink(missing_ok=True)
    resolv.write_text("nameserver 10.0.2.3\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the disk image and leave nothing running")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (debootstrap, chroot)")
    base = Path(os.environ.get("VM_TEST_DIR", "/var/tmp/library-kiosk-vm-test"))
    cache = base / "cache"
    run_dir = base / time.strftime("run-%Y%m%d-%H%M%S")
    cache.mkdir(parents=True, exist_ok=True)
    run_dir.mkdir()
    commit = run(["git", "-C", str(TREE), "rev-parse", "--short", "HEAD"]).stdout.strip()
    log(f"source tree {TREE} (commit {commit}),"
        f" everything in {run_dir}")
    host_tools(run_dir)
    key = run_dir / "ssh-key"
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
    root = run_dir / "root"
    base_root(cache, root, run_dir)
    prepare_root(root, run_dir, key)
    log("deploying as README.md says")
    t = time.monotonic()
    deploy(root, run_dir)
    result("deploy", True, f"README's commands in {time.monotonic() - t:.0f} s (deploy.log)")
    disk, kernel, initrd = make_disk(root, run_dir)
    shutil.rmtree(root)
    with socket.socket() as s:  # a free port for SSH
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    vm = Machine(run_dir, disk, kernel, initrd, key, port)
    try:
        checks(vm)
    except Fail as failure:
        log(f"ERROR: {failure}")
    finally:
        vm.ssh("journalctl -b -o short-precise --no-pager", timeout=60, log_name="journal-last-boot.txt")
        vm.stop()
        if not args.keep:
            disk.unlink(missing_ok=True)
    print()
    fails = 0
    for name in ORDER:
        line = RESULTS.get(name, "FAIL (not run)")
        fails += not line.startswith("PASS")
        print(f"{name:8} {line}")
    log(f"everything in {run_dir}")
    return 0 if fails == 0 else 1


def checks(vm: Machine) -> None:
    t = time.monotonic()
    vm.start()
    vm.wait_ssh(600)
    state = wait_active(vm, "", 30 * SLOW) or kiosk_state(vm)
    first = vm.screen("boot-first")
    blanked = vm.value("journalctl -b -u library-kiosk --no-pager | grep -c 'screen blanked' || true")
    shown, baseline, _ = on_screen(vm, "boot", 10 * SLOW)
    boot_done = time.monotonic() - t
    ok = state.get("ActiveState") == "active" and state.get("StatusText", "").startswith("ready") \
        and state.get("NRestarts") == "0" and state.get("Vt") == "tty1" and shown
    result("boot", ok, f"kiosk {state.get('ActiveState')} ({state.get('StatusText')!r}, NRestarts "
           f"{state.get('NRestarts')}) on {state.get('Vt')}, window on the screen: {shown}, "
           f"{boot_done:.0f} s after power-on; blanked (closing time) at first: "
           f"{first.colours() == 1 and first.light() == 0} (journal: {blanked} x 'screen blanked')")
    door_before = vm.value("systemctl show library-kiosk-door -p MainPID -p NRestarts --value | paste -sd' '")
    time.sleep(5)
    baseline = vm.screen("before-keys")

    # escape: keys on the keyboard. What the keyboard's event device gives is counted beside cage (which
    # holds it open), so that "nothing happened" cannot mean "no key arrived".
    keyboard = vm.value("for e in /sys/class/input/event*; do grep -q 'USB Keyboard' $e/device/name"
                        " && echo /dev/input/${e##*/}; done | head -1")
    main = "$(systemctl show library-kiosk -p MainPID --value)"
    held = vm.value(f"ls -l /proc/{main}/fd | grep -c '{keyboard}$'")
    vm.ssh(f"setsid -f sh -c 'exec cat {keyboard} > /run/vm-test-keys'")
    before = kiosk_state(vm)
    broke: list[str] = []
    for name, chord, times in ESCAPES:
        for _ in range(times):
            vm.keys(chord)
        time.sleep(2)
        now = kiosk_state(vm)
        picture = vm.screen("key-" + name.split(" ")[0].replace("+", "-"))
        changed = [k for k in ("Boot", "Vt", "MainPID", "Kiosk", "NRestarts") if now.get(k) != before.get(k)]
        if changed or picture.differs(baseline) > 0.2 or picture.light() < 0.5:
            what = ", ".join(f"{k} {before.get(k)} -> {now.get(k)}" for k in changed) or "the screen changed"
            broke.append(f"{name}: {what}"
                         f" ({picture.differs(baseline):.0%} of the screen differs)")
    vm.type(WEDGE)
    time.sleep(2)
    now = kiosk_state(vm)
    picture = vm.screen("key-typing")
    if any(now.get(k) != before.get(k) for k in ("Boot", "Vt", "MainPID", "Kiosk")) or picture.light() < 0.5:
        broke.append(f"typing {WEDGE!r}: the kiosk left the screen")
    jobs = vm.value("systemctl list-jobs --no-legend | grep -v '^$' | wc -l")
    vm.ssh("pkill -x cat")
    events = int(vm.value("stat -c %s /run/vm-test-keys 2>/dev/null || echo 0") or 0) // 24  # input_events
    if held != "1" or events < 2 * len(ESCAPES):
        broke.append(f"the keys did not arrive: cage holds {keyboard}: {held == '1'}, {events} input events")
    result("escape", not broke and jobs == "0",
           "; ".join(broke) if broke
           else f"{len(ESCAPES)} key combinations and typing ({events} input events from {keyboard}, which "
           f"cage holds): still the kiosk on tty1, same boot, same kiosk process, no job queued")
    vm.keys(["esc"])
    time.sleep(3)

    restart_check(vm, "kill9", "-9", 10, "killed")
    restart_check(vm, "hang", "-STOP", 45, "stopped")

    # door: never switched on, the door unit never restarted
    door_after = vm.value("systemctl show library-kiosk-door -p MainPID -p NRestarts --value | paste -sd' '")
    switches = lcus_switches(vm.relay_frames())
    on = [s for s in switches if s.on]
    result("door", not on and switches != [] and door_after == door_before and door_before.endswith(" 0"),
           f"{len(switches)} relay frames sent, {len(on)} of them 'on'; door unit MainPID/NRestarts "
           f"{door_before} -> {door_after}")

    # reset: the power cut's stand-in
    boot = kiosk_state(vm).get("Boot", "")
    frames_before = len(vm.relay_frames())
    vm.command("system_reset")
    t = time.monotonic()
    vm.wait_ssh(300, not_boot=boot)
    state = wait_active(vm, "", 120) or kiosk_state(vm)
    shown, _, _ = on_screen(vm, "after-reset", 60)
    after_reset = lcus_switches(vm.relay_frames()[frames_before:])
    locked = not any(s.on for s in after_reset)
    result("reset", state.get("ActiveState") == "active" and shown and locked,
           f"kiosk {state.get('ActiveState')} on {state.get('Vt')}, window shown {time.monotonic() - t:.0f} s"
           f" after the reset; relay frames since: {len(after_reset)}, none 'on': {locked}")


if __name__ == "__main__":
    sys.exit(main())
