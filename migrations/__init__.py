"""akte's Alembic migrations, a package so that it is installed with akte (see
:func:`akte.core.migrations.migrations_dir`). Each branch is labelled by the package that
owns its tables (docs/ARCHITECTURE.md, "Migrations")."""
