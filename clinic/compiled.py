"""Querysets run from SQL compiled once.

Building a query of a dozen subqueries and compiling it to SQL can cost Django more time than
the database takes to run it. A query whose shape and values stay the same (say, per user and
day) is compiled once with ``compile_once`` and then run as often as needed with ``run``: each
run is the database's time and the making of the model instances, nothing else.

Only the SQL, its parameters and the compiler's map of the columns are kept: never rows.
"""

from django.db.models import QuerySet
from django.db.models.sql import Query

# What Django's compiler works out while compiling and reads again when it makes the model
# instances from the rows (``ModelIterable``): kept with the SQL and restored on each run.
_COMPILER_STATE = ("select", "klass_info", "annotation_col_map", "col_count", "has_extra_select")


class CompiledQuery(Query):
    """A query that is never compiled again; it cannot be changed (a filter on it raises)."""

    compiled: tuple[str, tuple, dict]

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        compiler = super().get_compiler(using, connection, elide_empty)
        sql, params, state = self.compiled
        compiler.__dict__.update(state)
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        return compiler

    def chain(self, klass=None):
        raise TypeError("A compiled query cannot be changed: build and compile a new one.")


def compile_once(queryset: QuerySet) -> QuerySet:
    """``queryset`` with its SQL compiled now, for ``run``."""
    query = queryset.query.chain(CompiledQuery)
    compiler = Query.get_compiler(query, using=queryset.db)
    sql, params = compiler.as_sql()
    query.compiled = (
        sql,
        tuple(params),
        {name: getattr(compiler, name) for name in _COMPILER_STATE},
    )
    return QuerySet(model=queryset.model, query=query, using=queryset.db)


def run(compiled: QuerySet) -> list:
    """The rows of a ``compile_once`` queryset as model instances (a fresh read each time)."""
    return list(QuerySet(model=compiled.model, query=compiled.query, using=compiled.db))
