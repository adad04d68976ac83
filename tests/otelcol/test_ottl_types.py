"""collector/pipeline/ottl_types.py (which OTTL parameters take strings) matches the OTTL Go sources it was
generated from: those of the release the test collector is built with."""

from __future__ import annotations

from pathlib import Path

from ottl_string_params import string_params

from ccotel.collector.pipeline.ottl_types import STRING_PARAMS


def test_string_parameter_table_matches_the_ottl_sources(ottlfuncs_folder: Path) -> None:
    derived = string_params(ottlfuncs_folder)
    assert len(derived) > 30
    assert derived == STRING_PARAMS, "re-generate collector/pipeline/ottl_types.py: python tests/ottl_string_params.py"
