// MQTT 3.1.1 codec: packets to bytes and bytes to packets, nothing else.
// No I/O, no timers, no exceptions out of the decoder: malformed input comes
// back as a named ProtocolError, so a socket callback can never be thrown out of.
// Bytes are byte strings (one char = one byte), as the interpreter's sockets use.
import {
  CONNACK, CONNACK_REASONS, CONNECT, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBLISH, SUBACK,
  SUBACK_FAILURE, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE,
  type ConnectOptions, type IncomingPacket, type ProtocolError, type ProtocolErrorCode,
  type PublishOptions, type Subscription,
} from "./packets";

/** The largest remaining length the 4-byte varint can say (section 2.2.3). */
export const MAX_REMAINING_LENGTH = 268435455;

// ---- Encoding ----

function u16(n: number): string {
  return String.fromCharCode((n >> 8) & 255, n & 255);
}

/** A length-prefixed field (section 1.5.3): the caller's byte string as is. */
function field(bytes: string): string {
  return u16(bytes.length) + bytes;
}

function remainingLength(n: number): string {
  let out = "";
  do {
    const digit = n % 128;
    n = Math.floor(n / 128);
    out += String.fromCharCode(n > 0 ? digit | 128 : digit);
  } while (n > 0);
  return out;
}

function frame(firstByte: number, body: string): string {
  return String.fromCharCode(firstByte) + remainingLength(body.length) + body;
}

export function encodeConnect(o: ConnectOptions): string {
  let flags = o.cleanSession ? 0x02 : 0;
  let tail = field(o.clientId);
  if (o.will) {
    flags |= 0x04 | (o.will.qos << 3) | (o.will.retain ? 0x20 : 0);
    tail += field(o.will.topic) + field(o.will.payload);
  }
  if (o.username !== undefined) {
    flags |= 0x80;
    tail += field(o.username);
    if (o.password !== undefined) {
      flags |= 0x40;
      tail += field(o.password);
    }
  }
  // Protocol name "MQTT", level 4 (= 3.1.1), connect flags, keep-alive.
  return frame(CONNECT << 4, "\x00\x04MQTT\x04" + String.fromCharCode(flags) + u16(o.keepAlive) + tail);
}

export function encodePublish(o: PublishOptions): string {
  const first = (PUBLISH << 4) | (o.dup ? 8 : 0) | (o.qos << 1) | (o.retain ? 1 : 0);
  return frame(first, field(o.topic) + (o.qos ? u16(o.packetId as number) : "") + o.payload);
}

export function encodeSubscribe(packetId: number, subscriptions: Subscription[]): string {
  let body = u16(packetId);
  for (let i = 0; i < subscriptions.length; i++) {
    body += field(subscriptions[i].filter) + String.fromCharCode(subscriptions[i].qos);
  }
  return frame((SUBSCRIBE << 4) | 2, body);
}

export function encodeUnsubscribe(packetId: number, filters: string[]): string {
  let body = u16(packetId);
  for (let i = 0; i < filters.length; i++) body += field(filters[i]);
  return frame((UNSUBSCRIBE << 4) | 2, body);
}

export function encodePuback(packetId: number): string {
  return frame(PUBACK << 4, u16(packetId));
}

export function encodePingreq(): string {
  return frame(PINGREQ << 4, "");
}

export function encodeDisconnect(): string {
  return frame(DISCONNECT << 4, "");
}

// ---- Validation of what a caller asks to send (the encoders trust their input) ----

/** A loop, not a regex: the interpreter's negated and ranged character classes match ASCII too. */
function hasWideChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return true;
  return false;
}

function byteStringProblem(s: string): string | null {
  if (hasWideChar(s)) return "has characters above 255: UTF-8 encode it first (utf8Encode)";
  return s.length > 65535 ? "is longer than 65535 bytes" : null;
}

/** Why a topic name cannot be published to, or null when it can (section 4.7). */
export function topicNameProblem(topic: string): string | null {
  if (topic === "") return "topic is empty";
  if (/[+#\x00]/.test(topic)) return "topic has a wildcard or NUL";
  const p = byteStringProblem(topic);
  return p ? "topic " + p : null;
}

/** Why a topic filter cannot be subscribed to, or null when it can (section 4.7.1). */
export function topicFilterProblem(filter: string): string | null {
  if (filter === "") return "filter is empty";
  if (filter.indexOf("\x00") >= 0) return "filter has a NUL";
  const p = byteStringProblem(filter);
  if (p) return "filter " + p;
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === "#" ? i !== levels.length - 1 : level.indexOf("#") >= 0) return "'#' must be the whole last level";
    if (level !== "+" && level.indexOf("+") >= 0) return "'+' must be a whole level";
  }
  return null;
}

