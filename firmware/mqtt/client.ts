// The MQTT 3.1.1 client: a state machine over the codec and a transport.
// idle --connect()--> connecting --CONNACK 0--> online --link lost--> waiting
// (backoff) --> connecting ...; disconnect() returns to idle from anywhere.
// Everything it holds is bounded: queued publishes, in-flight QoS 1 messages,
// pending (un)subscriptions, and the decoder's buffer.
import {
  Decoder, encodeConnect, encodeDisconnect, encodePingreq, encodePuback, encodePublish,
  encodeSubscribe, encodeUnsubscribe, payloadProblem, topicFilterProblem, topicNameProblem,
} from "./codec";
import {
  CONNACK_REASONS, SUBACK_FAILURE,
  type IncomingPacket, type Publish, type PublishOptions, type QoS, type Subscription, type Will,
} from "./packets";
import { topicMatches } from "./topic";
import { TLS_CLOSE_NOTIFY, type Socket, type Transport } from "./transport";

export interface ClientOptions {
  transport: Transport;
  clientId: string;
  /** Seconds, as a float: getTime on the board (see device.ts), Date.now()/1000 in Node. */
  clock: () => number;
  /** Default true. */
  cleanSession?: boolean;
  /** Seconds; default 60; 0 turns keep-alive (and dead-link detection) off. */
  keepAlive?: number;
  username?: string;
  password?: string;
  will?: Will;
  /** Seconds from opening the connection to CONNACK (TLS handshake included); default 30. */
  connackTimeout?: number;
  /** Reconnect delay in seconds: doubles from min to max per failed try, then is jittered to 50..100%. */
  reconnectMin?: number;
  reconnectMax?: number;
  /** Largest incoming packet in bytes; default 32768. */
  maxPacketSize?: number;
  /** QoS 1 publishes sent and awaiting PUBACK; default 10. */
  maxInflight?: number;
  /** Publishes waiting to be sent (offline, or over maxInflight); default 20. */
  maxQueued?: number;
  /** Source of jitter; default Math.random. */
  random?: () => number;
}

export type MessageHandler = (topic: string, payload: string, packet: Publish) => void;

/** What went wrong with the MQTT connection or a request, by name. */
export type MqttErrorCode =
  | "invalid argument"
  | "queue full"
  | "subscription refused"
  | "disconnected"
  | "socket"
  | "connack timeout"
  | "closed before connack"
  | "connection refused"
  | "protocol"
  | "dead link"
  | "callback"
  /** Not online within the time the caller gave (Thing.connect). */
  | "timeout";

/** An Error with an MqttErrorCode. */
export interface MqttError extends Error {
  code: MqttErrorCode;
}

export interface ClientEvents {
  connected: (info: { sessionPresent: boolean }) => void;
  message: MessageHandler;
  offline: (reason: string) => void;
  error: (error: MqttError) => void;
}

export type ClientState = "idle" | "connecting" | "online" | "waiting";

export function mqttError(code: MqttErrorCode, message: string): MqttError {
  const e = new Error(message) as MqttError;
  e.code = code;
  return e;
}

interface Outgoing {
  publish: PublishOptions;
  resolve: () => void;
  reject: (e: MqttError) => void;
}

/** A SUBSCRIBE or UNSUBSCRIBE sent (or to be sent) and not yet acknowledged. */
interface PendingRequest {
  packetId: number;
  packet: string;
  /** Called with the SUBACK's return codes, or [] for UNSUBACK. */
  done: (granted: number[]) => void;
  fail: (e: MqttError) => void;
  /** The client's own resubscription, replaced on each reconnect. */
  internal: boolean;
}

interface ActiveSubscription {
  filter: string;
  qos: QoS;
  handler?: MessageHandler;
  /** The broker granted it (so it is resubscribed when the session was lost). */
  granted: boolean;
}

