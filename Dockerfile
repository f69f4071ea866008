# Two images from one file (docker-compose.yml builds both):
#   target "proxy": Debian's nginx with deploy/nginx.conf (routes /ws/ and /api/v1/streaming to
#                   the "ws" service, everything else to "web");
#   target "janus": Debian's Janus media server (audio rooms) with deploy/janus/*.jcfg, filled in
#                   from the environment by deploy/janus/entrypoint.sh;
#   target "turn":  Debian's coturn with deploy/coturn/turnserver.conf (the TURN relay of the audio
#                   rooms; the shared secret comes from the command line, see docker-compose.yml);
#   target "app" (the default): the Django project; CMD is the HTTP server (granian, WSGI), and
#                   the same image runs daphne (ws), the Celery worker and beat.

FROM debian:bookworm-slim AS proxy
RUN apt-get update && apt-get install -y --no-install-recommends nginx curl && rm -rf /var/lib/apt/lists/*
COPY deploy/nginx.conf /etc/nginx/nginx.conf
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]

FROM debian:bookworm-slim AS janus
RUN apt-get update && apt-get install -y --no-install-recommends janus gettext-base curl \
    && rm -rf /var/lib/apt/lists/* && useradd --create-home janus
COPY deploy/janus/ /app/deploy/janus/
USER janus
# 8088: the Janus API (browsers and the app); 7088: the Admin API (the app only, never published);
# 20000-20199/udp: ICE (WebRTC media).
EXPOSE 8088 7088 20000-20199/udp
STOPSIGNAL SIGINT
ENTRYPOINT ["/app/deploy/janus/entrypoint.sh"]

FROM debian:bookworm-slim AS turn
RUN apt-get update && apt-get install -y --no-install-recommends coturn && rm -rf /var/lib/apt/lists/*
COPY deploy/coturn/turnserver.conf /etc/turnserver.conf
EXPOSE 3478/udp 3478/tcp
CMD ["turnserver", "-c", "/etc/turnserver.conf"]

FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBUG=false
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --create-home app && mkdir -p /app/media && chown app /app/media
USER app

EXPOSE 8000 8001
CMD ["sh", "-c", "exec granian --interface wsgi --no-ws --respawn-failed-workers --http1-header-read-timeout 60000 --log-level warning --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-$(nproc)} --blocking-threads ${HTTP_WORKER_THREADS:-4} twitterclone.wsgi:application"]
