"""Domain errors that views turn into form errors and the API into 422 answers."""
from __future__ import annotations


class ValidationFailed(Exception):
    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in fields.items()))
        self.fields = fields

    @property
    def first_message(self) -> str:
        """The first problem, for a one-line flash message."""
        return str(next(iter(self.fields.values()))[0])


def apply_to_form(form, error: ValidationFailed) -> None:
    """Show operation-level errors beside the form fields they belong to."""
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):
            target = list(target)
            if field is not None:
                field.errors = target
        target.extend(str(m) for m in messages)


class StaleVersion(Exception):
    """An update was based on a version of the object that is no longer the current one (HTTP 409)."""

    def __init__(self, current: int):
        super().__init__(f"stale version; current is {current}")
        self.current = current
