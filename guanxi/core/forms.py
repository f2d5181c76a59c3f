"""Form plumbing shared by every page: Bootstrap classes on widgets, errors in place."""

from __future__ import annotations

from django import forms


class BootstrapMixin:
    """Give each widget the Bootstrap class it needs, and mark invalid fields."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            # CheckboxSelectMultiple is a RadioSelect: both render Bootstrap check boxes.
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


def apply_errors(form: forms.Form, exc) -> None:
    """Put a service's ApplicationError on the form: per field where it names one."""
    for field, messages in exc.errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
    if not exc.errors:
        form.add_error(None, exc.message)


def submit_form(request, *, form: forms.Form, save, success: str, redirect_to: str):
    """The write half of an edit page: on a valid POST call `save(cleaned_data)` (a service);
    its ApplicationError goes onto the form, success redirects with a message. Returns the
    redirect, or None when the page should (re)render the form."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from guanxi.core.errors import ApplicationError

    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(dict(form.cleaned_data))
    except ApplicationError as exc:
        apply_errors(form, exc)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return redirect(redirect_to)