/** Why a payload cannot be sent as is, or null. */
export function payloadProblem(payload: string): string | null {
  if (hasWideChar(payload)) return "payload has characters above 255: UTF-8 encode it first (utf8Encode)";
  return payload.length > MAX_REMAINING_LENGTH - 65539 ? "payload is too long for one packet" : null;
}

// ---- Decoding ----

function fail(code: ProtocolErrorCode, message: string): ProtocolError {
  return { type: "error", code: code, message: message };
}

function readU16(s: string, at: number): number {
  return (s.charCodeAt(at) << 8) | s.charCodeAt(at + 1);
}

const NAMES = ["reserved 0", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
  "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "reserved 15"];

/** Judges a fixed header's first byte before its body is waited for. */
function firstByteProblem(first: number): ProtocolError | null {
  const type = first >> 4;
  const flags = first & 15;
  switch (type) {
    case 0:
    case 15:
      return fail("reserved packet type", "packet type " + type + " is reserved");
    case PUBLISH: {
      const qos = (flags >> 1) & 3;
      if (qos === 3) return fail("bad flags", "PUBLISH with QoS 3");
      if (qos === 2) return fail("unexpected packet type", "PUBLISH with QoS 2: this client subscribes at QoS 0 or 1 only");
      // [MQTT-3.3.1-2] DUP must be 0 for QoS 0.
      return qos === 0 && flags & 8 ? fail("bad flags", "PUBLISH QoS 0 with DUP set") : null;
    }
    case CONNACK:
    case PUBACK:
    case SUBACK:
    case UNSUBACK:
    case PINGRESP:
      return flags ? fail("bad flags", NAMES[type] + " with flags " + flags + ", expected 0") : null;
    default:
      return fail("unexpected packet type", NAMES[type] + " is not sent to a client (or is QoS 2)");
  }
}

function packetIdOf(name: string, body: string, at: number): number | ProtocolError {
  const id = readU16(body, at);
  return id ? id : fail("bad field", name + " with packet identifier 0");
}

/**
 * Decodes one whole packet whose first byte passed firstByteProblem: its body
 * is buf from start to end. A PUBLISH is read in place (its payload is the one
 * copy made); the other packets are a few bytes.
 */
function decodeBody(first: number, buf: string, start: number, end: number): IncomingPacket | ProtocolError {
  const type = first >> 4;
  if (type === PUBLISH) return decodePublish(first, buf, start, end);
  const body = buf.substring(start, end);
  let id: number | ProtocolError;
  if (type === PINGRESP) return body.length === 0 ? { type: "pingresp" } : fail("bad length", "PINGRESP with a body");
  if (type === SUBACK) {
    if (body.length < 3) return fail("bad length", "SUBACK of " + body.length + " bytes, expected 3 or more");
    id = packetIdOf("SUBACK", body, 0);
    if (typeof id !== "number") return id;
    const granted: number[] = [];
    for (let i = 2; i < body.length; i++) {
      const code = body.charCodeAt(i);
      if (code > 2 && code !== SUBACK_FAILURE) return fail("bad field", "SUBACK return code " + code);
      granted.push(code);
    }
    return { type: "suback", packetId: id, granted: granted };
  }
  if (body.length !== 2) return fail("bad length", NAMES[type] + " of " + body.length + " bytes, expected 2");
  if (type === CONNACK) {
    const ackFlags = body.charCodeAt(0);
    const returnCode = body.charCodeAt(1);
    if (ackFlags > 1) return fail("bad field", "CONNACK acknowledge flags " + ackFlags);
    if (returnCode >= CONNACK_REASONS.length) return fail("bad field", "CONNACK return code " + returnCode + " is reserved");
    // [MQTT-3.2.2-4] a refusal never says a session is present.
    if (returnCode && ackFlags) return fail("bad field", "CONNACK refusal with session present");
    return { type: "connack", sessionPresent: ackFlags === 1, returnCode: returnCode };
  }
  id = packetIdOf(NAMES[type], body, 0);
  if (typeof id !== "number") return id;
  return type === PUBACK ? { type: "puback", packetId: id } : { type: "unsuback", packetId: id };
}

function decodePublish(first: number, buf: string, start: number, end: number): IncomingPacket | ProtocolError {
  const qos = (first >> 1) & 3;
  if (end - start < 2) return fail("bad length", "PUBLISH too short for its topic length");
  let at = start + 2 + readU16(buf, start);
  if (at > end) return fail("bad length", "PUBLISH topic length overruns the packet");
  const topic = buf.substring(start + 2, at);
  if (topic === "" || /[+#\x00]/.test(topic)) return fail("bad field", "PUBLISH to an empty or wildcard topic");
  let packetId = 0;
  if (qos) {
    if (at + 2 > end) return fail("bad length", "PUBLISH packet identifier overruns the packet");
    const id = packetIdOf("PUBLISH", buf, at);
    if (typeof id !== "number") return id;
    packetId = id;
    at += 2;
  }
  return {
    type: "publish", topic: topic, payload: buf.substring(at, end), qos: qos as 0 | 1,
    retain: (first & 1) === 1, dup: (first & 8) === 8, packetId: packetId,
  };
}

export interface DecodeResult {
  /** Whole packets, in stream order. */
  packets: IncomingPacket[];
  /** Set once the stream is not valid MQTT; the decoder then stays failed until reset(). */
  error: ProtocolError | null;
}

/**
 * A streaming decoder: feed it socket chunks as they come (split anywhere,
 * several packets per chunk). It keeps at most one partial packet, and refuses
 * a packet longer than maxPacketSize (fixed header included) as soon as its
 * header says so, so it never buffers more than maxPacketSize bytes.
 */
export class Decoder {
  private _parts: string[] = [];
  private _size = 0;
  /** Bytes the partial packet needs in all, once its header is known. */
  private _need = 0;
  private _failure: ProtocolError | null = null;

  constructor(private _maxPacketSize: number) {}

  /** Bytes held between calls: a partial packet. */
  buffered(): number {
    return this._size;
  }

  /** Forgets everything, for a new connection. */
  reset(): void {
    this._parts = [];
    this._size = 0;
    this._need = 0;
    this._failure = null;
  }

  feed(chunk: string): DecodeResult {
    const packets: IncomingPacket[] = [];
    if (this._failure) return { packets: packets, error: this._failure };
    this._parts.push(chunk);
    this._size += chunk.length;
    // A large packet arriving in small chunks is joined once, not once per chunk; a lone chunk is not copied.
    if (this._size < this._need) return { packets: packets, error: null };
    const buf = this._parts.length === 1 ? chunk : this._parts.join("");
    let pos = 0;
    this._need = 0;
    while (pos < buf.length) {
      const first = buf.charCodeAt(pos);
      const problem = firstByteProblem(first);
      if (problem) return this._fail(packets, problem);
      // Remaining length: 1 to 4 bytes, 7 bits each, low first (section 2.2.3).
      let length = 0;
      let multiplier = 1;
      let at = pos + 1;
      let complete = false;
      while (at < buf.length && at < pos + 5) {
        const digit = buf.charCodeAt(at++);
        length += (digit & 127) * multiplier;
        multiplier *= 128;
        if (!(digit & 128)) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (at === pos + 5) return this._fail(packets, fail("bad remaining length", "remaining length longer than 4 bytes"));
        break;
      }
      const total = at - pos + length;
      if (total > this._maxPacketSize) {
        return this._fail(packets, fail("packet too long", NAMES[first >> 4] + " of " + total + " bytes, over " + this._maxPacketSize));
      }
      if (buf.length - pos < total) {
        this._need = total;
        break;
      }
      const packet = decodeBody(first, buf, at, pos + total);
      if (packet.type === "error") return this._fail(packets, packet);
      packets.push(packet);
      pos += total;
    }
    const rest = buf.substring(pos);
    this._parts = rest ? [rest] : [];
    this._size = rest.length;
    return { packets: packets, error: null };
  }

  private _fail(packets: IncomingPacket[], error: ProtocolError): DecodeResult {
    this.reset();
    this._failure = error;
    return { packets: packets, error: error };
  }
}
