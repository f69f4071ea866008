// Audio rooms demo: the REST API for state, /ws/rooms/{id}/ for signalling, WebRTC for audio.
// Plain JavaScript, no build step. Topology: a mesh; everyone who may speak (host, co-hosts,
// speakers) offers their microphone to every other participant, except that between two
// speakers only the one with the lower user id offers (the answer carries the other's audio).
"use strict";

const $ = (id) => document.getElementById(id);
const auth = { access: null, refresh: null, user: null };
let session = null;

function log(text) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $("log").prepend(item);
}

// --- REST ---------------------------------------------------------------------------------

async function call(method, path, body, retried = false) {
  const headers = { "Content-Type": "application/json" };
  if (auth.access) headers.Authorization = `Bearer ${auth.access}`;
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && auth.refresh && !retried) {
    if (await refreshTokens()) return call(method, path, body, true);
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || { code: String(response.status), message: response.statusText };
    const failure = new Error(`${error.message} (${error.code})`);
    failure.code = error.code;
    throw failure;
  }
  return data;
}

async function refreshTokens() {
  const response = await fetch("/api/v1/auth/token/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh: auth.refresh }),
  });
  if (!response.ok) return false;
  const tokens = await response.json();
  setTokens(tokens.access, tokens.refresh, auth.user);
  return true;
}

function setTokens(access, refresh, user) {
  Object.assign(auth, { access, refresh, user });
  sessionStorage.setItem("rooms-demo-auth", JSON.stringify(auth));
}

function showSignedIn() {
  $("login-panel").hidden = true;
  $("lobby-panel").hidden = false;
  $("whoami").hidden = false;
  $("me-name").textContent = `@${auth.user.username}`;
  loadRooms().catch((error) => log(`rooms: ${error.message}`));
}

async function login(event) {
  event.preventDefault();
  try {
    const result = await call("POST", "/auth/login", {
      login: $("login-username").value,
      password: $("login-password").value,
    });
    setTokens(result.access, result.refresh, result.user);
    log(`logged in as @${result.user.username}`);
    showSignedIn();
  } catch (error) {
    log(`login failed: ${error.message}`);
  }
}

async function register() {
  try {
    const result = await call("POST", "/auth/register", {
      username: $("login-username").value,
      email: $("login-email").value,
      password: $("login-password").value,
    });
    setTokens(result.access, result.refresh, result.user);
    log(`registered @${result.user.username}`);
    showSignedIn();
  } catch (error) {
    log(`registration failed: ${error.message}`);
  }
}

async function loadRooms() {
  const page = await call("GET", "/rooms?state=live&page_size=50");
  const list = $("room-list");
  list.replaceChildren();
  for (const room of page.results) {
    const item = document.createElement("li");
    item.textContent = `${room.title} — @${room.host.username} · ${room.speaker_count} on stage, ${room.listener_count} listening`;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Join";
    button.addEventListener("click", () => enterRoom(room.id));
    item.append(button);
    list.append(item);
  }
  if (!page.results.length) list.textContent = "No live rooms.";
}

async function createRoom(event) {
  event.preventDefault();
  try {
    const room = await call("POST", "/rooms", { title: $("create-title").value });
    await call("POST", `/rooms/${room.id}/start`);
    log(`room ${room.id} is live`);
    await enterRoom(room.id);
  } catch (error) {
    log(`could not start the room: ${error.message}`);
  }
}

// --- the room -------------------------------------------------------------------------------

const SPEAKING = new Set(["host", "cohost", "speaker"]);

class RoomSession {
  constructor(roomId) {
    this.roomId = roomId;
    this.participants = new Map(); // user id -> participant
    this.pcs = new Map(); // user id -> RTCPeerConnection
    this.makingOffer = new Set();
    this.me = null;
    this.room = null;
    this.localStream = null;
    this.queue = Promise.resolve(); // frames are handled one after the other, in order
    this.incomingTracks = 0;
    this.closed = false;
    this.ended = false;
  }

