#!/usr/bin/env bash
# Runs ONE command inside a throwaway QEMU guest whose only limits are its own, then powers it off.
#
#   bench/vm/run-in-guest.sh [--accel kvm|tcg] [--out DIR] [--memory 12G] [--cpus 2] [--cwd DIR]
#                            [--timeout SECONDS] -- COMMAND [ARG...]
#
# Why: a process in this container may open at most 20,000 files (`ulimit -Hn`, not raisable
# without CAP_SYS_RESOURCE), so bench/idle.mjs cannot hold 50,000 or 100,000 sessions here. In a
# guest we are root of our own kernel and raise RLIMIT_NOFILE, fs.nr_open, fs.file-max and the
# local port range (see GUEST_LIMITS below). Example (after `npm run build` on the host):
#
#   bench/vm/run-in-guest.sh --accel tcg --out /tmp/idle50k -- \
#       env BENCH_TIME_SCALE=60 node bench/idle.mjs --sessions 50000 --systems junction --idle-seconds 30
#
# (The guest starts with a clean environment: give variables in the command, as above.)
#
# --accel kvm (default) runs the guest on /dev/kvm; --accel tcg emulates the CPU (QEMU's TCG, one
# thread per vCPU), which works everywhere but runs node 10 to 25 times slower: memory figures
# hold, CPU figures do not, and the bench's fixed waits need BENCH_TIME_SCALE (bench/lib/
# time-scale.mjs). On the machine bench/RESULTS.md's figures come from, /dev/kvm is PVM
# (the `kvm_pvm` module, a nested hypervisor that runs PVM-built guest kernels): Debian's stock
# kernel opens /dev/kvm and starts, but after SeaBIOS and the real-mode setup its decompressor
# crawls (vCPU at 100%, no console output within 4 minutes), so the figures there are from TCG.
# --timeout SECONDS stops the guest after that long (default 0: no limit).
#
# What the guest sees: the host's whole root filesystem read-only over 9p (so the same
# /usr/bin/node, the built worktree's dist/ and node_modules, at the same paths), tmpfs on /tmp,
# /run and /dev/shm, the loopback interface up, no other network. DIR (the only writable host
# directory) is mounted at its own host path, so a job script or result files kept in DIR are
# seen by both. The command runs as root with `bash`, in --cwd (default: the current
# directory), with stdin from /dev/null and a clean environment (HOME, TERM, PATH).
#
# Left in DIR on the host: stdout, stderr, rc (the command's exit status), guest.txt (kernel,
# vCPUs, memory, limits, load average before and after), console.log (the guest's serial console),
# guest-job.sh (the command as run); these names are overwritten, anything else in DIR is left
# alone. This script exits with the command's status (or 125 if the guest did not report one).
# Default DIR: a new directory under /tmp. Everything built (initramfs) goes under /tmp too;
# nothing is written to the checkout.
#
# Host packages (a bench tool, not a test: not in .ci/run):
#   apt-get install qemu-system-x86 linux-image-amd64 busybox-static
# plus /dev/kvm usable by this user for --accel kvm. The guest kernel is the newest
# /boot/vmlinuz-* with its modules (virtio-pci, 9p, 9pnet_virtio, netfs, fscache) copied from
# /lib/modules/<version>.
set -euo pipefail

memory=12G
cpus=2
accel=kvm
timeout_seconds=0
out=
cwd=$PWD
usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --cwd) cwd=$2; shift 2 ;;
    --accel) accel=$2; shift 2 ;;
    --timeout) timeout_seconds=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "run-in-guest: unknown option $1" >&2; usage ;;
  esac
done
[ $# -gt 0 ] || usage

[ "$accel" != kvm ] || [ -w /dev/kvm ] || { echo "run-in-guest: /dev/kvm is not usable here" >&2; exit 2; }
qemu=$(command -v qemu-system-x86_64) || { echo "run-in-guest: install qemu-system-x86" >&2; exit 2; }
busybox=/bin/busybox
case " $("$busybox" --list 2>/dev/null | tr '\n' ' ') " in *" insmod "*) ;; *) echo "run-in-guest: install busybox-static" >&2; exit 2 ;; esac
kernel=$(ls -1v /boot/vmlinuz-* 2>/dev/null | tail -n 1)
[ -n "$kernel" ] || { echo "run-in-guest: install linux-image-amd64" >&2; exit 2; }
version=${kernel#/boot/vmlinuz-}

if [ -z "$out" ]; then out=$(mktemp -d /tmp/guest-run.XXXXXX); fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
cwd=$(cd "$cwd" && pwd)
case "$out$cwd" in *[[:space:]]*) echo "run-in-guest: --out and --cwd may not contain spaces" >&2; exit 2 ;; esac
rm -f "$out/stdout" "$out/stderr" "$out/rc" "$out/guest.txt" "$out/console.log" "$out/guest-job.sh"

