# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print, as JSON, every entry of a container's tree as the container sees it: type, mode, owner and group
(the container's ids: host ids less its first id; "host:N" for a host id outside its range), size, whether
a file is sparse, sha256 of its bytes, a link's target, the inode group of hard links, xattrs (unless
--no-xattrs). Two trees with equal output hold the same files.
Usage: tree.py [--xattrs|--no-xattrs] ROOT FIRST_ID [EXCLUDED_RELATIVE_PATH...]"""
import hashlib
import json
import os
import stat
import sys


def owner(host_id, first):
    inner = host_id - first
    return inner if 0 <= inner < 65536 else "host:%d" % host_id


def main(root, first, excluded, xattrs):
    out, inodes = {}, {}
    for top, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(top, name)
            rel = os.path.relpath(path, root)
            if rel in excluded:
                continue
            st = os.lstat(path)
            entry = {"type": stat.S_IFMT(st.st_mode), "mode": oct(stat.S_IMODE(st.st_mode)),
                     "uid": owner(st.st_uid, first), "gid": owner(st.st_gid, first)}
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as fh:
                    entry.update(size=st.st_size, sha256=hashlib.sha256(fh.read()).hexdigest(),
                                 sparse=st.st_blocks * 512 < st.st_size)
                if st.st_nlink > 1:
                    entry["link_group"] = inodes.setdefault(st.st_ino, rel)
            elif stat.S_ISLNK(st.st_mode):
                entry["target"] = os.readlink(path)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                entry["rdev"] = [os.major(st.st_rdev), os.minor(st.st_rdev)]
            if xattrs and not stat.S_ISLNK(st.st_mode):
                entry["xattrs"] = {k: os.getxattr(path, k, follow_symlinks=False).hex()
                                   for k in sorted(os.listxattr(path, follow_symlinks=False))}
            out[rel] = entry
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    args = sys.argv[1:]
    with_xattrs = args[:1] != ["--no-xattrs"]
    args = args[1:] if args[:1] in (["--no-xattrs"], ["--xattrs"]) else args
    main(args[0], int(args[1] or 0), set(args[2:]), with_xattrs)
