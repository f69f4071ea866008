# Reports and the moderation log live here (see the moderation issue).
