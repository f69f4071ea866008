"""gunicorn settings (gthread workers on twitterclone.wsgi), the alternative HTTP server that
bench/timeline.py --server gunicorn compares with granian, the production one (docs/deployment.md).
Every value can be overridden on the command line (deploy/layout.py passes --bind, --workers and
--threads) or through the environment below."""

import multiprocessing
import os

wsgi_app = "twitterclone.wsgi:application"
bind = os.environ.get("HTTP_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "gthread"
# Each thread keeps its own database connection (CONN_MAX_AGE): a few per process, not dozens.
threads = int(os.environ.get("HTTP_WORKER_THREADS", "4"))
# Longer than nginx's upstream keepalive_timeout (30 s), so nginx always closes an idle connection
# first and never sends a request on one the server is closing.
keepalive = 75
timeout = 30
graceful_timeout = 10
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# nginx (the only client) sets X-Forwarded-Proto; Django reads it (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
