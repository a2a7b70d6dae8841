"""Indexes for the dashboard's patient search on PostgreSQL.

The search matches any part of a first or last name (``icontains``, which PostgreSQL runs as
``UPPER(name::text) LIKE UPPER('%term%')``) or the exact record number (``iexact``); no B-tree
serves a match inside a word, so at 10,000 patients every search read the whole table. Trigram
GIN indexes on the same expressions (``pg_trgm``, a trusted extension a database owner may
create) and a B-tree on the upper-cased record number let it use a bitmap of the matches.
SQLite has no ``pg_trgm`` and reads its small tables as before: nothing is done there.
"""

from django.db import migrations

INDEXES = (
    "CREATE INDEX IF NOT EXISTS patient_first_name_trgm ON clinic_patient "
    "USING gin ((UPPER(first_name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS patient_last_name_trgm ON clinic_patient "
    "USING gin ((UPPER(last_name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS patient_record_number_upper ON clinic_patient "
    "(UPPER(record_number::text))",
)
NAMES = ("patient_first_name_trgm", "patient_last_name_trgm", "patient_record_number_upper")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for statement in INDEXES:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in NAMES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("clinic", "0006_clinic_distance_unit_and_account_history")]

    operations = [migrations.RunPython(create, drop)]
