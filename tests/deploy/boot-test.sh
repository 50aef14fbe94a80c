#!/bin/bash
# tests/deploy/boot-test.sh [SOURCE-TREE]  (as root: `make boot-test`; default tree: this one)
#
# Installs library-kiosk from SOURCE-TREE into a minimal Debian 12 root booted with a real systemd
# (systemd-nspawn --boot), the way README.md "Deploying a terminal" says (`library-kiosk install --wheel`),
# reboots it and checks, printing PASS/FAIL for each:
#   boot      the kiosk unit is active (READY=1) after boot
#   kill9     kill -9 of the kiosk -> restarted within 10 s
#   watchdog  kill -STOP of the kiosk -> "Watchdog timeout" from systemd, then restarted
#   door      the door unit keeps its MainPID (and 0 restarts) through all of this
#   stop      systemctl stop library-kiosk: inactive, without running into TimeoutStopSec
#   start     systemctl start library-kiosk: active again
# Exit 0 only if all pass. Logs in $BOOT_TEST_DIR/run-<time>/ (default /var/tmp/library-kiosk-boot-test);
# the debootstrapped root is cached in cache/root.tar there, pip wheels of the dependencies in
# cache/wheelhouse, apt's .debs in cache/apt-archives. The container root is removed at the end.
# Needs: root with CAP_SYS_ADMIN on a machine (not an unprivileged container), debootstrap and
# systemd-container (installed if missing), the Debian mirror and the package index, about 4 GB.
#
# Speed-ups (not what a real terminal does): the kiosk's wheel and all its dependencies' wheels are built
# on this host (same Debian 12, Python 3.11) and pip inside installs them offline (PIP_NO_INDEX,
# PIP_FIND_LINKS); so the container gets the kiosk's runtime Debian packages from the Makefile's
# APT_PACKAGES without the build tools (python3-dev gcc pkg-config swig *-dev) and without LibreOffice
# (the central service's).
set -u -o pipefail

TREE=$(realpath "${1:-$(dirname "$0")/../..}")
BASE=${BOOT_TEST_DIR:-/var/tmp/library-kiosk-boot-test}
CACHE=$BASE/cache
RUN=$BASE/run-$(date +%Y%m%d-%H%M%S)
ROOT=$BASE/root
MACHINE=lk-boot-test
HOSTPY=/usr/bin/python3          # Debian's, as in the container
NSPAWN_PID=
CPID=
T_SCRIPT=$(date +%s.%N)
mkdir -p "$RUN" "$CACHE/wheelhouse" "$CACHE/apt-archives/partial"
exec > >(tee "$RUN/output.log") 2>&1

declare -A RESULT
ORDER=(boot kill9 watchdog door stop start)
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
log() { printf '[%6ss] %s\n' "$(since "$T_SCRIPT")" "$*"; }
die() { log "ERROR: $*"; exit 2; }
result() { RESULT[$1]=$2; log "CHECK $1: $2${3:+ - $3}"; }

