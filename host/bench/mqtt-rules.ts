// AWS IoT's message broker rules, as AWS documents them; broker.ts applies them.
// - QoS 0 and 1 only: "When QoS level 2 is requested, the message broker doesn't
//   send a PUBACK or SUBACK" and the connection is closed
//   (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-differences).
// - Payloads of at most 128 KB: "AWS IoT Core rejects publish and connect requests
//   larger than this size" by closing the connection
//   (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits).
// - Reserved topics ($...) "as they allow" (reserved-topics.html): a thing publishes
//   its own requests, never what the service publishes (jobs-topics.ts); "You can't
//   publish to a reserved topic with the RETAIN flag set" (mqtt.html#mqtt-retain).
//   "Unsupported publish or subscribe operations to reserved topics can result in a
//   terminated connection": the bench terminates it.
// - Topic filters (topics.html#topicfilters): "#" matches its own level and all below
//   it, "but the parent topic is not matched" ("a/#" gets "a/" and "a/b", not "a");
//   a filter with a wildcard never receives retained messages (mqtt.html#mqtt-differences).
// - At most 100 inbound publishes per second per connection (iot-core.html#message-broker-limits).
import { isServiceTopic, jobsTopic } from "./jobs-topics.ts";

export const MAX_PAYLOAD_BYTES = 128 * 1024;
export const MAX_QOS = 1;
export const PUBLISHES_PER_SECOND_PER_CONNECTION = 100;

export interface Publication {
  topic: string;
  qos: number;
  retain: boolean;
  payload: Buffer | string;
}

/** Why AWS IoT would close the connection of `thing` over this PUBLISH (or its will), or undefined when it may publish it. */
export function publishRefusal(thing: string, p: Publication): string | undefined {
  if (p.qos > MAX_QOS) return `QoS ${p.qos} is not supported`;
  const size = Buffer.byteLength(p.payload);
  if (size > MAX_PAYLOAD_BYTES) return `a payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}`;
  if (!p.topic.startsWith("$")) return undefined;
  if (p.retain) return `retained messages are refused on the reserved topic ${p.topic}`;
  if (!ownsReservedTopic(thing, p.topic)) return `${thing} may not publish to ${p.topic}`;
  const jobs = jobsTopic(p.topic);
  if (jobs && isServiceTopic(jobs.request)) return `only the Jobs service publishes to ${p.topic}`;
  return undefined;
}

/**
 * Why a subscription of `thing` closes the connection (QoS 2), "refused" for
 * SUBACK 0x80 (another thing's or an unknown reserved topic, as an IoT policy
 * built on ${iot:Connection.Thing.ThingName} refuses it), or undefined when granted.
 */
export function subscribeRefusal(thing: string, filter: string, qos: number): string | "refused" | undefined {
  if (qos > MAX_QOS) return `QoS ${qos} is not supported`;
  return filter.startsWith("$") && !ownsReservedTopic(thing, filter) ? "refused" : undefined;
}

/** Whether a message on `topic` may reach `thing` at all: never another thing's reserved traffic. */
export const thingMayReceive = (thing: string, topic: string): boolean => !topic.startsWith("$aws/") || ownsReservedTopic(thing, topic);

const ownsReservedTopic = (thing: string, topic: string): boolean => topic.startsWith(`$aws/things/${thing}/`);

export const hasWildcard = (filter: string): boolean => /[+#]/.test(filter);

/** AWS IoT's matching of a topic filter against a topic name. */
export function filterMatches(filter: string, topic: string): boolean {
  // A filter starting with a wildcard never matches a $ topic (MQTT 3.1.1 §4.7.2).
  if (topic.startsWith("$") && /^[+#]/.test(filter)) return false;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return t.length > i;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