# The command, quoted as given, run from --cwd.
{
  echo "cd $(printf '%q' "$cwd")"
  printf '%q ' "$@"
  echo
} > "$out/guest-job.sh"

# The initramfs: busybox, the modules that reach the host over 9p, and /init below.
build=$(mktemp -d /tmp/guest-initramfs.XXXXXX)
trap 'rm -rf "$build"' EXIT
mkdir -p "$build/bin" "$build/modules" "$build/proc" "$build/sys" "$build/dev" "$build/newroot"
cp "$busybox" "$build/bin/busybox"
for module in virtio_pci 9pnet_virtio 9p; do modprobe -S "$version" --show-depends "$module"; done \
  | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' > "$build/order.txt"
while read -r module; do cp "$module" "$build/modules/"; basename "$module"; done < "$build/order.txt" > "$build/modules/order"

cat > "$build/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for module in $(cat /modules/order); do insmod "/modules/$module" || echo "init: insmod $module failed" >&2; done
# The host's root, read-only; then what must be writable, in memory.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=loose hostroot /newroot
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
[ ! -d /newroot/run ] || mount -t tmpfs tmpfs /newroot/run
mkdir -p "/newroot$vmout"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 hostout "/newroot$vmout"
# GUEST_LIMITS: what the container cannot raise.
sysctl -q -w fs.nr_open=1048576 fs.file-max=2000000 \
  net.ipv4.ip_local_port_range="1024 65535" net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
ulimit -n 1000000
ip link set lo up
hostname guest
{
  echo "kernel: $(uname -r)"
  echo "vCPUs: $(grep -c ^processor /proc/cpuinfo)"
  grep MemTotal /proc/meminfo
  echo "ulimit -n: $(ulimit -n) (hard $(ulimit -Hn))"
  for key in fs.nr_open fs.file-max net.ipv4.ip_local_port_range net.core.somaxconn; do echo "$key = $(sysctl -n $key)"; done
  echo "load average before: $(cat /proc/loadavg)"
  echo "started: $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
} > "/newroot$vmout/guest.txt"
env -i HOME=/root TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  chroot /newroot /bin/bash "$vmout/guest-job.sh" < /dev/null > "/newroot$vmout/stdout" 2> "/newroot$vmout/stderr"
echo $? > "/newroot$vmout/rc"
{
  echo "finished: $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
  echo "load average after: $(cat /proc/loadavg)"
} >> "/newroot$vmout/guest.txt"
sync
umount "/newroot$vmout"
poweroff -f
INIT
chmod +x "$build/init"
(cd "$build" && find bin modules init proc sys dev newroot | cpio -o -H newc --quiet | gzip -1) > "$build/initramfs.gz"

echo "run-in-guest: kernel $version, $cpus vCPUs, $memory, output in $out" >&2
set +e
case "$accel" in
  kvm) accel_options=(-accel kvm -cpu host) ;;
  tcg) accel_options=(-accel tcg,thread=multi,tb-size=1024 -cpu max) ;;
  *) echo "run-in-guest: --accel kvm or tcg" >&2; exit 2 ;;
esac
timeout "$timeout_seconds" "$qemu" "${accel_options[@]}" -smp "$cpus" -m "$memory" \
  -kernel "$kernel" -initrd "$build/initramfs.gz" \
  -append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4 vmout=$out" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$out,mount_tag=hostout,security_model=none" \
  -nic none -no-reboot -display none -monitor none -serial "file:$out/console.log"
qemu_status=$?
set -e
[ "$qemu_status" -eq 0 ] || echo "run-in-guest: qemu exited with $qemu_status (see $out/console.log)" >&2
if [ -s "$out/rc" ]; then exit "$(cat "$out/rc")"; fi
echo "run-in-guest: the guest reported no exit status (see $out/console.log)" >&2
exit 125
