# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container state machine: observe -> plan -> apply. Private to vzkit.vz; may change in any release.

- ``_ensure``: the entry points (``ensure``, ``info``), through the converge step.
- ``_context``: where one container's pieces are (``Context``) and what is observed of it (``observe``).
- ``_plan``: (spec, observed) -> ordered changes, and the config the spec asks for. Reads only.
- ``_apply``: one ``op_*`` per change, with an undo list: a failure part-way removes what the run made.
- ``_report``: the ``container`` value (observed, or predicted in check mode) and the diff.
- ``_args``: vz_container's options as an argument spec (vz_container's, and each vz_fleet item's).
- ``_arrival``: a container made of another's files and config (vz_restore, vz_migrate's destination).
- ``_fleet``: many containers in one call, side by side (vz_fleet).
- ``_inside``: work inside a running container (exec, push, pull, enter).

What a module call imports, it compiles: AnsiballZ runs a module from a zip, where no bytecode is
cached, so every import costs its compile on every call. What only some requests need is therefore
imported where it is used: a layout's module when a container of that layout is met (``_layouts``),
``_apply`` when a plan has changes, the template and sample code at creation, the netlink session and
wiring steps for a container with a network (``_net._plan``), zfs when a dataset is named. A no-op
converge of a simfs container without network compiles about half of the runtime.
"""
