#!/usr/bin/env bash
# mountsnoop sees a tmpfs mount and umount the test makes in its own mount
# namespace (arguments, flags, result, the namespace's inode), and a mount
# that fails.
. tests/e2e/tools/lib.sh
d=$TOOL_DIR/mnt
mkdir "$d"
target_start unshare -m --propagation private sh -c "readlink /proc/self/ns/mnt >$TOOL_DIR/ns; mount -t tmpfs -o ro,nosuid,size=1m pl_src_$$ $d && umount $d; mount -t pl_nofs_$$ none $d 2>/dev/null; exit 0"
tool_start mountsnoop
tool_wait '^COMM +PID +TID +MNT_NS +CALL$'
target_go; target_wait
tool_stop
ns=$(sed 's/.*\[\([0-9]*\)\]/\1/' "$TOOL_DIR/ns")
check "the mount, in the new namespace $ns" \
	has "^mount +[0-9]+ +[0-9]+ +$ns +mount\(\"pl_src_$$\", \"$d\", \"tmpfs\", MS_RDONLY \| MS_NOSUID, \"size=1m\"\) = 0$"
check "the umount" has "^umount +[0-9]+ +[0-9]+ +$ns +umount\(\"$d\", 0x0\) = 0$"
check "the failed mount: ENODEV" has "^mount +[0-9]+ +[0-9]+ +$ns +mount\(\"none\", \"$d\", \"pl_nofs_$$\", 0x0, \"\"\) = -ENODEV$"
tool_done "mountsnoop"
