"""Operations: consistency checks (fsck), metrics and structured logs."""
