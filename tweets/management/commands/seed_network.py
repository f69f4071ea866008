from django.core.management.base import BaseCommand, CommandParser

from twitterclone.seeding import SEED_PASSWORD, seed_network


class Command(BaseCommand):
    help = (
        "Fill the database with a realistic network: skewed follows (a few accounts with very many "
        "followers), tweets, replies, retweets, quotes, likes, hashtags and mentions. Deterministic with --seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=1000)
        parser.add_argument("--tweets-per-user", type=int, default=20)
        parser.add_argument("--follows-per-user", type=int, default=50)
        parser.add_argument("--likes-per-tweet", type=float, default=1.0)
        parser.add_argument("--days", type=int, default=30, help="Spread tweets over this many past days.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options) -> None:
        stats = seed_network(
            users=options["users"],
            tweets_per_user=options["tweets_per_user"],
            follows_per_user=options["follows_per_user"],
            likes_per_tweet=options["likes_per_tweet"],
            days=options["days"],
            seed=options["seed"],
            out=self.stderr,
        )
        self.stdout.write(
            f"Seeded {stats.users:,} users, {stats.follows:,} follows, {stats.tweets:,} tweets, {stats.likes:,} likes, "
            f"{stats.hashtag_links:,} hashtag links, {stats.mentions:,} mentions in {stats.seconds:.1f}s. "
            f"Every seeded user's password is {SEED_PASSWORD!r}; usernames are seed{options['seed']}_<id>."
        )
