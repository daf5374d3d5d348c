"""Report whether each application survives a rack failure and an update round; fail when one has a weak point."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from applications.models import Application
from applications.selectors import application_views


class Command(BaseCommand):
    help = (
        "List each application with its verdict for every scenario, the reasons and the findings; exit 1 if any "
        "application has a single point of failure."
    )

    def handle(self, *args, **options) -> None:
        applications = list(Application.objects.select_related("subscription").order_by("subscription__name", "name"))
        failing = []
        for view in application_views(applications):
            assessment = view.assessment
            weak = [view.role_name(key) for key in assessment.single_points_of_failure]
            if weak:
                failing.append(view.application)
            summary = f"single point of failure: {', '.join(weak)}" if weak else "no single point of failure"
            self.stdout.write(f"{view.application.subscription.name}/{view.application.name}: {summary}")
            for verdict in assessment.verdicts:
                self.stdout.write(f"  {verdict.label}: {'survives' if verdict.survives else 'DOWN'}")
                for reason in verdict.reasons:
                    self.stdout.write(f"    {reason}")
            if assessment.findings:
                self.stdout.write("  Findings:")
                for finding in assessment.findings:
                    self.stdout.write(f"    {finding.text}")
        if failing:
            raise CommandError(f"{len(failing)} application(s) have a single point of failure.")
