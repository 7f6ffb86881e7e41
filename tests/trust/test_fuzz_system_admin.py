"""Schemathesis over the whole API as ``system_admin`` (see :mod:`tests.trust.fuzzing`)."""

from __future__ import annotations

import pytest

from tests.trust.fuzzing import check_role


@pytest.mark.timeout(1500)  # ~2,500 requests; minutes on an idle machine
def test_every_operation_passes_every_schemathesis_check(fuzz_server):
    check_role(*fuzz_server, "system_admin")
