// Audio rooms demo: the REST API for state, /ws/rooms/{id}/ for the room, WebRTC for audio.
// Plain JavaScript, no build step; the page loads, in order, janus-client.js, media-janus.js,
// media-p2p.js, room.js and this file. This file: the REST calls, signing in, the lobby, and
// entering a room (RoomSession, room.js).
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

async function enterRoom(roomId) {
  if (session) session.shutdown();
  $("lobby-panel").hidden = true;
  $("room-panel").hidden = false;
  $("connection").textContent = "connecting…";
  $("audio-status").textContent = "No incoming audio yet.";
  $("audio-status").dataset.incomingTracks = "0";
  $("media-backend").textContent = "…";
  $("media-state").textContent = "connecting…";
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
  peerConnections: () => (session?.media ? session.media.peerConnections() : []),
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