  async open() {
    this.iceServers = (await call("GET", "/rooms/ice_servers")).ice_servers;
    if (!(await refreshTokens())) throw new Error("session expired; log in again");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${scheme}://${location.host}/ws/rooms/${this.roomId}/`, ["bearer", auth.access]);
    this.ws.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "room_ended") this.ended = true; // the close event comes before the queue gets here
      this.queue = this.queue.then(() => this.handle(frame)).catch((error) => log(`error: ${error.message}`));
    });
    this.ws.addEventListener("open", () => ($("connection").textContent = "connected"));
    this.ws.addEventListener("close", (event) => this.onClose(event));
  }

  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  myId() {
    return auth.user.id;
  }

  canSpeak(participant) {
    return participant && SPEAKING.has(participant.role);
  }

  async handle(frame) {
    switch (frame.type) {
      case "room_state":
        this.room = frame.room;
        this.me = frame.you;
        this.participants = new Map(frame.room.participants.map((p) => [p.user.id, p]));
        this.participants.set(this.me.user.id, this.me);
        this.render();
        await this.syncMicrophone();
        for (const participant of this.participants.values()) await this.maybeOffer(participant);
        break;
      case "participant_joined":
        if (!this.participants.has(frame.participant.user.id)) log(`@${frame.participant.user.username} joined`);
        this.participants.set(frame.participant.user.id, frame.participant);
        this.render();
        await this.maybeOffer(frame.participant);
        break;
      case "participant_left":
        log(`@${frame.participant.user.username} left (${frame.reason})`);
        this.participants.delete(frame.participant.user.id);
        this.closePeer(frame.participant.user.id);
        this.render();
        break;
      case "participant_updated":
        await this.onUpdated(frame.participant);
        break;
      case "offer":
        await this.onOffer(frame);
        break;
      case "answer":
        await this.pcs.get(frame.from)?.setRemoteDescription({ type: "answer", sdp: frame.sdp });
        break;
      case "ice_candidate":
        await this.onCandidate(frame);
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

  async onUpdated(participant) {
    const id = participant.user.id;
    const before = this.participants.get(id);
    this.participants.set(id, participant);
    if (id === this.myId()) {
      const wasSpeaking = this.canSpeak(this.me);
      this.me = participant;
      await this.syncMicrophone();
      if (!wasSpeaking && this.canSpeak(participant)) {
        log(`you are now ${participant.role}`);
        for (const other of this.participants.values()) {
          if (other.user.id === id) continue;
          if (this.pcs.has(other.user.id)) await this.renegotiate(other.user.id);
          else await this.maybeOffer(other);
        }
      } else if (wasSpeaking && !this.canSpeak(participant)) {
        log("you are a listener again");
        for (const pc of this.pcs.values()) {
          for (const sender of pc.getSenders()) if (sender.track) await sender.replaceTrack(null);
        }
      }
    } else if (before && !this.canSpeak(before) && this.canSpeak(participant)) {
      log(`@${participant.user.username} is now ${participant.role}`);
    }
    this.render();
  }

  async syncMicrophone() {
    if (this.canSpeak(this.me) && !this.localStream) {
      try {
        this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
        log("microphone on");
      } catch (error) {
        log(`no microphone: ${error.message}`);
      }
    }
    if (this.localStream) {
      for (const track of this.localStream.getAudioTracks()) track.enabled = !this.me.muted;
    }
  }

  peer(remoteId) {
    let pc = this.pcs.get(remoteId);
    if (pc) return pc;
    pc = new RTCPeerConnection({ iceServers: this.iceServers });
    pc.addEventListener("icecandidate", (event) => {
      this.send({ type: "ice_candidate", to: remoteId, candidate: event.candidate ? event.candidate.toJSON() : null });
    });
    pc.addEventListener("track", (event) => this.onTrack(remoteId, event));
    pc.addEventListener("connectionstatechange", () => log(`peer @${this.name(remoteId)}: ${pc.connectionState}`));
    this.pcs.set(remoteId, pc);
    return pc;
  }

  name(userId) {
    return this.participants.get(userId)?.user.username ?? userId;
  }

  addMicrophone(pc) {
    if (!this.localStream || !this.canSpeak(this.me)) return;
    const sending = new Set(pc.getSenders().map((sender) => sender.track));
    for (const track of this.localStream.getAudioTracks()) {
      if (sending.has(track)) continue;
      // Reuse a transceiver that only receives (an offer we answer, or a former listener's).
      const idle = pc.getTransceivers().find((t) => !t.stopped && !t.sender.track && t.receiver.track.kind === "audio");
      if (idle) {
        idle.direction = "sendrecv";
        idle.sender.replaceTrack(track);
        idle.sender.setStreams?.(this.localStream);
      } else {
        pc.addTrack(track, this.localStream);
      }
    }
  }

  async maybeOffer(participant) {
    const remoteId = participant.user.id;
    if (remoteId === this.myId() || !this.canSpeak(this.me) || this.pcs.has(remoteId)) return;
    if (this.canSpeak(participant) && this.myId() > remoteId) return; // the lower id offers
    await this.renegotiate(remoteId);
  }

  async renegotiate(remoteId) {
    const pc = this.peer(remoteId);
    this.addMicrophone(pc);
    if (!pc.getTransceivers().length) pc.addTransceiver("audio", { direction: "recvonly" });
    this.makingOffer.add(remoteId);
    try {
      await pc.setLocalDescription(await pc.createOffer());
      this.send({ type: "offer", to: remoteId, sdp: pc.localDescription.sdp });
    } finally {
      this.makingOffer.delete(remoteId);
    }
  }

  async onOffer(frame) {
    const pc = this.peer(frame.from);
    const collision = this.makingOffer.has(frame.from) || pc.signalingState !== "stable";
    const polite = this.myId() > frame.from;
    if (collision && !polite) return; // the other side yields (perfect negotiation)
    await pc.setRemoteDescription({ type: "offer", sdp: frame.sdp });
    this.addMicrophone(pc);
    await pc.setLocalDescription(await pc.createAnswer());
    this.send({ type: "answer", to: frame.from, sdp: pc.localDescription.sdp });
  }

  async onCandidate(frame) {
    const pc = this.pcs.get(frame.from);
    if (!pc) return;
    try {
      await pc.addIceCandidate(frame.candidate ?? null);
    } catch (error) {
      log(`ignored an ICE candidate: ${error.message}`);
    }
  }

  onTrack(remoteId, event) {
    const stream = event.streams[0] || new MediaStream([event.track]);
    let audio = document.querySelector(`audio[data-user-id="${remoteId}"]`);
    if (!audio) {
      audio = document.createElement("audio");
      audio.autoplay = true;
      audio.controls = true;
      audio.dataset.userId = String(remoteId);
      $("audio-elements").append(audio);
    }
    audio.srcObject = stream;
    this.incomingTracks += 1;
    const status = $("audio-status");
    status.dataset.incomingTracks = String(this.incomingTracks);
    status.textContent = `incoming audio track from @${this.name(remoteId)}`;
    log(`incoming ${event.track.kind} track from @${this.name(remoteId)}`);
  }

  closePeer(remoteId) {
    this.pcs.get(remoteId)?.close();
    this.pcs.delete(remoteId);
    document.querySelector(`audio[data-user-id="${remoteId}"]`)?.remove();
  }

  onClose(event) {
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

  shutdown() {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.pcs.keys()]) this.closePeer(id);
    this.localStream?.getTracks().forEach((track) => track.stop());
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
  }

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

  // For tests and curious people: the inbound audio statistics of every peer connection.
  async inboundAudio() {
    const result = [];
    for (const [userId, pc] of this.pcs) {
      const stats = await pc.getStats();
      stats.forEach((report) => {
        if (report.type === "inbound-rtp" && report.kind === "audio") {
          result.push({
            from: userId,
            bytesReceived: report.bytesReceived || 0,
            packetsReceived: report.packetsReceived || 0,
            totalAudioEnergy: report.totalAudioEnergy || 0,
          });
        }
      });
    }
    return result;
  }
}

