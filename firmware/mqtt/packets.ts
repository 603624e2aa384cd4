// MQTT 3.1.1 packets as the client sees them: what it sends (inputs of the
// encoders) and what a broker may send it (outputs of the decoder).
// Every string here is a byte string (one char = one byte 0..255); see utf8.ts.

/** Control packet types (first nibble of the fixed header), MQTT 3.1.1 section 2.2.1. */
export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

export type QoS = 0 | 1;

/** The SUBACK return code of a refused subscription. */
export const SUBACK_FAILURE = 0x80;

/** CONNACK return codes 0..5 (section 3.2.2.3); anything else is reserved. */
export const CONNACK_REASONS = [
  "accepted",
  "unacceptable protocol version",
  "identifier rejected",
  "server unavailable",
  "bad user name or password",
  "not authorized",
];

export interface Will {
  topic: string;
  payload: string;
  qos: QoS;
  retain: boolean;
}

export interface ConnectOptions {
  clientId: string;
  cleanSession: boolean;
  /** Seconds, 0..65535; 0 turns keep-alive off. */
  keepAlive: number;
  /** MQTT 3.1.1 allows a password only together with a user name. */
  username?: string;
  password?: string;
  will?: Will;
}

export interface PublishOptions {
  topic: string;
  payload: string;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Required for QoS 1 (1..65535), absent for QoS 0. */
  packetId?: number;
}

export interface Subscription {
  filter: string;
  qos: QoS;
}

// ---- Packets a broker sends to a client ----

export interface Connack {
  type: "connack";
  sessionPresent: boolean;
  /** 0 accepted, 1..5 refused (CONNACK_REASONS). */
  returnCode: number;
}

export interface Publish {
  type: "publish";
  topic: string;
  payload: string;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** 0 for QoS 0. */
  packetId: number;
}

export interface Puback {
  type: "puback";
  packetId: number;
}

export interface Suback {
  type: "suback";
  packetId: number;
  /** One per requested filter: the granted QoS 0..2, or SUBACK_FAILURE. */
  granted: number[];
}

export interface Unsuback {
  type: "unsuback";
  packetId: number;
}

export interface Pingresp {
  type: "pingresp";
}

export type IncomingPacket = Connack | Publish | Puback | Suback | Unsuback | Pingresp;

/** Why the byte stream is not MQTT 3.1.1 a client can accept. */
export type ProtocolErrorCode =
  | "bad remaining length" // varint longer than 4 bytes
  | "reserved packet type" // type 0 or 15
  | "unexpected packet type" // a type only a client sends, or any part of the QoS 2 flow
  | "bad flags" // fixed-header flags that type does not allow
  | "packet too long" // over the decoder's maximum packet size
  | "bad length" // the remaining length does not fit the packet's fields
  | "bad field"; // a field value the specification forbids

export interface ProtocolError {
  type: "error";
  code: ProtocolErrorCode;
  /** Human-readable detail, e.g. which packet and which field. */
  message: string;
}
