// Audio rooms demo: the room (RoomSession): its socket (/ws/rooms/{id}/), its participants and
// its part of the page. The audio is a media backend chosen by the room's media object
// (room_state.media): P2PMedia (media-p2p.js, a mesh signalled over the room socket) or
// JanusMedia (media-janus.js, through the Janus media server, with janus-client.js). Both have
// the same hooks: start, changed (media_changed), participantJoined, participantLeft, meUpdated,
// signal (offer/answer/ice_candidate frames), peerConnections, close. Uses $, log, call, auth
// and refreshTokens from demo.js.
// A socket that drops (network, server restart, Redis away: RECONNECT_CODES) is opened again
// with exponential backoff (1 s, 2 s, 4 s... at most 15 s, with jitter, RECONNECT_ATTEMPTS
// tries); the new socket's room_state replaces the roster and the media. A close that is final
// (the room ended, you left or were removed, not allowed) is not retried.
"use strict";

// --- the room -------------------------------------------------------------------------------

const SPEAKING = new Set(["host", "cohost", "speaker"]);
const MEDIA_RETRY_MS = 3000;
// 1001 going away, 1006 dropped without a close frame, 1011 and 4500 server error, 1012 restart,
// 1013 try again later, 4401 token expired (refreshed before each try), 4503 channel layer down.
const RECONNECT_CODES = new Set([1001, 1006, 1011, 1012, 1013, 4401, 4500, 4503]);
const RECONNECT_BASE_MS = 1000;
const RECONNECT_MAX_MS = 15000;
const RECONNECT_ATTEMPTS = 8;

class RoomSession {
  constructor(roomId) {
    this.roomId = roomId;
    this.participants = new Map(); // user id -> participant
    this.me = null;
    this.room = null;
    this.media = null; // P2PMedia or JanusMedia, from room_state.media
    this.queue = Promise.resolve(); // frames are handled one after the other, in order
    this.incomingTracks = 0;
    this.closed = false;
    this.ended = false;
    this.attempt = 0; // reconnection attempts since the last room_state
    this.reconnects = 0; // sockets reopened after a drop (for tests and the curious)
    this.reconnectTimer = null;
  }

