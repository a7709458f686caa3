#!/bin/sh
# PID 1 of a vigil test VM (busybox, from the initramfs the harness builds).
# Loads the modules listed in /lib/modules/order, builds the guest root (the host's / over 9p,
# read-only, with a tmpfs overlay on top so the guest may write without touching the host),
# mounts the kernel file systems vigil uses, switches to that root and runs the harness's
# /run/vigil-vm/command.sh (on the writable "results" share). Its stdout, stderr and exit
# status go back through the same share; then the VM powers off. Any failure before the command
# runs is printed on the console and the VM powers off without a status file.

fail() {
	echo "vigil-vm init: $*" >&2
	poweroff -f
	sleep 5
	reboot -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for module in $(cat /lib/modules/order); do
	insmod "/lib/modules/$module.ko" || fail "insmod $module"
done

P9='trans=virtio,version=9p2000.L,msize=512000'
mkdir -p /lower /upper /newroot
# cache=loose: the guest keeps what it read (node starts ~3x faster than with cache=none); the
# host's files are not expected to change while a test VM runs.
mount -t 9p -o "$P9,ro,cache=loose" hostroot /lower || fail 'mount the host root over 9p'
mount -t tmpfs -o mode=0755 upper /upper
mkdir -p /upper/data /upper/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work /newroot ||
	fail 'mount the overlay root'

R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
mount -t securityfs securityfs $R/sys/kernel/security || fail 'mount securityfs'
mount -t bpf bpf $R/sys/fs/bpf || fail 'mount bpffs'
mount -t tracefs tracefs $R/sys/kernel/tracing || fail 'mount tracefs'
# A pure cgroup v2 hierarchy at the modern place (the CI host has the hybrid layout instead).
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup || fail 'mount cgroup2'
mount -t tmpfs -o mode=1777 tmp $R/tmp
mount -t tmpfs -o mode=0755 run $R/run
mkdir -p $R/run/vigil-vm
mount -t 9p -o "$P9" results $R/run/vigil-vm || fail 'mount the results share'

ifconfig lo 127.0.0.1 up
hostname vigil-vm

# switch_root, not chroot: the guest root becomes the namespace's root mount, as on a booted
# system (paths the kernel resolves carry no /newroot prefix). From here on only the host's
# binaries exist; busybox-static (a harness dependency) provides poweroff without systemd.
[ -x $R/bin/busybox ] || fail 'the host has no /bin/busybox (install busybox-static)'
exec switch_root $R /bin/busybox sh -c '
	/bin/sh /run/vigil-vm/command.sh >/run/vigil-vm/stdout 2>/run/vigil-vm/stderr
	echo $? >/run/vigil-vm/status.tmp
	mv /run/vigil-vm/status.tmp /run/vigil-vm/status
	sync
	umount /run/vigil-vm
	/bin/busybox poweroff -f'
