#!/usr/bin/env python
"""put_file and fetch_file of the vzkit.vz.vz connection, called as Ansible calls them, on a path that
is a link the container planted (to an absolute path). Prints what each call did.
Usage: put_through_link.py HOST USER CTID KEY KNOWN_HOSTS SUDO LOCAL_FILE CONTAINER_PATH FETCHED"""
import sys

from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader, init_plugin_loader

init_plugin_loader()  # (the collections of ANSIBLE_COLLECTIONS_PATH, as the command line's tools find them)
host, user, ctid, key, known_hosts, sudo, local, inside, fetched = sys.argv[1:]
conn = connection_loader.get("vzkit.vz.vz", PlayContext())
conn.set_options(direct={"vz_ctid": ctid, "vz_host": host, "vz_host_user": user, "vz_host_private_key_file": key,
                         "vz_host_ssh_args": "-o UserKnownHostsFile=%s" % known_hosts, "vz_host_sudo": sudo == "yes"})
conn._connect()
try:
    conn.put_file(local, inside)
    print("put done")
    conn.fetch_file(inside, fetched)
    print("fetch done")
finally:
    conn.close()
