from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0003_connection_seen_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="room",
            name="media_pin",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
