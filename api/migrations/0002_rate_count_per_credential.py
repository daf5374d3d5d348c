"""The rate limit counts per credential (an API token or a management certificate), not per token only."""

from django.db import migrations, models


def name_token_counts(apps, schema_editor):
    """Carry the windows counted so far over to their token's credential name (api.ratelimit.token_credential)."""
    ApiRequestCount = apps.get_model("api", "ApiRequestCount")
    for count in ApiRequestCount.objects.all().only("pk", "token_id"):
        ApiRequestCount.objects.filter(pk=count.pk).update(credential=f"token:{count.token_id}")


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="apirequestcount",
            name="api_request_count_one_row_per_window",
        ),
        migrations.AddField(
            model_name="apirequestcount",
            name="credential",
            field=models.CharField(
                default="", help_text="The caller: token:<id> or certificate:<thumbprint>.", max_length=64
            ),
            preserve_default=False,
        ),
        migrations.RunPython(name_token_counts, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(
            model_name="apirequestcount",
            name="token",
        ),
        migrations.AddConstraint(
            model_name="apirequestcount",
            constraint=models.UniqueConstraint(
                fields=("credential", "window"),
                name="api_request_count_one_row_per_window",
                violation_error_message="A credential has one request count per window.",
            ),
        ),
    ]
