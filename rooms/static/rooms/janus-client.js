// Audio rooms demo: a small client of Janus's HTTP API (docs/rooms.md, "Media server (Janus)").
// One JanusConnection is one Janus session with one plugin handle: create the session, attach the
// plugin, send plugin messages (with a JSEP offer or answer), trickle ICE candidates, long-poll the
// session's events and send keep-alives. Every request carries the client's token (`token` in
// the body, `?token=` on long polls); `setToken` swaps it for a fresh one (no reconnection).
// The browser calls Janus directly (its HTTP transport answers CORS with the site's origin).
// Defines JanusConnection and JanusError.
"use strict";

class JanusError extends Error {
  constructor(code, reason) {
    super(`Janus ${code}: ${reason}`);
    this.code = code;
  }
}

const JANUS_KEEPALIVE_MS = 25_000; // Janus drops a session after session_timeout (60 s) of silence
const JANUS_EVENT_TIMEOUT_MS = 20_000;

class JanusConnection {
  constructor(url, token, { log = () => {}, onHangup = () => {} } = {}) {
    this.url = url.replace(/\/+$/, "");
    this.token = token;
    this.log = log;
    this.onHangup = onHangup; // (reason): the handle was hung up or detached, or the session is gone
    this.sessionId = null;
    this.handleId = null;
    this.closed = false;
    this.waiters = []; // {match, resolve, reject, timer}
    this.abort = new AbortController();
    this.keepalive = null;
  }

  setToken(token) {
    this.token = token;
  }

  async request(path, body) {
    const transaction = Math.random().toString(36).slice(2);
    const response = await fetch(`${this.url}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...body, transaction, token: this.token }),
      signal: this.abort.signal,
    });
    const payload = await response.json();
    if (payload.janus === "error") throw new JanusError(payload.error.code, payload.error.reason);
    const data = payload.plugindata?.data;
    if (data && data.error_code) throw new JanusError(data.error_code, data.error);
    return payload;
  }

  async attach(plugin) {
    this.sessionId = (await this.request("", { janus: "create" })).data.id;
    this.handleId = (await this.request(`/${this.sessionId}`, { janus: "attach", plugin })).data.id;
    this.poll();
    this.keepalive = setInterval(() => {
      this.request(`/${this.sessionId}`, { janus: "keepalive" }).catch((error) => this.log(`keepalive: ${error.message}`));
    }, JANUS_KEEPALIVE_MS);
  }

  // A plugin message; its answer comes as an event: call waitFor() before, then await both.
  message(body, jsep) {
    const request = { janus: "message", body };
    if (jsep) request.jsep = { type: jsep.type, sdp: jsep.sdp };
    return this.request(`/${this.sessionId}/${this.handleId}`, request);
  }

  trickle(candidate) {
    if (this.closed || this.handleId === null) return;
    const body = { janus: "trickle", candidate: candidate ? candidate.toJSON() : { completed: true } };
    this.request(`/${this.sessionId}/${this.handleId}`, body).catch((error) => this.log(`trickle: ${error.message}`));
  }

  // The next plugin event for which match(data, jsep) is true (a plugin error rejects it).
  waitFor(match, timeoutMs = JANUS_EVENT_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve, reject };
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no answer from Janus in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async poll() {
    while (!this.closed) {
      let events;
      try {
        const query = `maxev=10&rid=${Date.now()}&token=${encodeURIComponent(this.token)}`;
        const response = await fetch(`${this.url}/${this.sessionId}?${query}`, { signal: this.abort.signal });
        events = await response.json();
      } catch (error) {
        if (this.closed) return;
        this.log(`Janus long poll: ${error.message}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      for (const event of Array.isArray(events) ? events : [events]) this.dispatch(event);
    }
  }

  dispatch(event) {
    switch (event.janus) {
      case "event": {
        const data = event.plugindata?.data || {};
        const waiter = data.error_code ? this.waiters[0] : this.waiters.find((w) => w.match(data, event.jsep));
        if (!waiter) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(waiter.timer);
        if (data.error_code) waiter.reject(new JanusError(data.error_code, data.error));
        else waiter.resolve({ data, jsep: event.jsep });
        return;
      }
      case "webrtcup":
        this.log("Janus: WebRTC is up");
        return;
      case "media":
        this.log(`Janus: ${event.type} ${event.receiving ? "flowing" : "stopped"}`);
        return;
      case "hangup":
      case "detached":
        this.end(event.reason || event.janus);
        return;
      case "error":
        if ([403, 458].includes(event.error?.code)) this.end(event.error.reason); // token refused, session gone
        return;
      default:
        return; // keepalive, ack, slowlink, trickle (Janus's candidates are in its SDP)
    }
  }

  end(reason) {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.onHangup(reason);
  }

  stop() {
    clearInterval(this.keepalive);
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error("the Janus session ended"));
    }
    this.waiters = [];
    this.abort.abort();
  }

  // Destroys the session (the handle and its PeerConnection on Janus's side go with it).
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    if (this.sessionId === null) return;
    const body = JSON.stringify({ janus: "destroy", transaction: "bye", token: this.token });
    await fetch(`${this.url}/${this.sessionId}`, { method: "POST", headers: { "Content-Type": "application/json" }, body })
      .catch(() => {});
  }
}