const STAGE_ORDER = { host: 0, cohost: 1, speaker: 2, listener: 3 };
function byStage(a, b) {
  return STAGE_ORDER[a.role] - STAGE_ORDER[b.role] || a.joined_at.localeCompare(b.joined_at);
}

async function enterRoom(roomId) {
  if (session) session.shutdown();
  $("lobby-panel").hidden = true;
  $("room-panel").hidden = false;
  $("connection").textContent = "connecting…";
  $("audio-status").textContent = "No incoming audio yet.";
  $("audio-status").dataset.incomingTracks = "0";
  session = new RoomSession(Number(roomId));
  window.demo.session = session;
  try {
    await session.open();
  } catch (error) {
    log(`could not join: ${error.message}`);
  }
}

function backToLobby() {
  if (session) session.shutdown();
  session = null;
  $("room-panel").hidden = true;
  $("lobby-panel").hidden = false;
  loadRooms().catch((error) => log(`rooms: ${error.message}`));
}

window.demo = {
  session: null,
  inboundAudio: () => (session ? session.inboundAudio() : Promise.resolve([])),
};

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("register-button").addEventListener("click", register);
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem("rooms-demo-auth");
    location.reload();
  });
  $("create-form").addEventListener("submit", createRoom);
  $("refresh-rooms").addEventListener("click", () => loadRooms().catch((error) => log(error.message)));
  $("join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    enterRoom($("join-id").value);
  });
  $("raise-hand").addEventListener("click", () => session?.rest("POST", "/raise_hand"));
  $("lower-hand").addEventListener("click", () => session?.rest("POST", "/lower_hand"));
  $("unmute").addEventListener("click", () => session?.rest("POST", "/unmute"));
  $("mute").addEventListener("click", () => session?.rest("POST", "/mute"));
  $("leave").addEventListener("click", async () => {
    await session?.rest("POST", "/leave");
    backToLobby();
  });
  $("end-room").addEventListener("click", async () => {
    await session?.rest("POST", "/end");
    backToLobby();
  });
  const saved = sessionStorage.getItem("rooms-demo-auth");
  if (saved) {
    Object.assign(auth, JSON.parse(saved));
    showSignedIn();
  }
});
