"""Querysets compiled to SQL once per process and run from it.

Building and compiling a queryset can cost Django more than the database takes to run it: the
plan page's plan (patient, clinic, link, assessment and two annotations) took 3 ms to compile
and 1.5 ms to run; the dashboard's active plans (a dozen subqueries) about as much again. A
query whose shape is the same for every request is compiled once with stand-in ids that no row
has (negative), and each request puts its own ids into the parameters, as the history page does
with its audit stream (``records.history``); one whose values hold for a while (a user's day)
is compiled once for them. Rows become model instances the way Django's own ``ModelIterable``
makes them (converters, ``select_related`` populators, annotations). Nothing of a request is
kept: the SQL, and the compiler's description of its columns.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

# Ids no row has, one per kind of id a query takes (a plan, a user): compiled in, swapped out.
ANY_ID = -(2**31)
ANY_USER = -(2**31) + 1
# A list of ids (``field__in=ANY_IDS``): the ids read fill the first places, the rest keep ids
# no row has; a longer list is read ``ID_SLOTS`` at a time (``instances_of_ids``).
ID_SLOTS = 64
ANY_IDS = tuple(range(ANY_USER + 1, ANY_USER + 1 + ID_SLOTS))
STAND_INS = frozenset({ANY_ID, ANY_USER, *ANY_IDS})


def put_in(params: Sequence, values: Mapping) -> list:
    """Compiled ``params`` with each stand-in of ``values`` replaced by its value: the one way
    a request's ids (or day) go into SQL compiled once (here, the history's stream, "seen
    recently")."""
    return [values.get(param, param) for param in params]


@dataclass(frozen=True)
class CompiledQuery:
    compiler: SQLCompiler
    sql: str
    params: tuple

    @classmethod
    def of(cls, queryset: QuerySet) -> CompiledQuery:
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        for stand_in in STAND_INS:  # each at most once: no other parameter may look like it
            if list(params).count(stand_in) > 1:
                raise ValueError(f"{stand_in} is a parameter of its own in {sql}")
        return cls(compiler, sql, tuple(params))

    def instances_of_ids(self, ids: Sequence[int]) -> list[Model]:
        """The rows for the list ``ids`` in place of ``ANY_IDS``, ``ID_SLOTS`` ids a query (in
        the query's order within each)."""
        found: list[Model] = []
        for start in range(0, len(ids), ID_SLOTS):
            found += self.instances(dict(zip(ANY_IDS, ids[start : start + ID_SLOTS], strict=False)))
        return found

    def instances(self, ids: Mapping[int, Any]) -> list[Model]:
        """The rows for ``ids`` (stand-in: real id) as model instances, as the queryset would."""
        params = put_in(self.params, ids)
        # The compiler as it was compiled, on this thread's connection.
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[compiler.using]
        with compiler.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, compiler.using)
        found = []
        for row in compiler.results_iter([rows]):
            instance = klass_info["model"].from_db(compiler.using, names, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in compiler.annotation_col_map.items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found


@cache
def _compiled(build: Callable[[], QuerySet], using: str) -> CompiledQuery:
    return CompiledQuery.of(build().using(using))


def compiled(build: Callable[[], QuerySet], model: type[Model]) -> CompiledQuery:
    """``build()`` (a queryset of ``model`` written with the stand-in ids) compiled once per
    process and database."""
    return _compiled(build, router.db_for_read(model))
