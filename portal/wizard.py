"""The portal's multi-page wizards, in a dialog or as pages of their own: what every one of them shares.

A wizard here keeps a draft per run, outside the session (portal.wizard_storage): opening the wizard starts a run,
whose id every address of the run carries, and a page asked for with an unknown, expired or someone else's id says
the wizard has expired. Its pages can be revisited once reached but never skipped; Back and the step
indicator keep what was typed; closing the dialog discards the draft; and a service's refusal at the end is shown
beside its field on the page that asked for it. Subclasses name their pages, forms and templates, say where a
discarded draft leads (`discard_url`), and finish in `done` with one service call.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import NON_FIELD_ERRORS, SuspiciousOperation, ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from formtools.wizard.views import NamedUrlWizardView

from portal.forms import add_service_error
from portal.htmx import HtmxHttpRequest, in_dialog, requested_part, wants_fragment
from portal.wizard_storage import DRAFT_PARAMETER, DraftStorage

EXPIRED_TEMPLATE = "includes/wizard_expired.html"
# The part a wizard's own requests name (Next, Back, the step indicator): the page, swapped in place of the last one.
PAGE_PART = "page"


class DialogWizard(NamedUrlWizardView):
    """A named-URL form wizard whose pages htmx swaps into a dialog, with a full-page fallback."""

    done_step_name = "finished"
    storage_name = f"{DraftStorage.__module__}.{DraftStorage.__qualname__}"
    storage: DraftStorage
    request: HtmxHttpRequest
    # Each page's title, by step name: the dialog's heading and the step indicator's labels.
    step_titles: dict[str, str] = {}
    # The partial of template_name that answers an htmx request for each named part; any other gets the dialog.
    fragment_partials = {PAGE_PART: "wizard_page"}

    @classmethod
    def get_initkwargs(cls, *args, **kwargs):
        kwargs.setdefault("url_name", cls.url_name)
        kwargs.setdefault("done_step_name", cls.done_step_name)
        return super().get_initkwargs(*args, **kwargs)

    # Hooks

    def discard_url(self) -> str:
        """Where a person lands after discarding the draft without htmx."""
        raise NotImplementedError

    def start_url(self) -> str:
        """The wizard's own address: its first page, and the start of every step's address."""
        raise NotImplementedError

    def get_step_path(self, step: str) -> str:
        """A step's address, without the run's id."""
        return super().get_step_url(step)

    def get_step_url(self, step: str) -> str:
        return self.with_draft(self.get_step_path(step))

    def with_draft(self, path: str) -> str:
        """An address of this run: the path with the run's draft id."""
        return f"{path}?{urlencode({DRAFT_PARAMETER: self.storage.draft_id})}"

    def form_to_show(self, step: str) -> Form:
        """The form of a page shown again: what was saved for it."""
        return self.get_form(step, data=self.storage.get_step_data(step))

    def keep_entries(self, step: str) -> None:
        """Keep what was typed on a page that is left through Back or the step indicator."""

    def before_posting(self, step: str) -> None:
        """Prepare for a page's own submit (Next, or the last page's Create)."""

    # Navigation

    def get(self, request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        step = kwargs.get("step")
        if step is None:
            self.storage.start()
            self.storage.current_step = self.steps.first
            return self.show_step(self.steps.first)
        if not self.storage.found:
            return self.expired()
        if not self.is_reachable(step):
            return redirect(self.get_step_url(self.first_incomplete_step()))
        self.storage.current_step = step
        return self.render(self.form_to_show(step))

    def post(self, request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return self.post_step(request, *args, **kwargs)
        except SuspiciousOperation:
            return self.expired()

    def post_step(self, request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        if kwargs.get("step") is None:
            return self.discard()
        if not self.storage.found:
            raise SuspiciousOperation("The wizard's draft is unknown, expired or someone else's.")
        posted_step = request.POST.get(f"{self.prefix}-current_step", "")
        if not self.is_reachable(posted_step):
            raise SuspiciousOperation("The wizard's current step is missing, unknown or not reached yet.")
        goto_step = request.POST.get("wizard_goto_step")
        if goto_step is not None:
            if not self.is_reachable(goto_step):
                raise SuspiciousOperation("The wizard cannot go to a step it has not reached.")
            self.keep_entries(posted_step)
            self.storage.current_step = goto_step
            return self.show_step(goto_step)
        self.before_posting(posted_step)
        return super().post(request, *args, **kwargs)

    def expired(self) -> HttpResponse:
        """Say the draft a page was posted for is gone (finished, discarded, expired or tampered with): start again.

        A page of its own answers 400, as a refused request; htmx gets 200, which it swaps in place of the page.
        """
        context = {"start_url": self.start_url(), "in_dialog": self.in_dialog}
        if not wants_fragment(self.request):
            return render(self.request, EXPIRED_TEMPLATE, context, status=400)
        partial = "wizard_page" if self.wants_page() else "wizard_dialog"
        return render(self.request, f"{EXPIRED_TEMPLATE}#{partial}", context)

    def discard(self) -> HttpResponse:
        """Throw the draft away, as closing the dialog does."""
        self.storage.reset()
        if wants_fragment(self.request):
            return HttpResponse("")
        return redirect(self.discard_url())

    def step_names(self) -> list[str]:
        return list(self.get_form_list())

    def first_incomplete_step(self) -> str:
        """Return the first page not yet completed, or the last page when all are."""
        for step in self.step_names():
            if self.storage.get_step_data(step) is None:
                return step
        return self.steps.last

    def is_reachable(self, step: str) -> bool:
        """Tell whether a page may be shown or posted: a completed one, or the first one still to complete."""
        names = self.step_names()
        return step in names and names.index(step) <= names.index(self.first_incomplete_step())

    def show_step(self, step: str) -> HttpResponse:
        if wants_fragment(self.request):
            return self.render(self.form_to_show(step))
        return redirect(self.get_step_url(step))

    def render_next_step(self, form: Form, **kwargs) -> HttpResponse:
        next_step = self.steps.next
        self.storage.current_step = next_step
        return self.show_step(next_step)

    def render_revalidation_failure(self, failed_step: str, form: Form, **kwargs) -> HttpResponse:
        self.storage.current_step = failed_step
        return self.show_step(failed_step)

    # Rendering

    def get_template_names(self) -> list[str]:
        if not wants_fragment(self.request):
            return [self.template_name]
        partial = self.fragment_partials.get(requested_part(self.request, self.fragment_partials), "wizard_dialog")
        return [f"{self.template_name}#{partial}"]

    def wants_page(self) -> bool:
        """Tell whether htmx asked for the wizard's page alone, to swap it in place of the one shown."""
        return requested_part(self.request, (PAGE_PART,)) is not None

    @property
    def in_dialog(self) -> bool:
        return in_dialog(self.request, self.start_url())

    def get_context_data(self, form: Form, **kwargs) -> dict:
        """Add what every wizard page shows: its title, the step indicator, the arrows' and the Close button's URLs."""
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        names = self.step_names()
        context.update(
            step=step,
            step_title=self.step_titles[step],
            step_list=[
                {
                    "number": index,
                    "name": name,
                    "title": self.step_titles[name],
                    "current": name == step,
                    "reachable": self.is_reachable(name),
                }
                for index, name in enumerate(names, start=1)
            ],
            step_url=self.get_step_url(step),
            start_url=self.start_url(),
            close_url=self.with_draft(self.start_url()),
            draft_id=self.storage.draft_id,
            in_dialog=self.in_dialog,
        )
        if form.is_bound:
            form.is_valid()
        return context

    def render(self, form: Form | None = None, **kwargs) -> HttpResponse:
        response = super().render(form, **kwargs)
        if self.wants_page() and not self.in_dialog:
            response["HX-Push-Url"] = self.get_step_url(self.steps.current)
        return response

    def render_service_errors(self, error: ValidationError, form_dict: dict[str, Form]) -> HttpResponse:
        """Show the first page that owns a field the service refused, with the message beside it."""
        names = self.step_names()
        errors = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
        failing, first_index = names[-1], len(names)
        for field, field_errors in errors.items():
            step = next((name for name, form in form_dict.items() if field in form.fields), names[-1])
            add_service_error(form_dict[step], ValidationError({field: field_errors}))
            if names.index(step) < first_index:
                failing, first_index = step, names.index(step)
        self.storage.current_step = failing
        return self.render(form_dict[failing])
