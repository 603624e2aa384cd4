// A thing connected to AWS IoT: it owns the MQTT connection (mutual TLS with
// the configuration's certificate, client id = thing name) and speaks text and
// JSON to the application, UTF-8 on the wire.
import { MqttClient, mqttError, type ClientEvents, type ClientOptions, type MqttError } from "../mqtt/client";
import { deviceClock, tlsTransport } from "../mqtt/device";
import type { QoS } from "../mqtt/packets";
import { utf8Decode, utf8Encode } from "../mqtt/utf8";
import type { AwsConfig } from "./config";

/** A message as text (decoded from UTF-8). */
export type TextHandler = (topic: string, text: string) => void;

export class Thing {
  readonly name: string;
  readonly mqtt: MqttClient;
  private _waiting: { resolve: () => void; reject: (e: MqttError) => void; timer?: number }[] = [];

  /** `options` override the MQTT client's (keepAlive, reconnect delays, a test's transport...). */
  constructor(config: AwsConfig, options?: Partial<ClientOptions>) {
    this.name = config.thingName;
    const o: ClientOptions = {
      transport: tlsTransport({ host: config.endpoint, port: config.port, ca: config.ca, key: config.key, cert: config.cert }),
      clientId: config.thingName,
      clock: deviceClock,
    };
    this.mqtt = new MqttClient(Object.assign(o, options));
    this.mqtt.on("connected", () => {
      const waiting = this._waiting;
      this._waiting = [];
      for (let i = 0; i < waiting.length; i++) {
        // The interpreter throws on clearTimeout(undefined).
        if (waiting[i].timer !== undefined) clearTimeout(waiting[i].timer);
        waiting[i].resolve();
      }
    });
  }

  /**
   * Connects (and from then on reconnects by itself); resolves once online.
   * With `timeoutSeconds`, rejects (code "timeout") if not online by then; the
   * client keeps trying in the background until disconnect().
   */
  connect(timeoutSeconds?: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.mqtt.state === "online") return resolve();
      const waiter: { resolve: () => void; reject: (e: MqttError) => void; timer?: number } = { resolve: resolve, reject: reject };
      if (timeoutSeconds) {
        waiter.timer = setTimeout(() => {
          this._waiting.splice(this._waiting.indexOf(waiter), 1);
          reject(mqttError("timeout", "not connected to AWS IoT within " + timeoutSeconds + " s"));
        }, timeoutSeconds * 1000);
      }
      this._waiting.push(waiter);
      this.mqtt.connect();
    });
  }

  /**
   * Closes the connection and stops reconnecting. Resolves once it is gone
   * (at most `timeoutSeconds` later, default 5), so its memory is free.
   */
  disconnect(timeoutSeconds?: number): Promise<void> {
    const mqtt = this.mqtt;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, (timeoutSeconds || 5) * 1000);
      mqtt.disconnect(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get online(): boolean {
    return this.mqtt.state === "online";
  }

  /** Publishes text, or an object as JSON, UTF-8 encoded. */
  publish(topic: string, message: string | object, qos?: QoS): Promise<void> {
    return this.mqtt.publish(topic, utf8Encode(typeof message === "string" ? message : JSON.stringify(message)), qos);
  }

  /** Subscribes `handler` to a topic filter, kept across reconnects; resolves with the granted QoS. */
  subscribe(filter: string, qos: QoS, handler: TextHandler): Promise<number> {
    return this.mqtt.subscribe(filter, qos, (topic, payload) => {
      handler(topic, utf8Decode(payload));
    });
  }

  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.mqtt.on(event, listener);
    return this;
  }
}
