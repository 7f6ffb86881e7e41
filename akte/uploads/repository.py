"""Which upload codes a principal may list or revoke.

Callers use ``repository.readable_statement(...)`` through the module, so the scope
mutation test (tests/trust/test_scope_mutations.py) can replace it.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from akte.auth.principal import Principal
from akte.case_files import repository as case_file_scope
from akte.case_files.models import CaseFile
from akte.uploads.models import UploadCode


def readable_statement(principal: Principal) -> Select[UploadCode]:
    """Codes the caller may list: those of Akten they may read."""
    akten = case_file_scope.readable_statement(principal).with_only_columns(CaseFile.id)
    return select(UploadCode).where(UploadCode.case_file_id.in_(akten))


def writable_statement(principal: Principal) -> Select[UploadCode]:
    """Codes the caller may revoke: those of Akten they own (issuing needs the same)."""
    akten = case_file_scope.writable_statement(principal).with_only_columns(CaseFile.id)
    return select(UploadCode).where(UploadCode.case_file_id.in_(akten))
