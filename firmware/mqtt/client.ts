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
  var e = new Error(message) as MqttError;
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
  private o: ClientOptions;
  private keepAlive: number;
  private decoder: Decoder;
  private socket: Socket | null = null;
  private listeners: { [event: string]: Function[] } = {};
  private subscriptions: ActiveSubscription[] = [];
  private requests: PendingRequest[] = [];
  private inflight: Outgoing[] = [];
  private queue: Outgoing[] = [];
  private idsInUse: { [id: string]: boolean } = {};
  private lastId = 0;
  private attempt = 0;
  private lastSent = 0;
  private lastReceived = 0;
  private pingSent = false;
  private connackTimer: ReturnType<typeof setTimeout> | undefined;
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ClientOptions) {
    this.o = options;
    this.keepAlive = options.keepAlive === undefined ? 60 : options.keepAlive;
    this.decoder = new Decoder(options.maxPacketSize || 32768);
  }

  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    (this.listeners[event] = this.listeners[event] || []).push(listener);
    return this;
  }

  /** Starts connecting; from then on the client reconnects by itself until disconnect(). */
  connect(): void {
    if (this.state === "idle") this.open();
  }

  /** Sends DISCONNECT if online, closes, stops reconnecting, and fails what is still pending. */
  disconnect(): void {
    if (this.state === "online") this.send(encodeDisconnect());
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.drop("disconnect() called");
    this.state = "idle";
    var gone = mqttError("disconnected", "disconnect() called");
    var pending = this.inflight.concat(this.queue);
    var requests = this.requests;
    this.inflight = [];
    this.queue = [];
    this.requests = [];
    this.idsInUse = {};
    for (var i = 0; i < pending.length; i++) pending[i].reject(gone);
    for (var j = 0; j < requests.length; j++) requests[j].fail(gone);
  }

  /**
   * Publishes a byte-string payload (UTF-8 encode text first). Resolves once
   * written (QoS 0) or acknowledged by the broker (QoS 1); while offline the
   * message waits in a bounded queue, and a QoS 1 message survives reconnects.
   */
  publish(topic: string, payload: string, qos?: QoS, retain?: boolean): Promise<void> {
    var self = this;
    return new Promise<void>(function (resolve, reject) {
      var problem = topicNameProblem(topic) || payloadProblem(payload) || (qos && qos !== 1 ? "QoS must be 0 or 1" : null);
      if (problem) return reject(mqttError("invalid argument", problem));
      if (self.queue.length >= (self.o.maxQueued || 20)) return reject(mqttError("queue full", "publish queue is full"));
      self.queue.push({
        publish: { topic: topic, payload: payload, qos: qos || 0, retain: !!retain, dup: false },
        resolve: resolve, reject: reject,
      });
      self.pump();
    });
  }

  /**
   * Subscribes to a topic filter; `handler` gets the messages that match it
   * (every message also goes to the "message" event). Resolves with the QoS the
   * broker granted; rejects if it refused. Kept across reconnects.
   */
  subscribe(filter: string, qos: QoS, handler?: MessageHandler): Promise<number> {
    var self = this;
    return new Promise<number>(function (resolve, reject) {
      var problem = topicFilterProblem(filter) || (qos !== 0 && qos !== 1 ? "QoS must be 0 or 1" : null);
      if (problem) return reject(mqttError("invalid argument", problem));
      self.removeSubscription(filter);
      var sub: ActiveSubscription = { filter: filter, qos: qos, handler: handler, granted: false };
      self.subscriptions.push(sub);
      self.request(function (id) {
        return encodeSubscribe(id, [{ filter: filter, qos: qos }]);
      }, function (granted) {
        if (granted[0] === SUBACK_FAILURE) {
          if (self.subscriptions.indexOf(sub) >= 0) self.removeSubscription(filter);
          return reject(mqttError("subscription refused", "broker refused subscription to " + filter));
        }
        sub.granted = true;
        resolve(granted[0]);
      }, reject);
    });
  }

  /** Stops delivering `filter` at once; resolves on UNSUBACK. */
  unsubscribe(filter: string): Promise<void> {
    var self = this;
    return new Promise<void>(function (resolve, reject) {
      self.removeSubscription(filter);
      self.request(function (id) {
        return encodeUnsubscribe(id, [filter]);
      }, function () {
        resolve();
      }, reject);
    });
  }

  // ---- Connection life ----

  private open(): void {
    var self = this;
    this.state = "connecting";
    this.decoder.reset();
    this.connackTimer = setTimeout(function () {
      self.connackTimer = undefined;
      self.lose("connack timeout", "no CONNACK within " + self.seconds("connackTimeout", 30) + " s");
    }, this.seconds("connackTimeout", 30) * 1000);
    var socket: Socket;
    try {
      socket = this.o.transport(function () {
        if (self.socket === socket) {
          self.send(encodeConnect({
            clientId: self.o.clientId, cleanSession: self.o.cleanSession !== false, keepAlive: self.keepAlive,
            username: self.o.username, password: self.o.password, will: self.o.will,
          }));
        }
      });
    } catch (e) {
      this.socket = null;
      return this.lose("socket", "cannot open connection: " + ((e as Error).message || e));
    }
    this.socket = socket;
    // A socket dropped by the client may still report; only the current one is heard.
    socket.on("data", function (data: string) {
      if (self.socket === socket) self.receive(data);
    });
    socket.on("error", function (err: { code?: number; message?: string } | string) {
      var code = typeof err === "object" && err ? err.code : undefined;
      if (self.socket === socket && code !== TLS_CLOSE_NOTIFY) {
        self.emit("error", mqttError("socket", "socket error " + (typeof err === "object" && err ? (err.message || code) : err)));
      }
    });
    socket.on("close", function () {
      // Closed before CONNACK: the broker refused the TLS handshake or the CONNECT.
      if (self.socket === socket) self.lose(self.state === "connecting" ? "closed before connack" : null, "connection closed");
    });
  }

  /** Drops the connection for a reason; reconnects later unless disconnect() was called. */
  private lose(errorCode: MqttErrorCode | null, reason: string): void {
    if (this.state === "idle" || this.state === "waiting") return;
    if (errorCode) this.emit("error", mqttError(errorCode, reason));
    var wasOnline = this.state === "online";
    this.drop(reason);
    if (wasOnline) this.emit("offline", reason);
    // A listener may have called disconnect().
    if ((this.state as ClientState) === "idle") return;
    var self = this;
    var min = this.seconds("reconnectMin", 1);
    var base = Math.min(this.seconds("reconnectMax", 60), min * Math.pow(2, this.attempt++));
    var delay = base / 2 + ((this.o.random || Math.random)() * base) / 2;
    this.state = "waiting";
    this.reconnectTimer = setTimeout(function () {
      self.reconnectTimer = undefined;
      self.open();
    }, delay * 1000);
  }

  /** Closes the current socket, if any, without waiting for it. */
  private drop(reason: string): void {
    this.stopConnackTimer();
    if (this.keepAliveTimer !== undefined) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    var socket = this.socket;
    this.socket = null;
    if (socket) {
      try {
        socket.end();
      } catch (e) {
        this.emit("error", mqttError("socket", "closing after " + reason + ": " + e));
      }
    }
  }

  private online(sessionPresent: boolean): void {
    var self = this;
    this.stopConnackTimer();
    this.state = "online";
    this.attempt = 0;
    this.lastReceived = this.o.clock();
    this.pingSent = false;
    if (this.keepAlive > 0) {
      this.keepAliveTimer = setInterval(function () {
        self.checkLink();
      }, this.keepAlive * 250);
    }
    // A resubscription the last connection did not see acknowledged is stale now.
    for (var k = this.requests.length - 1; k >= 0; k--) {
      if (this.requests[k].internal) delete this.idsInUse[this.requests.splice(k, 1)[0].packetId];
    }
    if (!sessionPresent) this.resubscribe();
    for (var i = 0; i < this.requests.length; i++) this.send(this.requests[i].packet);
    // In order, and marked as possible duplicates (section 4.4).
    for (var j = 0; j < this.inflight.length; j++) {
      this.inflight[j].publish.dup = true;
      this.send(encodePublish(this.inflight[j].publish));
    }
    this.pump();
    this.emit("connected", { sessionPresent: sessionPresent });
  }

  /** The broker forgot our subscriptions: ask again for those it had granted. */
  private resubscribe(): void {
    var self = this;
    var wanted: Subscription[] = [];
    for (var i = 0; i < this.subscriptions.length; i++) {
      if (this.subscriptions[i].granted) wanted.push({ filter: this.subscriptions[i].filter, qos: this.subscriptions[i].qos });
    }
    if (wanted.length === 0) return;
    this.request(function (id) {
      return encodeSubscribe(id, wanted);
    }, function (granted) {
      for (var k = 0; k < wanted.length; k++) {
        if (granted[k] === SUBACK_FAILURE) {
          self.removeSubscription(wanted[k].filter);
          self.emit("error", mqttError("subscription refused", "broker refused resubscription to " + wanted[k].filter));
        }
      }
    }, function () {}, true);
  }

  /** Keep-alive: a PINGREQ before the broker's 1x limit; no byte in for 1.5x is a dead link. */
  private checkLink(): void {
    var now = this.o.clock();
    var silentFor = now - this.lastReceived;
    if (silentFor >= 1.5 * this.keepAlive) {
      return this.lose("dead link", "nothing received for " + silentFor.toFixed(1) + " s (keep-alive " + this.keepAlive + " s)");
    }
    if (!this.pingSent && (now - this.lastSent >= 0.75 * this.keepAlive || silentFor >= 0.75 * this.keepAlive)) {
      this.pingSent = true;
      this.send(encodePingreq());
    }
  }

  // ---- Packets ----

  private send(bytes: string): void {
    if (!this.socket) return;
    this.lastSent = this.o.clock();
    this.socket.write(bytes);
  }

  private receive(data: string): void {
    var socket = this.socket;
    this.lastReceived = this.o.clock();
    var result = this.decoder.feed(data);
    for (var i = 0; i < result.packets.length && this.socket === socket; i++) this.handle(result.packets[i]);
    if (result.error && this.socket === socket) {
      this.lose("protocol", "protocol error (" + result.error.code + "): " + result.error.message);
    }
  }

  private handle(p: IncomingPacket): void {
    if (this.state === "connecting") {
      if (p.type !== "connack") return this.lose("protocol", "broker sent " + p.type + " before CONNACK");
      if (p.returnCode) {
        return this.lose("connection refused", "broker refused the connection: " + CONNACK_REASONS[p.returnCode]);
      }
      return this.online(p.sessionPresent);
    }
    switch (p.type) {
      case "connack":
        return this.lose("protocol", "second CONNACK");
      case "publish":
        this.dispatch(p);
        if (p.qos === 1) this.send(encodePuback(p.packetId));
        return;
      case "puback":
        for (var i = 0; i < this.inflight.length; i++) {
          if (this.inflight[i].publish.packetId === p.packetId) {
            var done = this.inflight.splice(i, 1)[0];
            delete this.idsInUse[p.packetId];
            done.resolve();
            return this.pump();
          }
        }
        return; // a late duplicate acknowledgement
      case "suback":
      case "unsuback":
        for (var j = 0; j < this.requests.length; j++) {
          if (this.requests[j].packetId === p.packetId) {
            var request = this.requests.splice(j, 1)[0];
            delete this.idsInUse[p.packetId];
            return request.done(p.type === "suback" ? p.granted : []);
          }
        }
        return;
      case "pingresp":
        this.pingSent = false;
        return;
    }
  }

  private dispatch(p: Publish): void {
    this.emit("message", p.topic, p.payload, p);
    // A copy: a handler may (un)subscribe.
    var subs = this.subscriptions.slice();
    for (var i = 0; i < subs.length; i++) {
      var handler = subs[i].handler;
      if (handler && topicMatches(subs[i].filter, p.topic)) this.call(handler, [p.topic, p.payload, p], true);
    }
  }

  /** Sends queued publishes while online and the in-flight window has room. */
  private pump(): void {
    while (this.state === "online" && this.queue.length > 0) {
      var next = this.queue[0];
      if (next.publish.qos === 1) {
        if (this.inflight.length >= (this.o.maxInflight || 10)) return;
        next.publish.packetId = this.newPacketId();
        this.inflight.push(next);
      }
      this.queue.shift();
      this.send(encodePublish(next.publish));
      if (next.publish.qos === 0) next.resolve();
    }
  }

  private request(encode: (packetId: number) => string, done: (granted: number[]) => void, fail: (e: MqttError) => void, internal?: boolean): void {
    var id = this.newPacketId();
    var r: PendingRequest = { packetId: id, packet: encode(id), done: done, fail: fail, internal: !!internal };
    this.requests.push(r);
    if (this.state === "online") this.send(r.packet);
  }

  private removeSubscription(filter: string): void {
    for (var i = 0; i < this.subscriptions.length; i++) {
      if (this.subscriptions[i].filter === filter) this.subscriptions.splice(i--, 1);
    }
  }

  /** 1..65535, never one still awaiting its acknowledgement. */
  private newPacketId(): number {
    do {
      this.lastId = (this.lastId % 65535) + 1;
    } while (this.idsInUse[this.lastId]);
    this.idsInUse[this.lastId] = true;
    return this.lastId;
  }

  /** The interpreter throws on clearTimeout(undefined). */
  private stopConnackTimer(): void {
    if (this.connackTimer !== undefined) clearTimeout(this.connackTimer);
    this.connackTimer = undefined;
  }

  private seconds(name: "connackTimeout" | "reconnectMin" | "reconnectMax", fallback: number): number {
    var value = this.o[name];
    return value === undefined ? fallback : value;
  }

  private emit(event: keyof ClientEvents, a?: any, b?: any, c?: any): void {
    var list = this.listeners[event];
    if (!list) return;
    for (var i = 0; i < list.length; i++) this.call(list[i], [a, b, c], event !== "error");
  }

  /** Runs a user callback; what it throws is reported (unless by an error listener), never thrown into a socket callback. */
  private call(f: Function, args: any[], report?: boolean): void {
    try {
      f(args[0], args[1], args[2]);
    } catch (e) {
      if (report !== false) this.emit("error", mqttError("callback", "a callback threw: " + ((e as Error).message || e)));
    }
  }
}
