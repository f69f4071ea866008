// Audio rooms demo, media through Janus (backend "janus"; docs/rooms.md, "Media server (Janus)").
// The media object (room_state.media, media_changed.media, GET /rooms/{id}/media) says where to go:
// - on the stage (can_speak): the AudioBridge room: join with the token and an offer carrying the
//   microphone; the answer's PeerConnection brings back the mix of the others. The own mute is
//   the track switched off plus AudioBridge `configure {muted}`;
// - as a listener: the Streaming mountpoint: watch, answer Janus's offer receive-only, `start`.
// media_changed (promotion, demotion, host mute or its lift, a recreated Janus room) replaces the
// connection with one for the new object; with reason "pin" (the host removed someone, so the
// mountpoint has a new pin) a listener that is watching keeps playing and keeps the new object
// (and token) for its next watch. The token is refreshed (GET /media) before it expires.
// Defines JanusMedia; uses JanusConnection (janus-client.js).
"use strict";

const AUDIOBRIDGE = "janus.plugin.audiobridge";
const STREAMING = "janus.plugin.streaming";
const TOKEN_REFRESH_MARGIN_MS = 120_000;

class JanusMedia {
  constructor(room, media) {
    this.room = room; // RoomSession (demo.js)
    this.media = media;
    this.conn = null; // JanusConnection
    this.pc = null;
    this.localStream = null;
    this.refreshTimer = null;
    this.tokenRefreshes = 0; // tokens swapped on the open connection (for tests and the curious)
    this.pinChanges = 0; // media_changed "pin" taken without reconnecting (likewise)
    this.state = "idle"; // connecting, stage, listening, failed, disconnected
    this.closed = false;
  }

  // --- hooks called by the room ---------------------------------------------------------------

  async start() {
    await this.connect(this.media);
  }

  async changed(media, reason) {
    const watching = this.state === "listening" || this.state === "connecting";
    if (reason === "pin" && media.plugin === STREAMING && this.media?.plugin === STREAMING && watching) {
      this.media = media; // a watch still in flight with the old pin is retried by connect()
      this.conn?.setToken(media.token);
      this.pinChanges += 1;
      this.scheduleRefresh(media);
      return;
    }
    this.media = media;
    await this.connect(media);
  }

  // The room socket came back (a fresh room_state): the Janus session does not go through it, so
  // a connection to the same stage or mountpoint stays (with the new token); otherwise connect.
  async resume(media) {
    if (media?.backend !== "janus") return false;
    const target = (m) => `${m?.plugin}:${m?.room ?? m?.mountpoint}`;
    const up = (this.state === "listening" || this.state === "stage") && this.conn && !this.conn.closed;
    if (up && target(media) === target(this.media)) {
      this.media = media;
      this.conn.setToken(media.token);
      this.scheduleRefresh(media);
      if (this.onStage()) await this.meUpdated();
      return true;
    }
    await this.changed(media);
    return true;
  }

  async participantJoined() {}

  participantLeft() {}

  async meUpdated() {
    if (!this.onStage()) return; // the stage itself changes with media_changed
    const muted = Boolean(this.room.me.muted);
    for (const track of this.localStream?.getAudioTracks() || []) track.enabled = !muted;
    try {
      await this.conn.message({ request: "configure", muted });
    } catch (error) {
      this.room.log(`Janus configure: ${error.message}`);
    }
  }

  async signal() {} // on Janus, media is negotiated with Janus, not relayed

  peerConnections() {
    return this.pc ? [this.pc] : [];
  }

  close() {
    this.closed = true;
    clearTimeout(this.refreshTimer);
    this.hangUp();
  }

  // --- connecting -----------------------------------------------------------------------------

  onStage() {
    return this.conn !== null && this.conn.plugin === AUDIOBRIDGE;
  }

