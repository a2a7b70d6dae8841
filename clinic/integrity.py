"""Integrity of the clinical record: no silent bulk writes, no lost updates.

Three pieces, shared by the clinical models of all three apps:

- ``GuardedQuerySet`` (as ``GuardedManager``): ``update()``, ``bulk_create()`` and
  ``bulk_update()`` write rows without ``save()``, so django-simple-history records nothing and
  the models' own guards (a signed assessment, an issued PDF) are skipped. They raise
  ``BulkWriteError``. ``delete()`` deletes row by row through ``Model.delete()``, so the guards
  run and every row's deletion is in its history. The sanctioned way to change many rows is
  ``update_with_history(**fields)`` (row by row through ``save()``); the only writer that may skip
  ``save()`` is the erasure (``erase_for``), and it needs the erasure's audit record in hand.
- ``VersionedModel``: an integer ``version`` raised by every ``save()``; the UPDATE carries
  ``WHERE version = <the version this copy was loaded with>``, so a save over someone else's
  newer save changes no row and raises ``StaleVersionError`` (one statement, atomic in the
  database, not a read-then-write check).
- ``VersionFormMixin``: an edit form carries the version the user loaded as a hidden field, so
  the check covers the minutes between opening the form and pressing Save.

The models' plain ``_base_manager`` is left as Django's (the ORM's internals use it); it is not
an API of this project.
"""

from __future__ import annotations

from django import forms
from django.db import models, transaction


class BulkWriteError(Exception):
    """A write that would bypass ``save()``, and so the record's history and guards."""


class StaleVersionError(Exception):
    """The row was saved by someone else since this copy of it was loaded."""

    def __init__(self, model: type[models.Model], pk, expected: int):
        self.model = model
        self.pk = pk
        self.expected = expected
        super().__init__(self.user_message(model._meta.verbose_name))

    @staticmethod
    def user_message(noun: str) -> str:
        return (
            f"Someone else saved this {noun} while you were editing; your changes are below, "
            "not saved; reload to see theirs."
        )


class GuardedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise BulkWriteError(
            f"{self.model._meta.label}: QuerySet.update() skips save() and the change history; "
            "use update_with_history() or save each row."
        )

    def bulk_update(self, objs, fields, batch_size=None):
        raise BulkWriteError(
            f"{self.model._meta.label}: bulk_update() skips save() and the change history."
        )

    def bulk_create(self, objs, *args, **kwargs):
        raise BulkWriteError(
            f"{self.model._meta.label}: bulk_create() skips save() and the change history."
        )

    def delete(self):
        """Delete row by row through ``Model.delete()``: its guards run, its history is kept."""
        total = 0
        per_model: dict[str, int] = {}
        with transaction.atomic(using=self.db):
            for obj in self.select_for_update() if self._can_lock() else self:
                count, details = obj.delete()
                total += count
                for label, n in details.items():
                    per_model[label] = per_model.get(label, 0) + n
        return total, per_model

    delete.alters_data = True
    delete.queryset_only = True

    def update_with_history(self, **fields) -> int:
        """Set ``fields`` on each row and ``save()`` it: guards, versions and history apply.

        Rows are read afresh (and locked on PostgreSQL), so no stale copy is written back.
        """
        names = list(fields)
        count = 0
        with transaction.atomic(using=self.db):
            for obj in self.select_for_update() if self._can_lock() else self:
                for name, value in fields.items():
                    setattr(obj, name, value)
                obj.save(update_fields=names)
                count += 1
        return count

    update_with_history.alters_data = True

    def erase_for(self, erasure, **fields) -> int:
        """Overwrite identifying ``fields`` in one UPDATE, for ``patient_anonymise`` only.

        It skips ``save()`` on purpose: a signed assessment's free text and an issued PDF's
        bytes are erased too. ``erasure`` is the ``AccessEvent`` that records who erased the
        patient's data, when and why; without it nothing is written.
        """
        from clinic.models import AccessEvent  # the models module imports this one

        if not (
            isinstance(erasure, AccessEvent)
            and erasure.pk
            and erasure.what == AccessEvent.What.ERASURE
        ):
            raise BulkWriteError("erase_for() needs the saved erasure record (AccessEvent).")
        return super().update(**fields)

    erase_for.alters_data = True

    def _can_lock(self) -> bool:
        from django.db import connections

        return connections[self.db].features.has_select_for_update and not self.query.distinct


class GuardedManager(models.Manager.from_queryset(GuardedQuerySet)):
    """The default manager of every clinical model (see the module docstring)."""


class VersionedModel(models.Model):
    """Optimistic locking: ``save()`` succeeds only over the version this copy was loaded with."""

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Raised by every save; a save over a newer version is refused.",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding or kwargs.get("force_insert"):
            return super().save(*args, **kwargs)
        expected = self.version
        self.version = expected + 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        self._expected_version = expected
        try:
            return super().save(*args, **kwargs)
        except BaseException:
            self.version = expected
            raise
        finally:
            del self._expected_version

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, *a, **kw):
        expected = self.__dict__.get("_expected_version")
        if expected is None:
            return super()._do_update(
                base_qs, using, pk_val, values, update_fields, forced_update, *a, **kw
            )
        updated = super()._do_update(
            base_qs.filter(version=expected),
            using,
            pk_val,
            values,
            update_fields,
            forced_update,
            *a,
            **kw,
        )
        if not updated and base_qs.filter(pk=pk_val).exists():
            raise StaleVersionError(type(self), pk_val, expected)
        return updated


class VersionFormMixin:
    """Put before ``forms.ModelForm``: a hidden ``version`` field with the version the user
    loaded; the save then refuses (``StaleVersionError``) if the record moved on meanwhile.

    A post without the field (a script, an old page) is checked against the version read at
    the start of the request instead, which still closes the race inside the request.
    Add ``"version"`` to the form's crispy layout so it is rendered.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput,
            required=False,
            min_value=1,
            initial=getattr(self.instance, "version", None),
        )

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("version")
        if loaded is not None and self.instance.pk:
            self.instance.version = loaded
        return cleaned
