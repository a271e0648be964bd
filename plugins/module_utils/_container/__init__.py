# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container state machine: observe -> plan -> apply. Private to vzkit.vz; may change in any release.

- ``_ensure``: the entry points (``ensure``, ``info``, ``exec_command``), through the converge step.
- ``_context``: where one container's pieces are (``Context``) and what is observed of it (``observe``).
- ``_plan``: (spec, observed) -> ordered changes, and the config the spec asks for. Reads only.
- ``_apply``: one ``op_*`` per change, with an undo list: a failure part-way removes what the run made.
- ``_report``: the ``container`` value (observed, or predicted in check mode) and the diff.
"""
