# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

from ansible_collections.vzkit.vz.plugins.module_utils._migrate._watchdog import still_ours


def test_a_destination_that_has_the_container_keeps_the_source_stopped():
    assert still_ours(lambda: False, pause=0) is False
    assert still_ours(lambda: True, pause=0) is True


def test_a_destination_that_cannot_answer_is_asked_again():
    answers = [OSError("ssh: connect to host node2: No route to host"), OSError("again"), False]

    def ask():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer
    assert still_ours(ask, attempts=5, pause=0) is False
    assert answers == []


def test_a_destination_that_never_answers_leaves_the_source_to_run():
    calls = []

    def ask():
        calls.append(1)
        raise OSError("ssh: connect to host node2: No route to host")
    assert still_ours(ask, attempts=3, pause=0) is True
    assert len(calls) == 3