  async connect(media, retried = false) {
    this.hangUp();
    if (this.closed) return;
    this.state = "connecting";
    const stage = media.plugin === AUDIOBRIDGE;
    const conn = new JanusConnection(media.url, media.token, {
      log: (text) => this.room.log(text),
      onHangup: (reason) => this.onHangup(conn, reason),
    });
    conn.plugin = media.plugin;
    this.conn = conn;
    this.pc = new RTCPeerConnection({ iceServers: media.ice_servers || [] });
    const pc = this.pc;
    pc.addEventListener("icecandidate", (event) => conn.trickle(event.candidate));
    pc.addEventListener("connectionstatechange", () => this.room.log(`Janus peer connection: ${pc.connectionState}`));
    pc.addEventListener("track", (event) => {
      const label = stage ? "the stage (Janus AudioBridge mix)" : "the room (Janus Streaming mountpoint)";
      this.room.showAudio("janus", event.streams[0] || new MediaStream([event.track]), label);
    });
    try {
      await conn.attach(media.plugin);
      if (stage) await this.joinStage(conn, pc, media);
      else await this.watch(conn, pc, media);
      this.state = stage ? "stage" : "listening";
      this.room.setMediaState(this.state);
      this.room.log(stage ? "on the stage (Janus AudioBridge)" : "listening (Janus Streaming)");
    } catch (error) {
      this.room.log(`Janus: ${error.message}`);
      if (!retried && this.media !== media && !this.closed) return this.connect(this.media, true);
      this.state = "failed";
      this.room.setMediaState("failed");
    }
    this.scheduleRefresh(media);
  }

  async joinStage(conn, pc, media) {
    const muted = Boolean(this.room.me.muted);
    this.localStream = this.localStream || (await this.room.openMicrophone());
    const track = this.localStream?.getAudioTracks()[0];
    if (track) {
      track.enabled = !muted;
      pc.addTrack(track, this.localStream);
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" }); // no microphone: hear the stage at least
    }
    await pc.setLocalDescription(await pc.createOffer());
    const joined = conn.waitFor((data, jsep) => data.audiobridge === "joined" && jsep);
    const display = this.room.me.user.username;
    await conn.message({ request: "join", room: media.room, token: media.token, muted, display }, pc.localDescription);
    const { jsep } = await joined;
    await pc.setRemoteDescription(jsep);
  }

  async watch(conn, pc, media) {
    this.stopMicrophone(); // a listener sends nothing
    const offered = conn.waitFor((data, jsep) => Boolean(jsep));
    // The mountpoint's pin: only this room's participants get it (media.pin).
    await conn.message({ request: "watch", id: media.mountpoint, pin: media.pin, offer_audio: true, offer_video: false });
    const { jsep } = await offered;
    await pc.setRemoteDescription(jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    const started = conn.waitFor((data) => data.result?.status === "starting" || data.result?.status === "started");
    await conn.message({ request: "start" }, pc.localDescription);
    await started;
  }

  onHangup(conn, reason) {
    if (conn !== this.conn) return;
    this.room.log(`Janus hung up: ${reason}`);
    this.state = "disconnected";
    this.room.setMediaState("disconnected");
  }

  hangUp() {
    if (this.conn) this.conn.close();
    this.conn = null;
    this.pc?.close();
    this.pc = null;
    this.room.removeAudio("janus");
  }

  stopMicrophone() {
    this.localStream?.getTracks().forEach((track) => track.stop());
    this.localStream = null;
  }

  // Tokens are "<unix expiry>,janus,<plugin>,<holder>:<signature>": a fresh one (same plugin)
  // replaces it on the open connection halfway through its life (at most two minutes before it
  // expires); a fresh one for another plugin reconnects.
  scheduleRefresh(media) {
    clearTimeout(this.refreshTimer);
    const remainingMs = Number(String(media.token).split(",")[0]) * 1000 - Date.now();
    if (!Number.isFinite(remainingMs)) return;
    const delay = Math.max(1000, Math.min(remainingMs / 2, remainingMs - TOKEN_REFRESH_MARGIN_MS));
    this.refreshTimer = setTimeout(() => this.room.enqueue(() => this.refresh()), delay);
  }

  async refresh() {
    if (this.closed) return;
    const media = await this.room.rest("GET", "/media");
    if (!media || media.backend !== "janus") return this.scheduleRefresh(this.media);
    if (media.plugin === this.media.plugin && this.conn && !this.conn.closed) {
      this.conn.setToken(media.token);
      this.media = media;
      this.tokenRefreshes += 1;
      this.scheduleRefresh(media);
    } else {
      await this.changed(media);
    }
  }
}