  async open() {
    if (!(await refreshTokens())) throw new Error("session expired; log in again");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/rooms/${this.roomId}/`, ["bearer", auth.access]);
    this.ws = ws;
    ws.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "room_ended") this.ended = true; // the close event comes before the queue gets here
      this.enqueue(() => this.handle(frame));
    });
    ws.addEventListener("open", () => ($("connection").textContent = "connected"));
    ws.addEventListener("close", (event) => {
      if (ws === this.ws) this.onClose(event);
    });
  }

  enqueue(task) {
    this.queue = this.queue.then(task).catch((error) => log(`error: ${error.message}`));
  }

  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  log(text) {
    log(text);
  }

  myId() {
    return auth.user.id;
  }

  canSpeak(participant) {
    return participant && SPEAKING.has(participant.role);
  }

  name(userId) {
    return this.participants.get(userId)?.user.username ?? userId;
  }

  async handle(frame) {
    switch (frame.type) {
      case "room_state": {
        // After a reconnection the media backend resumes with the room as it is now (same
        // connections where they still hold), or starts anew.
        const resumed = this.attempt > 0 && this.media !== null;
        const wasSpeaking = Boolean(this.canSpeak(this.me));
        if (this.attempt > 0) {
          this.reconnects += 1;
          log("reconnected: the room as it is now");
        }
        this.attempt = 0;
        this.room = frame.room;
        this.me = frame.you;
        this.participants = new Map(frame.room.participants.map((p) => [p.user.id, p]));
        this.participants.set(this.me.user.id, this.me);
        this.render();
        if (!(resumed && (await this.media.resume(frame.media, wasSpeaking)))) await this.useMedia(frame.media);
        break;
      }
      case "media_changed":
        if (this.media && frame.media?.backend === "janus") await this.media.changed(frame.media, frame.reason);
        else await this.useMedia(frame.media);
        break;
      case "participant_joined":
        if (!this.participants.has(frame.participant.user.id)) log(`@${frame.participant.user.username} joined`);
        this.participants.set(frame.participant.user.id, frame.participant);
        this.render();
        await this.media?.participantJoined(frame.participant);
        break;
      case "participant_left":
        log(`@${frame.participant.user.username} left (${frame.reason})`);
        this.participants.delete(frame.participant.user.id);
        this.media?.participantLeft(frame.participant);
        this.render();
        break;
      case "participant_updated":
        await this.onUpdated(frame.participant);
        break;
      case "offer":
      case "answer":
      case "ice_candidate":
        await this.media?.signal(frame);
        break;
      case "room_ended":
        log("the room has ended");
        $("connection").textContent = "room ended";
        break;
      case "error":
        log(`server: ${frame.message} (${frame.code})`);
        break;
      default:
        break;
    }
  }

  // The media backend of the room's media object; none (yet) when the media server is down:
  // then GET /rooms/{id}/media is tried again until it answers.
  async useMedia(media) {
    this.media?.close();
    this.media = null;
    if (!media) {
      this.setMediaState("unavailable");
      setTimeout(() => this.enqueue(() => this.retryMedia()), MEDIA_RETRY_MS);
      return;
    }
    $("media-backend").textContent = media.backend;
    this.media = media.backend === "janus" ? new JanusMedia(this, media) : new P2PMedia(this, media);
    if (media.backend !== "janus") this.setMediaState("peer to peer");
    await this.media.start();
  }

  async retryMedia() {
    if (this.closed || this.media) return;
    await this.useMedia(await this.rest("GET", "/media"));
  }

  async onUpdated(participant) {
    const id = participant.user.id;
    const before = this.participants.get(id);
    this.participants.set(id, participant);
    if (id === this.myId()) {
      const wasSpeaking = this.canSpeak(this.me);
      this.me = participant;
      if (!wasSpeaking && this.canSpeak(participant)) log(`you are now ${participant.role}`);
      else if (wasSpeaking && !this.canSpeak(participant)) log("you are a listener again");
      await this.media?.meUpdated(wasSpeaking);
    } else if (before && !this.canSpeak(before) && this.canSpeak(participant)) {
      log(`@${participant.user.username} is now ${participant.role}`);
    }
    this.render();
  }

  // --- audio on the page (for the media backends) ---------------------------------------------

  async openMicrophone() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      log("microphone on");
      return stream;
    } catch (error) {
      log(`no microphone: ${error.message}`);
      return null;
    }
  }

  showAudio(key, stream, label) {
    let audio = document.querySelector(`audio[data-source="${key}"]`);
    if (!audio) {
      audio = document.createElement("audio");
      audio.autoplay = true;
      audio.controls = true;
      audio.dataset.source = key;
      $("audio-elements").append(audio);
    }
    audio.srcObject = stream;
    this.incomingTracks += 1;
    const status = $("audio-status");
    status.dataset.incomingTracks = String(this.incomingTracks);
    status.textContent = `incoming audio track from ${label}`;
    log(`incoming audio track from ${label}`);
  }

  removeAudio(key) {
    document.querySelector(`audio[data-source="${key}"]`)?.remove();
  }

  setMediaState(state) {
    $("media-state").textContent = state;
  }

  // For tests and curious people: the inbound audio statistics of every peer connection.
  async inboundAudio() {
    const result = [];
    for (const pc of this.media?.peerConnections() || []) {
      const stats = await pc.getStats();
      stats.forEach((report) => {
        if (report.type === "inbound-rtp" && report.kind === "audio") {
          result.push({
            bytesReceived: report.bytesReceived || 0,
            packetsReceived: report.packetsReceived || 0,
            totalAudioEnergy: report.totalAudioEnergy || 0,
            audioLevel: report.audioLevel || 0,
          });
        }
      });
    }
    return result;
  }

  // --- closing ----------------------------------------------------------------------------------

  onClose(event) {
    if (this.closed) return;
    if (!this.ended && RECONNECT_CODES.has(event.code) && this.attempt < RECONNECT_ATTEMPTS) {
      this.scheduleReconnect(event.code);
      return;
    }
    const reasons = {
      1000: "closed",
      4001: "session revoked",
      4401: "not authenticated",
      4403: "not allowed to join",
      4404: "no such room, or it has ended",
      4503: "server busy, try again",
    };
    $("connection").textContent = this.ended
      ? "room ended"
      : `disconnected: ${reasons[event.code] || `code ${event.code}`}`;
    log(`socket closed (${event.code})`);
    this.shutdown();
  }

  // The media keeps playing meanwhile; the next room_state brings the room and media as they are.
  scheduleReconnect(code) {
    const backoff = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.attempt);
    const delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    $("connection").textContent = `reconnecting (attempt ${this.attempt})`;
    log(`socket closed (${code}); reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => this.reopen(), delay);
  }

  async reopen() {
    if (this.closed) return;
    try {
      await this.open();
    } catch (error) {
      $("connection").textContent = `disconnected: ${error.message}`;
      log(error.message);
      this.shutdown();
    }
  }

  shutdown() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.media?.close();
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
  }

  // --- the page ---------------------------------------------------------------------------------

  render() {
    const me = this.me;
    $("room-title").textContent = this.room.title;
    $("room-id").textContent = String(this.roomId);
    $("my-role").textContent = me.role;
    const speaking = this.canSpeak(me);
    $("raise-hand").hidden = speaking || me.hand_raised;
    $("lower-hand").hidden = speaking || !me.hand_raised;
    $("unmute").hidden = !speaking || !me.muted;
    $("mute").hidden = !speaking || me.muted;
    $("unmute").disabled = me.muted_by_host;
    $("end-room").hidden = me.role !== "host";
    const list = $("participants");
    list.replaceChildren();
    for (const participant of [...this.participants.values()].sort(byStage)) {
      list.append(this.participantItem(participant));
    }
  }

  participantItem(participant) {
    const item = document.createElement("li");
    item.dataset.userId = String(participant.user.id);
    item.dataset.role = participant.role;
    const name = participant.user.display_name || participant.user.username;
    item.textContent = `${name} (@${participant.user.username})`;
    const badges = [participant.role];
    if (participant.hand_raised) badges.push("hand raised");
    if (this.canSpeak(participant)) badges.push(participant.muted ? (participant.muted_by_host ? "muted by host" : "muted") : "live");
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = badges.join(" · ");
    item.append(badge);
    const moderator = this.me.role === "host" || this.me.role === "cohost";
    const target = participant.user.username;
    if (moderator && participant.user.id !== this.myId() && participant.role !== "host") {
      const hostOnly = participant.role === "cohost" && this.me.role !== "host";
      if (participant.role === "listener") {
        item.append(this.action("Make speaker", "POST", `/speakers/${target}`, { role: "speaker" }));
        if (this.me.role === "host") item.append(this.action("Make co-host", "POST", `/speakers/${target}`, { role: "cohost" }));
      } else if (!hostOnly) {
        item.append(this.action("Make listener", "DELETE", `/speakers/${target}`));
        if (participant.muted_by_host) item.append(this.action("Allow to unmute", "DELETE", `/mute/${target}`));
        else item.append(this.action("Mute", "POST", `/mute/${target}`));
      }
    }
    return item;
  }

  action(label, method, suffix, body) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.addEventListener("click", () => this.rest(method, suffix, body));
    return button;
  }

  async rest(method, suffix, body) {
    try {
      return await call(method, `/rooms/${this.roomId}${suffix}`, body);
    } catch (error) {
      log(`${suffix}: ${error.message}`);
      return null;
    }
  }
}

const STAGE_ORDER = { host: 0, cohost: 1, speaker: 2, listener: 3 };
function byStage(a, b) {
  return STAGE_ORDER[a.role] - STAGE_ORDER[b.role] || a.joined_at.localeCompare(b.joined_at);
}
