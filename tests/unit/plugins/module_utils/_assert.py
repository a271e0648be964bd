# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assertions the unit tests share."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError


def refused(expected_param: str, fn, *args, **kwargs) -> VzConfigError:
    """fn(...) fails with a VzConfigError that names expected_param, in the message and its details, with a hint."""
    with pytest.raises(VzConfigError) as exc:
        fn(*args, **kwargs)
    assert exc.value.details["param"] == expected_param
    assert str(exc.value).startswith("`%s`: " % expected_param)
    assert exc.value.details["hint"]
    return exc.value
