"""Full-text search index on tweet text, on PostgreSQL only (SQLite searches with LIKE).

The expression must stay identical to the one in ``tweets.selectors.tweet_search``."""

from django.db import migrations

INDEX = "tweets_tweet_text_fts"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON tweets_tweet USING gin (to_tsvector('simple'::regconfig, text))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("tweets", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