export class MqttClient {
  state: ClientState = "idle";
  private _o: ClientOptions;
  private _keepAlive: number;
  private _decoder: Decoder;
  private _socket: Socket | null = null;
  private _listeners: { [event: string]: Function[] } = {};
  private _subscriptions: ActiveSubscription[] = [];
  private _requests: PendingRequest[] = [];
  private _inflight: Outgoing[] = [];
  private _queue: Outgoing[] = [];
  private _idsInUse: { [id: string]: boolean } = {};
  private _lastId = 0;
  private _attempt = 0;
  private _lastSent = 0;
  private _lastReceived = 0;
  private _pingSent = false;
  private _connackTimer: ReturnType<typeof setTimeout> | undefined;
  private _keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  private _reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ClientOptions) {
    this._o = options;
    this._keepAlive = options.keepAlive === undefined ? 60 : options.keepAlive;
    this._decoder = new Decoder(options.maxPacketSize || 32768);
  }

  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    (this._listeners[event] = this._listeners[event] || []).push(listener);
    return this;
  }

  /** Starts connecting; from then on the client reconnects by itself until disconnect(). */
  connect(): void {
    if (this.state === "idle") this._open();
  }

  /**
   * Sends DISCONNECT if online, closes, stops reconnecting, and fails what is
   * still pending. `closed` is called once the connection is gone (its socket
   * closed, so its TLS buffers are free), or at once when there was none.
   */
  disconnect(closed?: () => void): void {
    if (this.state === "online") this._send(encodeDisconnect());
    if (this._reconnectTimer !== undefined) clearTimeout(this._reconnectTimer);
    this._reconnectTimer = undefined;
    if (closed) {
      if (this._socket) this._socket.on("close", closed);
      else closed();
    }
    this._drop("disconnect() called");
    this.state = "idle";
    const gone = mqttError("disconnected", "disconnect() called");
    const pending = this._inflight.concat(this._queue);
    const requests = this._requests;
    this._inflight = [];
    this._queue = [];
    this._requests = [];
    this._idsInUse = {};
    for (let i = 0; i < pending.length; i++) pending[i].reject(gone);
    for (let j = 0; j < requests.length; j++) requests[j].fail(gone);
  }

  /**
   * Publishes a byte-string payload (UTF-8 encode text first). Resolves once
   * written (QoS 0) or acknowledged by the broker (QoS 1); while offline the
   * message waits in a bounded queue, and a QoS 1 message survives reconnects.
   */
  publish(topic: string, payload: string, qos?: QoS, retain?: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const problem = topicNameProblem(topic) || payloadProblem(payload) || (qos && qos !== 1 ? "QoS must be 0 or 1" : null);
      if (problem) return reject(mqttError("invalid argument", problem));
      if (this._queue.length >= (this._o.maxQueued || 20)) return reject(mqttError("queue full", "publish queue is full"));
      this._queue.push({
        publish: { topic: topic, payload: payload, qos: qos || 0, retain: !!retain, dup: false },
        resolve: resolve, reject: reject,
      });
      this._pump();
    });
  }

  /**
   * Subscribes to a topic filter; `handler` gets the messages that match it
   * (every message also goes to the "message" event). Resolves with the QoS the
   * broker granted; rejects if it refused. Kept across reconnects.
   */
  subscribe(filter: string, qos: QoS, handler?: MessageHandler): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const problem = topicFilterProblem(filter) || (qos !== 0 && qos !== 1 ? "QoS must be 0 or 1" : null);
      if (problem) return reject(mqttError("invalid argument", problem));
      this._removeSubscription(filter);
      const sub: ActiveSubscription = { filter: filter, qos: qos, handler: handler, granted: false };
      this._subscriptions.push(sub);
      this._request((id) => {
        return encodeSubscribe(id, [{ filter: filter, qos: qos }]);
      }, (granted) => {
        if (granted[0] === SUBACK_FAILURE) {
          if (this._subscriptions.indexOf(sub) >= 0) this._removeSubscription(filter);
          return reject(mqttError("subscription refused", "broker refused subscription to " + filter));
        }
        sub.granted = true;
        resolve(granted[0]);
      }, reject);
    });
  }

  /** Stops delivering `filter` at once; resolves on UNSUBACK. */
  unsubscribe(filter: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this._removeSubscription(filter);
      this._request((id) => {
        return encodeUnsubscribe(id, [filter]);
      }, () => {
        resolve();
      }, reject);
    });
  }

  // ---- Connection life ----

  private _open(): void {
    this.state = "connecting";
    this._decoder.reset();
    this._connackTimer = setTimeout(() => {
      this._connackTimer = undefined;
      this._lose("connack timeout", "no CONNACK within " + this._seconds("connackTimeout", 30) + " s");
    }, this._seconds("connackTimeout", 30) * 1000);
    let socket: Socket;
    try {
      socket = this._o.transport(() => {
        if (this._socket === socket) {
          this._send(encodeConnect({
            clientId: this._o.clientId, cleanSession: this._o.cleanSession !== false, keepAlive: this._keepAlive,
            username: this._o.username, password: this._o.password, will: this._o.will,
          }));
        }
      });
    } catch (e) {
      this._socket = null;
      return this._lose("socket", "cannot open connection: " + ((e as Error).message || e));
    }
    this._socket = socket;
    // A socket dropped by the client may still report; only the current one is heard.
    socket.on("data", (data: string) => {
      if (this._socket === socket) this._receive(data);
    });
    socket.on("error", (err: { code?: number; message?: string } | string) => {
      const code = typeof err === "object" && err ? err.code : undefined;
      if (this._socket === socket && code !== TLS_CLOSE_NOTIFY) {
        this._emit("error", mqttError("socket", "socket error " + (typeof err === "object" && err ? (err.message || code) : err)));
      }
    });
    socket.on("close", () => {
      // Closed before CONNACK: the broker refused the TLS handshake or the CONNECT.
      if (this._socket === socket) this._lose(this.state === "connecting" ? "closed before connack" : null, "connection closed");
    });
  }

  /** Drops the connection for a reason; reconnects later unless disconnect() was called. */
  private _lose(errorCode: MqttErrorCode | null, reason: string): void {
    if (this.state === "idle" || this.state === "waiting") return;
    if (errorCode) this._emit("error", mqttError(errorCode, reason));
    const wasOnline = this.state === "online";
    this._drop(reason);
    if (wasOnline) this._emit("offline", reason);
    // A listener may have called disconnect().
    if ((this.state as ClientState) === "idle") return;
    const min = this._seconds("reconnectMin", 1);
    const base = Math.min(this._seconds("reconnectMax", 60), min * Math.pow(2, this._attempt++));
    const delay = base / 2 + ((this._o.random || Math.random)() * base) / 2;
    this.state = "waiting";
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = undefined;
      this._open();
    }, delay * 1000);
  }

  /** Closes the current socket, if any, without waiting for it. */
  private _drop(reason: string): void {
    this._stopConnackTimer();
    if (this._keepAliveTimer !== undefined) clearInterval(this._keepAliveTimer);
    this._keepAliveTimer = undefined;
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      try {
        socket.end();
      } catch (e) {
        this._emit("error", mqttError("socket", "closing after " + reason + ": " + e));
      }
    }
  }

  private _online(sessionPresent: boolean): void {
    this._stopConnackTimer();
    this.state = "online";
    this._attempt = 0;
    this._lastReceived = this._o.clock();
    this._pingSent = false;
    if (this._keepAlive > 0) {
      this._keepAliveTimer = setInterval(() => {
        this._checkLink();
      }, this._keepAlive * 250);
    }
    // A resubscription the last connection did not see acknowledged is stale now.
    for (let k = this._requests.length - 1; k >= 0; k--) {
      if (this._requests[k].internal) delete this._idsInUse[this._requests.splice(k, 1)[0].packetId];
    }
    if (!sessionPresent) this._resubscribe();
    for (let i = 0; i < this._requests.length; i++) this._send(this._requests[i].packet);
    // In order, and marked as possible duplicates (section 4.4).
    for (let j = 0; j < this._inflight.length; j++) {
      this._inflight[j].publish.dup = true;
      this._send(encodePublish(this._inflight[j].publish));
    }
    this._pump();
    this._emit("connected", { sessionPresent: sessionPresent });
  }

  /** The broker forgot our subscriptions: ask again for those it had granted. */
  private _resubscribe(): void {
    const wanted: Subscription[] = [];
    for (let i = 0; i < this._subscriptions.length; i++) {
      if (this._subscriptions[i].granted) wanted.push({ filter: this._subscriptions[i].filter, qos: this._subscriptions[i].qos });
    }
    if (wanted.length === 0) return;
    this._request((id) => {
      return encodeSubscribe(id, wanted);
    }, (granted) => {
      for (let k = 0; k < wanted.length; k++) {
        if (granted[k] === SUBACK_FAILURE) {
          this._removeSubscription(wanted[k].filter);
          this._emit("error", mqttError("subscription refused", "broker refused resubscription to " + wanted[k].filter));
        }
      }
    }, () => {}, true);
  }

  /** Keep-alive: a PINGREQ before the broker's 1x limit; no byte in for 1.5x is a dead link. */
  private _checkLink(): void {
    const now = this._o.clock();
    const silentFor = now - this._lastReceived;
    if (silentFor >= 1.5 * this._keepAlive) {
      return this._lose("dead link", "nothing received for " + silentFor.toFixed(1) + " s (keep-alive " + this._keepAlive + " s)");
    }
    if (!this._pingSent && (now - this._lastSent >= 0.75 * this._keepAlive || silentFor >= 0.75 * this._keepAlive)) {
      this._pingSent = true;
      this._send(encodePingreq());
    }
  }

  // ---- Packets ----

  private _send(bytes: string): void {
    if (!this._socket) return;
    this._lastSent = this._o.clock();
    this._socket.write(bytes);
  }

  private _receive(data: string): void {
    const socket = this._socket;
    this._lastReceived = this._o.clock();
    const result = this._decoder.feed(data);
    for (let i = 0; i < result.packets.length && this._socket === socket; i++) this._handle(result.packets[i]);
    if (result.error && this._socket === socket) {
      this._lose("protocol", "protocol error (" + result.error.code + "): " + result.error.message);
    }
  }

  private _handle(p: IncomingPacket): void {
    if (this.state === "connecting") {
      if (p.type !== "connack") return this._lose("protocol", "broker sent " + p.type + " before CONNACK");
      if (p.returnCode) {
        return this._lose("connection refused", "broker refused the connection: " + CONNACK_REASONS[p.returnCode]);
      }
      return this._online(p.sessionPresent);
    }
    switch (p.type) {
      case "connack":
        return this._lose("protocol", "second CONNACK");
      case "publish":
        this._dispatch(p);
        if (p.qos === 1) this._send(encodePuback(p.packetId));
        return;
      case "puback":
        for (let i = 0; i < this._inflight.length; i++) {
          if (this._inflight[i].publish.packetId === p.packetId) {
            const done = this._inflight.splice(i, 1)[0];
            delete this._idsInUse[p.packetId];
            done.resolve();
            return this._pump();
          }
        }
        return; // a late duplicate acknowledgement
      case "suback":
      case "unsuback":
        for (let j = 0; j < this._requests.length; j++) {
          if (this._requests[j].packetId === p.packetId) {
            const request = this._requests.splice(j, 1)[0];
            delete this._idsInUse[p.packetId];
            return request.done(p.type === "suback" ? p.granted : []);
          }
        }
        return;
      case "pingresp":
        this._pingSent = false;
        return;
    }
  }

  private _dispatch(p: Publish): void {
    this._emit("message", p.topic, p.payload, p);
    // A copy: a handler may (un)subscribe.
    const subs = this._subscriptions.slice();
    for (let i = 0; i < subs.length; i++) {
      const handler = subs[i].handler;
      if (handler && topicMatches(subs[i].filter, p.topic)) this._call(handler, [p.topic, p.payload, p], true);
    }
  }

  /** Sends queued publishes while online and the in-flight window has room. */
  private _pump(): void {
    while (this.state === "online" && this._queue.length > 0) {
      const next = this._queue[0];
      if (next.publish.qos === 1) {
        if (this._inflight.length >= (this._o.maxInflight || 10)) return;
        next.publish.packetId = this._newPacketId();
        this._inflight.push(next);
      }
      this._queue.shift();
      this._send(encodePublish(next.publish));
      if (next.publish.qos === 0) next.resolve();
    }
  }

  private _request(encode: (packetId: number) => string, done: (granted: number[]) => void, fail: (e: MqttError) => void, internal?: boolean): void {
    const id = this._newPacketId();
    const r: PendingRequest = { packetId: id, packet: encode(id), done: done, fail: fail, internal: !!internal };
    this._requests.push(r);
    if (this.state === "online") this._send(r.packet);
  }

  private _removeSubscription(filter: string): void {
    for (let i = 0; i < this._subscriptions.length; i++) {
      if (this._subscriptions[i].filter === filter) this._subscriptions.splice(i--, 1);
    }
  }

  /** 1..65535, never one still awaiting its acknowledgement. */
  private _newPacketId(): number {
    do {
      this._lastId = (this._lastId % 65535) + 1;
    } while (this._idsInUse[this._lastId]);
    this._idsInUse[this._lastId] = true;
    return this._lastId;
  }

  /** The interpreter throws on clearTimeout(undefined). */
  private _stopConnackTimer(): void {
    if (this._connackTimer !== undefined) clearTimeout(this._connackTimer);
    this._connackTimer = undefined;
  }

  private _seconds(name: "connackTimeout" | "reconnectMin" | "reconnectMax", fallback: number): number {
    const value = this._o[name];
    return value === undefined ? fallback : value;
  }

  private _emit(event: keyof ClientEvents, a?: any, b?: any, c?: any): void {
    const list = this._listeners[event];
    if (!list) return;
    for (let i = 0; i < list.length; i++) this._call(list[i], [a, b, c], event !== "error");
  }

  /** Runs a user callback; what it throws is reported (unless by an error listener), never thrown into a socket callback. */
  private _call(f: Function, args: any[], report?: boolean): void {
    try {
      f(args[0], args[1], args[2]);
    } catch (e) {
      if (report !== false) this._emit("error", mqttError("callback", "a callback threw: " + ((e as Error).message || e)));
    }
  }
}
