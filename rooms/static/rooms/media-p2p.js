// Audio rooms demo, media without a media server (backend "p2p"): a WebRTC mesh signalled over the
// room socket. Everyone who may speak (host, co-hosts, speakers) offers their microphone to every
// other participant, except that between two speakers only the one with the lower user id offers
// (the answer carries the other's audio). Defines P2PMedia; the room (demo.js) calls its hooks.
"use strict";

class P2PMedia {
  constructor(room, media) {
    this.room = room; // RoomSession (demo.js): log, send, me, participants, canSpeak, showAudio
    this.iceServers = media.ice_servers || [];
    this.pcs = new Map(); // user id -> RTCPeerConnection
    this.makingOffer = new Set();
    this.localStream = null;
  }

  // --- hooks called by the room ---------------------------------------------------------------

  async start() {
    await this.syncMicrophone();
    for (const participant of this.room.participants.values()) await this.maybeOffer(participant);
  }

  async changed() {} // media_changed is a Janus event

  // The room socket came back (a fresh room_state): the mesh does not go through the socket, so
  // its connections stay; peers who left meanwhile are closed, new ones offered to.
  async resume(media, wasSpeaking) {
    if (media?.backend !== "p2p") return false;
    for (const id of [...this.pcs.keys()]) if (!this.room.participants.has(id)) this.closePeer(id);
    if (wasSpeaking !== Boolean(this.room.canSpeak(this.room.me))) await this.meUpdated(wasSpeaking);
    else for (const participant of this.room.participants.values()) await this.maybeOffer(participant);
    return true;
  }

  async participantJoined(participant) {
    await this.maybeOffer(participant);
  }

  participantLeft(participant) {
    this.closePeer(participant.user.id);
  }

  async meUpdated(wasSpeaking) {
    const room = this.room;
    await this.syncMicrophone();
    if (!wasSpeaking && room.canSpeak(room.me)) {
      for (const other of room.participants.values()) {
        if (other.user.id === room.myId()) continue;
        if (this.pcs.has(other.user.id)) await this.renegotiate(other.user.id);
        else await this.maybeOffer(other);
      }
    } else if (wasSpeaking && !room.canSpeak(room.me)) {
      for (const pc of this.pcs.values()) {
        for (const sender of pc.getSenders()) if (sender.track) await sender.replaceTrack(null);
      }
    }
  }

  async signal(frame) {
    if (frame.type === "offer") await this.onOffer(frame);
    else if (frame.type === "answer") await this.pcs.get(frame.from)?.setRemoteDescription({ type: "answer", sdp: frame.sdp });
    else if (frame.type === "ice_candidate") await this.onCandidate(frame);
  }

  peerConnections() {
    return [...this.pcs.values()];
  }

  close() {
    for (const id of [...this.pcs.keys()]) this.closePeer(id);
    this.localStream?.getTracks().forEach((track) => track.stop());
  }

  // --- the mesh -------------------------------------------------------------------------------

  async syncMicrophone() {
    const room = this.room;
    if (room.canSpeak(room.me) && !this.localStream) this.localStream = await room.openMicrophone();
    if (this.localStream) {
      for (const track of this.localStream.getAudioTracks()) track.enabled = !room.me.muted;
    }
  }

  peer(remoteId) {
    let pc = this.pcs.get(remoteId);
    if (pc) return pc;
    pc = new RTCPeerConnection({ iceServers: this.iceServers });
    pc.addEventListener("icecandidate", (event) => {
      this.room.send({ type: "ice_candidate", to: remoteId, candidate: event.candidate ? event.candidate.toJSON() : null });
    });
    pc.addEventListener("track", (event) => {
      const stream = event.streams[0] || new MediaStream([event.track]);
      this.room.showAudio(String(remoteId), stream, `@${this.room.name(remoteId)}`);
    });
    pc.addEventListener("connectionstatechange", () => this.room.log(`peer @${this.room.name(remoteId)}: ${pc.connectionState}`));
    this.pcs.set(remoteId, pc);
    return pc;
  }

  addMicrophone(pc) {
    if (!this.localStream || !this.room.canSpeak(this.room.me)) return;
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
    const room = this.room;
    const remoteId = participant.user.id;
    if (remoteId === room.myId() || !room.canSpeak(room.me) || this.pcs.has(remoteId)) return;
    if (room.canSpeak(participant) && room.myId() > remoteId) return; // the lower id offers
    await this.renegotiate(remoteId);
  }

  async renegotiate(remoteId) {
    const pc = this.peer(remoteId);
    this.addMicrophone(pc);
    if (!pc.getTransceivers().length) pc.addTransceiver("audio", { direction: "recvonly" });
    this.makingOffer.add(remoteId);
    try {
      await pc.setLocalDescription(await pc.createOffer());
      this.room.send({ type: "offer", to: remoteId, sdp: pc.localDescription.sdp });
    } finally {
      this.makingOffer.delete(remoteId);
    }
  }

  async onOffer(frame) {
    const pc = this.peer(frame.from);
    const collision = this.makingOffer.has(frame.from) || pc.signalingState !== "stable";
    const polite = this.room.myId() > frame.from;
    if (collision && !polite) return; // the other side yields (perfect negotiation)
    await pc.setRemoteDescription({ type: "offer", sdp: frame.sdp });
    this.addMicrophone(pc);
    await pc.setLocalDescription(await pc.createAnswer());
    this.room.send({ type: "answer", to: frame.from, sdp: pc.localDescription.sdp });
  }

  async onCandidate(frame) {
    const pc = this.pcs.get(frame.from);
    if (!pc) return;
    try {
      await pc.addIceCandidate(frame.candidate ?? null);
    } catch (error) {
      this.room.log(`ignored an ICE candidate: ${error.message}`);
    }
  }

  closePeer(remoteId) {
    this.pcs.get(remoteId)?.close();
    this.pcs.delete(remoteId);
    this.room.removeAudio(String(remoteId));
  }
}