# ---------------------------------------------------------------- the container
container_pid1() {  # the container's PID 1 (host PID): a descendant of nspawn whose NSpid ends in 1
    local queue=("$NSPAWN_PID") p c
    while ((${#queue[@]})); do
        p=${queue[0]}; queue=("${queue[@]:1}")
        for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
            if [ "$(awk '/^NSpid:/{print $NF}' /proc/"$c"/status 2>/dev/null)" = 1 ]; then echo "$c"; return 0; fi
            queue+=("$c")
        done
    done
    return 1
}
inside() {  # run a command inside the container
    nsenter -t "$CPID" -a -- /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}
boot() {  # boot N: start the container, wait until systemd finished booting
    local n=$1
    T_BOOT=$(now)
    systemd-nspawn --boot -D "$ROOT" --machine=$MACHINE --register=no --keep-unit --console=passive \
        --resolv-conf=copy-host --bind-ro="$RUN/wheels:/mnt/wheels" --bind-ro="$CACHE/wheelhouse:/mnt/wheelhouse" \
        --bind="$CACHE/apt-archives:/var/cache/apt/archives" >"$RUN/nspawn-$n.log" 2>&1 </dev/null &
    NSPAWN_PID=$!
    CPID=
    for _ in $(seq 100); do CPID=$(container_pid1) && break; sleep 0.1; done
    [ -n "$CPID" ] || die "boot $n: no container PID 1 (see $RUN/nspawn-$n.log)"
    for _ in $(seq 100); do [ -S /proc/$CPID/root/run/systemd/private ] && break; sleep 0.1; done
    local state
    state=$(timeout 120 nsenter -t "$CPID" -a systemctl is-system-running --wait 2>&1)
    log "boot $n: nspawn PID $NSPAWN_PID, container PID 1 = host PID $CPID, system $state after $(since "$T_BOOT") s"
}
poweroff() {
    [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null || return 0
    local t; t=$(now)
    inside systemctl poweroff >/dev/null 2>&1
    for _ in $(seq 600); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$NSPAWN_PID" 2>/dev/null; then
        log "container did not power off in 60 s: SIGTERM, then SIGKILL to nspawn PID $NSPAWN_PID"
        kill -TERM "$NSPAWN_PID"; sleep 10; kill -0 "$NSPAWN_PID" 2>/dev/null && kill -KILL "$NSPAWN_PID"
    fi
    wait "$NSPAWN_PID" 2>/dev/null
    log "container powered off ($(since "$t") s)"
    NSPAWN_PID=; CPID=
}
NSPAWN_RUN_EXISTED=$([ -d /run/systemd/nspawn ] && echo 1)
cleanup() {
    poweroff
    rm -rf "$RUN/src" "$RUN/wheels"  # the tree's copy and the wheel: rebuilt each run
    if [ -d "$ROOT" ]; then
        if findmnt -rn -o TARGET | grep -q "^$ROOT"; then log "mounts left under $ROOT: not removing it"
        else rm -rf --one-file-system "$ROOT"; fi
    fi
    # nspawn makes /run/systemd/nspawn/{locks,propagate,unix-export,...}: remove them if we made them
    if [ -z "$NSPAWN_RUN_EXISTED" ] && [ -d /run/systemd/nspawn ]; then
        find /run/systemd/nspawn -depth -type d -empty -delete 2>/dev/null
    fi
}
trap cleanup EXIT
trap 'exit 3' INT TERM

prop() {  # prop UNIT PROPERTY...: the values, space-separated, in the order asked for
    local u=$1 p out=(); shift
    for p in "$@"; do out+=("$(inside systemctl show "$u" -p "$p" --value)"); done
    echo "${out[*]}"
}
kiosk_pid() {  # the kiosk (cage's child running library-kiosk) inside the container, by its PID there
    local main; main=$(inside systemctl show library-kiosk -p MainPID --value)
    inside sh -c "for c in \$(cat /proc/$main/task/*/children); do grep -q library-kiosk /proc/\$c/cmdline && echo \$c; done" | head -1
}
journal() {  # journal SINCE-EPOCH: the two units' lines since then (plus systemd's about them)
    inside journalctl -o short-precise --no-pager --since "@${1%.*}" -u library-kiosk -u library-kiosk-door "${@:2}"
}
wait_active_new() {  # wait_active_new OLD-MAINPID TIMEOUT: until the unit is active with another MainPID
    local old=$1 limit=$2 t; t=$(now)
    while awk -v a="$t" -v b="$(now)" -v l="$limit" 'BEGIN{exit !(b-a < l)}'; do
        read -r state main < <(prop library-kiosk ActiveState MainPID)
        if [ "$state" = active ] && [ "$main" != "$old" ] && [ "$main" != 0 ]; then return 0; fi
        sleep 0.2
    done
    return 1
}

# ---------------------------------------------------------------- 0. host tools, the root
log "source tree $TREE (commit $(git -C "$TREE" rev-parse --short HEAD 2>/dev/null || echo none)), logs in $RUN"
command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null || {
    log "installing debootstrap systemd-container on the host"
    apt-get install -y -qq debootstrap systemd-container >"$RUN/apt-host.log" 2>&1 || die "apt-get (host)"; }
[ -e "$ROOT" ] && die "$ROOT exists (a run still going, or one that died): remove it first"
t=$(now)
if [ -f "$CACHE/root.tar" ]; then
    mkdir "$ROOT" && tar -C "$ROOT" --numeric-owner -xpf "$CACHE/root.tar" || die "unpacking $CACHE/root.tar"
    log "root unpacked from $CACHE/root.tar ($(since "$t") s)"
else
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,libpam-systemd,ca-certificates \
        bookworm "$ROOT" http://deb.debian.org/debian >"$RUN/debootstrap.log" 2>&1 || die "debootstrap (see $RUN/debootstrap.log)"
    rm -rf "$ROOT"/var/cache/apt/archives/*.deb
    tar -C "$ROOT" --numeric-owner -cpf "$CACHE/root.tar.new" . && mv "$CACHE/root.tar.new" "$CACHE/root.tar"
    log "debootstrap done, cached in $CACHE/root.tar ($(since "$t") s)"
fi

# ---------------------------------------------------------------- 1. wheels, on the host
t=$(now)
rm -rf "$RUN/src" "$RUN/wheels"; mkdir -p "$RUN/src" "$RUN/wheels"
# a copy: pip builds in the tree (build/, *.egg-info), and the tree is not ours to write in
tar -C "$TREE" --exclude=./.git --exclude=./.venv --exclude=./build --exclude='*.egg-info' -cf - . | tar -C "$RUN/src" -xf -
[ -x "$CACHE/hostvenv/bin/pip" ] || "$HOSTPY" -m venv "$CACHE/hostvenv" || die "host venv"
PIP="$CACHE/hostvenv/bin/pip --disable-pip-version-check"
$PIP wheel --quiet --no-deps -w "$RUN/wheels" "$RUN/src" >"$RUN/wheel.log" 2>&1 || die "pip wheel of the tree (see $RUN/wheel.log)"
WHEEL=$(ls "$RUN"/wheels/library_kiosk-*.whl) || die "no library_kiosk wheel"
WHEEL=$(basename "$WHEEL")
log "built $WHEEL ($(since "$t") s)"
t=$(now)
if ! $PIP wheel --quiet --no-index --find-links "$CACHE/wheelhouse" -w "$CACHE/wheelhouse" "$RUN/wheels/$WHEEL" >>"$RUN/wheel.log" 2>&1; then
    $PIP wheel --quiet --find-links "$CACHE/wheelhouse" -w "$CACHE/wheelhouse" "$RUN/wheels/$WHEEL" >>"$RUN/wheel.log" 2>&1 \
        || die "pip wheel of the dependencies (see $RUN/wheel.log)"
fi
rm -f "$CACHE"/wheelhouse/library_kiosk-*.whl
log "dependency wheels in $CACHE/wheelhouse: $(ls "$CACHE/wheelhouse" | wc -l) files ($(since "$t") s)"

# The runtime Debian packages: the Makefile's APT_PACKAGES without build tools and LibreOffice
APT=$(printf 'print-apt:\n\t@echo $(APT_PACKAGES)\n' | make -s -C "$RUN/src" -f Makefile -f - print-apt 2>/dev/null)
[ -n "$APT" ] || die "no APT_PACKAGES in $TREE/Makefile"
APT=$(for p in $APT; do case $p in python3-dev|gcc|pkg-config|swig|*-dev|libreoffice-*) ;; *) echo "$p";; esac; done | paste -sd' ')
APT="$APT libpcsclite1 libcups2 procps"

# ---------------------------------------------------------------- 2. the root, before its first boot
echo $MACHINE >"$ROOT/etc/hostname"
# this machine's egress proxy re-signs TLS: trust its CA inside too (apt, and pip should it go online)
cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null
chroot "$ROOT" update-ca-certificates >/dev/null 2>&1
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$ROOT/etc/pip.conf"
# the demo's seed files, where the kiosk's user can read them
mkdir -p "$ROOT/usr/local/share/library-kiosk-demo" "$ROOT/root/boot-test"
cp "$TREE"/config/demo/*.toml "$ROOT/usr/local/share/library-kiosk-demo/"
D=/usr/local/share/library-kiosk-demo
cat >"$ROOT/root/boot-test/my-terminal.toml" <<EOF
# boot-test: the demo terminal (memory/simulated devices, the demo LMS and central emulators), fullscreen,
# with the door strike on an LCUS relay (a fake one on a pty) whose crash watchdog is library-kiosk-door.service.
[terminal]
id = "boot-test-1"
branch = "hovedbiblioteket"
name = "boot test"
language = "da"
languages = ["da", "en"]
fullscreen = true

[logging]
level = "INFO"

[calendar]
file = "$D/calendar.toml"
kiosk_hours = false

[lms]
kind = "emulator"
seed = "$D/lms.toml"

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
port = "/dev/library-kiosk/relay"
channel = 1
watchdog = "service"

[central]
kind = "emulator"
seed = "$D/central.toml"
EOF
# test rig: a fake LCUS relay board on a pty at /dev/library-kiosk/relay
cat >"$ROOT/usr/local/sbin/fake-lcus-relay" <<'EOF'
#!/usr/bin/python3
"""A stand-in LCUS relay board for a container: a pty whose slave is /dev/library-kiosk/relay; logs every frame."""
import os, pty, grp, tty
master, slave = pty.openpty()
name = os.ttyname(slave)
tty.setraw(slave)
os.chown(name, 0, grp.getgrnam("dialout").gr_gid); os.chmod(name, 0o660)
os.makedirs("/dev/library-kiosk", exist_ok=True)
link = "/dev/library-kiosk/relay"
if os.path.lexists(link): os.unlink(link)
os.symlink(name, link)
print(f"fake LCUS relay on {name} -> {link}", flush=True)
while True:  # keep our own slave fd open: the master never reads EIO when a user closes the port
    print("frame", os.read(master, 64).hex(" "), flush=True)
EOF
chmod 755 "$ROOT/usr/local/sbin/fake-lcus-relay"
cat >"$ROOT/etc/systemd/system/fake-relay.service" <<'EOF'
[Unit]
Description=boot-test: a fake LCUS relay board on a pty (/dev/library-kiosk/relay)
Before=library-kiosk-door.service library-kiosk.service
[Service]
Type=exec
ExecStart=/usr/local/sbin/fake-lcus-relay
ExecStartPost=/bin/sh -c 'while [ ! -e /dev/library-kiosk/relay ]; do sleep 0.05; done'
[Install]
WantedBy=multi-user.target
EOF

# ---------------------------------------------------------------- 3. first boot: install
boot 1
t=$(now)
inside sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $APT" \
    >"$RUN/apt-in.log" 2>&1 || die "apt-get inside (see $RUN/apt-in.log)"
log "apt-get inside: $(grep -c '^Setting up' "$RUN/apt-in.log") packages ($(since "$t") s): $APT"
t=$(now)
PIPENV=(env PIP_NO_INDEX=1 PIP_FIND_LINKS=/mnt/wheelhouse PIP_DISABLE_PIP_VERSION_CHECK=1)
inside python3 -m venv /root/boot-test/installer >"$RUN/install-in.log" 2>&1 &&
inside "${PIPENV[@]}" /root/boot-test/installer/bin/pip install --quiet "/mnt/wheels/$WHEEL" >>"$RUN/install-in.log" 2>&1 \
    || die "the installer's venv (see $RUN/install-in.log)"
log "installer venv /root/boot-test/installer ($(since "$t") s)"
LK=/root/boot-test/installer/bin/library-kiosk
inside $LK check-config /root/boot-test/my-terminal.toml >>"$RUN/install-in.log" 2>&1 || die "check-config (see $RUN/install-in.log)"
t=$(now)
inside "${PIPENV[@]}" $LK install --wheel "/mnt/wheels/$WHEEL" --config /root/boot-test/my-terminal.toml >"$RUN/install.log" 2>&1 \
    || die "library-kiosk install (see $RUN/install.log)"
log "library-kiosk install --wheel: $(tail -n 3 "$RUN/install.log" | paste -sd' ') ($(since "$t") s)"
UNITDIR=$(dirname "$(inside systemctl show library-kiosk -p FragmentPath --value)")
cp "$ROOT$UNITDIR/library-kiosk.service" "$RUN/library-kiosk.service.installed"
cp "$ROOT$UNITDIR/library-kiosk-door.service" "$RUN/library-kiosk-door.service.installed"
# the fake relay runs from the next boot on (its python3 came with apt just now)
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
ln -sf ../fake-relay.service "$ROOT/etc/systemd/system/multi-user.target.wants/fake-relay.service"
# only what a container lacks: no tty1, no GPU, no input devices
mkdir -p "$ROOT/etc/systemd/system/library-kiosk.service.d" "$ROOT/etc/systemd/system/library-kiosk-door.service.d"
cat >"$ROOT/etc/systemd/system/library-kiosk.service.d/container.conf" <<'EOF'
# boot-test: no tty1, no GPU, no input devices in a container
[Unit]
ConditionPathExists=
[Service]
Environment=WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman
StandardInput=null
TTYPath=
TTYReset=no
TTYVHangup=no
TTYVTDisallocate=no
EOF
# for the hang check: the door's own heartbeat limit (15 s) would end a hung kiosk before systemd's
# watchdog (30 s) does; raise it so that systemd's watchdog is what is seen
DOOR_EXEC=$(grep '^ExecStart=' "$ROOT$UNITDIR/library-kiosk-door.service")
printf '# boot-test: let systemd'"'"'s watchdog, not the door'"'"'s heartbeat, end a hung kiosk\n[Service]\nExecStart=\n%s --heartbeat-seconds 120\n' \
    "$DOOR_EXEC" >"$ROOT/etc/systemd/system/library-kiosk-door.service.d/heartbeat.conf"
cp "$ROOT"/etc/systemd/system/library-kiosk.service.d/container.conf "$RUN/library-kiosk.service.d-container.conf"
# EXTRA_KIOSK_DROPIN=FILE: lines to try as a change of the product unit (a drop-in of their own)
if [ -n "${EXTRA_KIOSK_DROPIN:-}" ]; then
    cp "$EXTRA_KIOSK_DROPIN" "$ROOT/etc/systemd/system/library-kiosk.service.d/zz-product-trial.conf"
    cp "$EXTRA_KIOSK_DROPIN" "$RUN/library-kiosk.service.d-zz-product-trial.conf"
    log "trying product lines from $EXTRA_KIOSK_DROPIN:"; sed 's/^/    /' "$EXTRA_KIOSK_DROPIN"
fi
cp "$ROOT"/etc/systemd/system/library-kiosk-door.service.d/heartbeat.conf "$RUN/library-kiosk-door.service.d-heartbeat.conf"
inside journalctl -b -o short-precise --no-pager >"$RUN/journal-boot1.txt" 2>&1
poweroff

# ---------------------------------------------------------------- 4. second boot: the checks
boot 2
# boot: active with READY=1
t_ready=
for _ in $(seq 300); do
    [ "$(inside systemctl show library-kiosk -p ActiveState --value)" = active ] && { t_ready=$(since "$T_BOOT"); break; }
    sleep 0.2
done
read -r K_STATUS < <(inside systemctl show library-kiosk -p StatusText --value)
K_RESTARTS=$(inside systemctl show library-kiosk -p NRestarts --value)
DOOR_PID=$(inside systemctl show library-kiosk-door -p MainPID --value)
DOOR_STATE=$(inside systemctl show library-kiosk-door -p ActiveState --value)
inside systemd-analyze critical-chain library-kiosk.service >"$RUN/critical-chain.txt" 2>&1
journal "$T_BOOT" >"$RUN/j-boot.txt" 2>&1
if [ -n "$t_ready" ] && [ "$K_RESTARTS" = 0 ] && [[ $K_STATUS == ready:* ]] && grep -q 'Started library-kiosk.service' "$RUN/j-boot.txt"; then
    result boot PASS "active $t_ready s after nspawn started, status \"$K_STATUS\", NRestarts=0; door $DOOR_STATE, MainPID $DOOR_PID"
else
    result boot FAIL "active after: ${t_ready:-never (60 s)}, status \"$K_STATUS\", NRestarts=$K_RESTARTS; door $DOOR_STATE"
fi
grep -E 'Starting|Started|ready|Failed|listening|Watchdog|error|Error' "$RUN/j-boot.txt" | head -20 | sed 's/^/    /'
sleep 3  # let it settle (a first WATCHDOG=1)

# kill9
MAIN=$(inside systemctl show library-kiosk -p MainPID --value); KP=$(kiosk_pid)
t=$(now)
if [ -z "$KP" ]; then result kill9 FAIL "no kiosk process under cage (MainPID $MAIN)"
else
    inside kill -9 "$KP"
    if wait_active_new "$MAIN" 10; then result kill9 PASS "kiosk PID $KP killed; active again (MainPID $(inside systemctl show library-kiosk -p MainPID --value)) $(since "$t") s later"
    else result kill9 FAIL "kiosk PID $KP killed; not active again within 10 s ($(prop library-kiosk ActiveState SubState))"; fi
fi
journal "$t" >"$RUN/j-kill9.txt" 2>&1; sed 's/^/    /' "$RUN/j-kill9.txt" | grep -v -E 'frame|INFO|Basic output test' | head -20
sleep 3

# watchdog
MAIN=$(inside systemctl show library-kiosk -p MainPID --value); KP=$(kiosk_pid)
t=$(now)
if [ -z "$KP" ]; then result watchdog FAIL "no kiosk process under cage"
else
    inside kill -STOP "$KP"
    t_wd=
    for _ in $(seq 300); do
        journal "$t" 2>/dev/null | grep -q 'Watchdog timeout' && { t_wd=$(since "$t"); break; }
        sleep 0.2
    done
    if [ -n "$t_wd" ] && wait_active_new "$MAIN" 30; then
        result watchdog PASS "kiosk PID $KP stopped; \"Watchdog timeout\" after $t_wd s, active again $(since "$t") s after the STOP"
    else
        result watchdog FAIL "kiosk PID $KP stopped; Watchdog timeout: ${t_wd:-not within 60 s}; state $(prop library-kiosk ActiveState SubState)"
    fi
fi
journal "$t" >"$RUN/j-watchdog.txt" 2>&1; sed 's/^/    /' "$RUN/j-watchdog.txt" | grep -v -E 'frame|INFO|Basic output test' | head -20
sleep 3

# stop / start
t=$(now)
inside timeout 60 systemctl stop library-kiosk; rc=$?
d_stop=$(since "$t")
S=$(prop library-kiosk ActiveState Result)
journal "$t" >"$RUN/j-stop.txt" 2>&1
if [ $rc = 0 ] && [ "$S" = "inactive success" ] && awk -v d="$d_stop" 'BEGIN{exit !(d < 20)}' && ! grep -q 'State .stop-sigterm. timed out' "$RUN/j-stop.txt"; then
    result stop PASS "systemctl stop returned $rc after $d_stop s; ActiveState/Result $S"
else
    result stop FAIL "systemctl stop returned $rc after $d_stop s; ActiveState/Result $S"
fi
sed 's/^/    /' "$RUN/j-stop.txt" | grep -v -E 'frame|INFO|Basic output test' | head -20
t=$(now)
inside timeout 100 systemctl start library-kiosk; rc=$?
d_start=$(since "$t")
S=$(prop library-kiosk ActiveState StatusText)
journal "$t" >"$RUN/j-start.txt" 2>&1
if [ $rc = 0 ] && [[ $S == 'active ready:'* ]]; then result start PASS "systemctl start returned after $d_start s (READY=1); $S"
else result start FAIL "systemctl start returned $rc after $d_start s; $S"; fi
sed 's/^/    /' "$RUN/j-start.txt" | grep -v -E 'frame|INFO|Basic output test' | head -10

# door
D2=$(prop library-kiosk-door MainPID NRestarts ActiveState)
if [ "$D2" = "$DOOR_PID 0 active" ]; then result door PASS "library-kiosk-door MainPID $DOOR_PID, NRestarts 0, active throughout"
else result door FAIL "door MainPID/NRestarts/state at boot $DOOR_PID 0 active, now $D2"; fi
grep -h -i 'silent\|switching the relay' "$RUN"/j-*.txt | sed 's/^/    door: /' | head -5

log "kiosk NRestarts at the end: $(prop library-kiosk NRestarts)"
inside systemctl --failed --no-legend --plain >"$RUN/failed-units.txt" 2>&1
[ -s "$RUN/failed-units.txt" ] && { log "failed units:"; sed 's/^/    /' "$RUN/failed-units.txt"; }
inside journalctl -b -o short-precise --no-pager >"$RUN/journal-boot2.txt" 2>&1

echo
fails=0
for c in "${ORDER[@]}"; do printf '%-9s %s\n' "$c" "${RESULT[$c]:-FAIL (not run)}"; [ "${RESULT[$c]:-}" = PASS ] || fails=$((fails+1)); done
log "total $(since "$T_SCRIPT") s; logs in $RUN"
[ $fails = 0 ] && exit 0 || exit 1
