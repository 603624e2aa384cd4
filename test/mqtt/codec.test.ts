// The MQTT codec against bytes worked out by hand from the MQTT 3.1.1
// specification, cross-checked with mqtt-packet (the parser MQTT.js uses),
// fed in every split, and fuzzed.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as mqttPacket from "mqtt-packet";
import {
  Decoder, encodeConnect, encodeDisconnect, encodePingreq, encodePuback, encodePublish,
  encodeSubscribe, encodeUnsubscribe, payloadProblem, topicFilterProblem, topicNameProblem,
} from "../../firmware/mqtt/codec.ts";
import type { IncomingPacket, ProtocolErrorCode } from "../../firmware/mqtt/packets.ts";
import { utf8Decode, utf8Encode } from "../../firmware/mqtt/utf8.ts";

/** "10 0a 00" → byte string. */
function hex(s: string): string {
  return Buffer.from(s.replace(/\s+/g, ""), "hex").toString("latin1");
}

function ascii(s: string): string {
  return Buffer.from(s, "latin1").toString("hex").replace(/(..)/g, "$1 ").trim();
}

/** Parses bytes with mqtt-packet (protocol level 4) and returns its packets, or throws its error. */
function theirParse(bytes: string): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: mqttPacket.Packet[] = [];
  let error: Error | undefined;
  parser.on("packet", (p) => out.push(p));
  parser.on("error", (e) => (error ??= e));
  parser.parse(Buffer.from(bytes, "latin1"));
  if (error) throw error;
  return out;
}

function decodeAll(bytes: string, max = 1 << 20): { packets: IncomingPacket[]; error: ProtocolErrorCode | null } {
  const r = new Decoder(max).feed(bytes);
  return { packets: r.packets, error: r.error ? r.error.code : null };
}

// ---- Encoders: section numbers are those of the MQTT 3.1.1 specification ----

test("CONNECT (3.1): minimal, clean session", () => {
  const bytes = encodeConnect({ clientId: "dev1", cleanSession: true, keepAlive: 60 });
  // type 1 | remaining 16 | "MQTT" | level 4 | flags: clean | keep-alive 60 | client id
  assert.equal(ascii(bytes), "10 10 00 04 4d 51 54 54 04 02 00 3c 00 04 64 65 76 31");
  const [p] = theirParse(bytes) as mqttPacket.IConnectPacket[];
  assert.equal(p.cmd, "connect");
  assert.equal(p.clientId, "dev1");
  assert.equal(p.clean, true);
  assert.equal(p.keepalive, 60);
  assert.equal(p.protocolVersion, 4);
});

test("CONNECT (3.1): will, user name and password, session kept", () => {
  const bytes = encodeConnect({
    clientId: "c", cleanSession: false, keepAlive: 10, username: "u", password: "p",
    will: { topic: "w/t", payload: "bye", qos: 1, retain: true },
  });
  // flags 0xec = user name 0x80 | password 0x40 | will retain 0x20 | will QoS 1 0x08 | will 0x04
  assert.equal(ascii(bytes),
    "10 1d 00 04 4d 51 54 54 04 ec 00 0a 00 01 63 00 03 77 2f 74 00 03 62 79 65 00 01 75 00 01 70");
  const [p] = theirParse(bytes) as mqttPacket.IConnectPacket[];
  assert.equal(p.clean, false);
  assert.equal(p.username, "u");
  assert.equal(Buffer.from(p.password!).toString(), "p");
  assert.equal(p.will!.topic, "w/t");
  assert.equal(Buffer.from(p.will!.payload as Buffer).toString(), "bye");
  assert.equal(p.will!.qos, 1);
  assert.equal(p.will!.retain, true);
});

test("CONNECT (3.1): user name without password; keep-alive off", () => {
  const bytes = encodeConnect({ clientId: "", cleanSession: true, keepAlive: 0, username: "me" });
  assert.equal(ascii(bytes), "10 10 00 04 4d 51 54 54 04 82 00 00 00 00 00 02 6d 65");
  const [p] = theirParse(bytes) as mqttPacket.IConnectPacket[];
  assert.equal(p.username, "me");
  assert.equal(p.password, undefined);
});

test("PUBLISH (3.3): QoS 0, and QoS 1 with retain and DUP", () => {
  const q0 = encodePublish({ topic: "a/b", payload: "hi", qos: 0, retain: false, dup: false });
  assert.equal(ascii(q0), "30 07 00 03 61 2f 62 68 69");
  const q1 = encodePublish({ topic: "a/b", payload: "hi", qos: 1, retain: true, dup: true, packetId: 10 });
  // 0x3b = PUBLISH | DUP 0x08 | QoS 1 0x02 | RETAIN 0x01; packet id 10 follows the topic
  assert.equal(ascii(q1), "3b 09 00 03 61 2f 62 00 0a 68 69");
  const [p] = theirParse(q1) as mqttPacket.IPublishPacket[];
  assert.deepEqual([p.topic, p.qos, p.retain, p.dup, p.messageId, String(p.payload)], ["a/b", 1, true, true, 10, "hi"]);
});

test("PUBLISH (3.3): binary payload, byte lengths of UTF-8 text", () => {
  const payload = "\x00\xff\x80\x7f";
  const topic = utf8Encode("capteur/température");
  assert.equal(topic.length, 20); // "é" is two bytes
  const bytes = encodePublish({ topic, payload, qos: 0, retain: false, dup: false });
  const [p] = theirParse(bytes) as mqttPacket.IPublishPacket[];
  assert.equal(p.topic, "capteur/température");
  assert.deepEqual([...(p.payload as Buffer)], [0, 255, 128, 127]);
});

test("remaining length (2.2.3): every boundary of the spec's table", () => {
  // [remaining length, its encoding] from table 2.4
  const table: [number, string][] = [[0, "00"], [127, "7f"], [128, "80 01"], [16383, "ff 7f"],
    [16384, "80 80 01"], [2097151, "ff ff 7f"], [2097152, "80 80 80 01"]];
  for (const [length, encoded] of table) {
    // topic "t" (3 bytes) + payload fills the rest; length 0 uses PINGREQ
    const bytes = length === 0 ? encodePingreq() : encodePublish({ topic: "t", payload: "x".repeat(length - 3), qos: 0, retain: false, dup: false });
    const header = encoded.split(" ").length;
    assert.equal(ascii(bytes.substring(1, 1 + header)), encoded, `length ${length}`);
    assert.equal(bytes.length, 1 + header + length);
    if (length > 0) {
      const decoded = decodeAll(bytes, 1 << 22).packets[0] as { payload: string };
      assert.equal(decoded.payload.length, length - 3);
    }
  }
});

test("SUBSCRIBE (3.8), UNSUBSCRIBE (3.10): fixed-header flags 0010", () => {
  const sub = encodeSubscribe(1, [{ filter: "a/+", qos: 1 }, { filter: "#", qos: 0 }]);
  assert.equal(ascii(sub), "82 0c 00 01 00 03 61 2f 2b 01 00 01 23 00");
  const [s] = theirParse(sub) as mqttPacket.ISubscribePacket[];
  assert.equal(s.messageId, 1);
  assert.deepEqual(s.subscriptions.map((x) => [x.topic, x.qos]), [["a/+", 1], ["#", 0]]);
  const unsub = encodeUnsubscribe(2, ["a/+", "b"]);
  assert.equal(ascii(unsub), "a2 0a 00 02 00 03 61 2f 2b 00 01 62");
  const [u] = theirParse(unsub) as mqttPacket.IUnsubscribePacket[];
  assert.deepEqual([u.messageId, u.unsubscriptions], [2, ["a/+", "b"]]);
});

test("PUBACK (3.4), PINGREQ (3.12), DISCONNECT (3.14)", () => {
  assert.equal(ascii(encodePuback(10)), "40 02 00 0a");
  assert.equal(ascii(encodePuback(65535)), "40 02 ff ff");
  assert.equal(ascii(encodePingreq()), "c0 00");
  assert.equal(ascii(encodeDisconnect()), "e0 00");
  assert.deepEqual(theirParse(encodePuback(10) + encodePingreq() + encodeDisconnect()).map((p) => p.cmd),
    ["puback", "pingreq", "disconnect"]);
});

test("validators of topic names, filters and payloads (4.7)", () => {
  assert.equal(topicNameProblem("a/b"), null);
  assert.match(topicNameProblem("")!, /empty/);
  assert.match(topicNameProblem("a/+")!, /wildcard/);
  assert.match(topicNameProblem("a/#")!, /wildcard/);
  assert.match(topicNameProblem("é\u0100")!, /UTF-8/);
  for (const ok of ["#", "+", "a/#", "+/+/c", "a//b", "/", "$SYS/#", "+/#"]) assert.equal(topicFilterProblem(ok), null, ok);
  for (const bad of ["", "a#", "a/#/b", "a+/b", "a/b+", "#/a", "x\u20ac"]) assert.notEqual(topicFilterProblem(bad), null, bad);
  assert.equal(payloadProblem("\x00\xff"), null);
  assert.match(payloadProblem("\u20ac")!, /UTF-8/);
});

test("utf8Encode / utf8Decode agree with Node's UTF-8", () => {
  const samples = ["", "plain", "é", "€uro", "𝄞 clef", "日本語", "\u007f\u0080\u07ff\u0800\uffff"];
  for (const s of samples) {
    const bytes = utf8Encode(s);
    assert.equal(bytes, Buffer.from(s, "utf8").toString("latin1"), s);
    assert.equal(utf8Decode(bytes), s);
  }
  // Malformed input: what Node's decoder (WHATWG) makes of it.
  for (const bad of ["\xe0\x80\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\xe2\x82", "\xed\xa0\x80", "\xf5\x80\x80\x80", "\x80", "a\xffb", "\xf0\x9f\x98"]) {
    assert.equal(utf8Decode(bad), Buffer.from(bad, "latin1").toString("utf8"), ascii(bad));
  }
  assert.equal(utf8Encode("\ud800x"), "\xef\xbf\xbdx"); // lone surrogate
});

// ---- Decoder ----

/** Every packet a broker may send a client, hand-encoded from the spec, with what it decodes to. */
const INCOMING: [string, string, IncomingPacket][] = [
  ["CONNACK accepted", "20 02 00 00", { type: "connack", sessionPresent: false, returnCode: 0 }],
  ["CONNACK session present", "20 02 01 00", { type: "connack", sessionPresent: true, returnCode: 0 }],
  ["CONNACK bad protocol version", "20 02 00 01", { type: "connack", sessionPresent: false, returnCode: 1 }],
  ["CONNACK identifier rejected", "20 02 00 02", { type: "connack", sessionPresent: false, returnCode: 2 }],
  ["CONNACK server unavailable", "20 02 00 03", { type: "connack", sessionPresent: false, returnCode: 3 }],
  ["CONNACK bad user name or password", "20 02 00 04", { type: "connack", sessionPresent: false, returnCode: 4 }],
  ["CONNACK not authorized", "20 02 00 05", { type: "connack", sessionPresent: false, returnCode: 5 }],
  ["SUBACK QoS 0, 1, failure", "90 05 00 07 00 01 80", { type: "suback", packetId: 7, granted: [0, 1, 0x80] }],
  ["SUBACK QoS 2 granted", "90 03 12 34 02", { type: "suback", packetId: 0x1234, granted: [2] }],
  ["UNSUBACK", "b0 02 00 02", { type: "unsuback", packetId: 2 }],
  ["PUBLISH QoS 0", "30 07 00 03 61 2f 62 68 69",
    { type: "publish", topic: "a/b", payload: "hi", qos: 0, retain: false, dup: false, packetId: 0 }],
  ["PUBLISH QoS 0 retained, empty payload", "31 03 00 01 74",
    { type: "publish", topic: "t", payload: "", qos: 0, retain: true, dup: false, packetId: 0 }],
  ["PUBLISH QoS 1 DUP", "3a 09 00 03 61 2f 62 ff fe 00 80",
    { type: "publish", topic: "a/b", payload: "\x00\x80", qos: 1, retain: false, dup: true, packetId: 0xfffe }],
  ["PUBACK", "40 02 00 0a", { type: "puback", packetId: 10 }],
  ["PINGRESP", "d0 00", { type: "pingresp" }],
];

test("decoder: every packet a broker sends, golden bytes, same as mqtt-packet", () => {
  for (const [name, bytes, expected] of INCOMING) {
    const r = decodeAll(hex(bytes));
    assert.equal(r.error, null, name);
    assert.deepEqual(r.packets, [expected], name);
    // mqtt-packet reads the same bytes the same way.
    const [theirs] = theirParse(hex(bytes)) as any[];
    assert.equal(theirs.cmd, expected.type, name);
    if (expected.type === "connack") assert.deepEqual([theirs.sessionPresent, theirs.returnCode], [expected.sessionPresent, expected.returnCode]);
    if (expected.type === "suback") assert.deepEqual(theirs.granted, expected.granted);
    if (expected.type === "publish") {
      assert.deepEqual([theirs.topic, theirs.qos, theirs.dup, theirs.retain, Buffer.from(theirs.payload).toString("latin1")],
        [expected.topic, expected.qos, expected.dup, expected.retain, expected.payload]);
    }
    if ("packetId" in expected && expected.packetId) assert.equal(theirs.messageId, expected.packetId, name);
  }
});

test("decoder: packets mqtt-packet generates", () => {
  const packets: [mqttPacket.Packet, IncomingPacket][] = [
    [{ cmd: "connack", returnCode: 5, sessionPresent: false }, { type: "connack", sessionPresent: false, returnCode: 5 }],
    [{ cmd: "suback", messageId: 300, granted: [1, 128, 0] }, { type: "suback", packetId: 300, granted: [1, 128, 0] }],
    [{ cmd: "publish", topic: "x/y/z", payload: Buffer.alloc(1000, 7), qos: 1, messageId: 42, retain: true, dup: false },
      { type: "publish", topic: "x/y/z", payload: "\x07".repeat(1000), qos: 1, retain: true, dup: false, packetId: 42 }],
    [{ cmd: "unsuback", messageId: 9 } as mqttPacket.Packet, { type: "unsuback", packetId: 9 }],
    [{ cmd: "puback", messageId: 65535 }, { type: "puback", packetId: 65535 }],
    [{ cmd: "pingresp" }, { type: "pingresp" }],
  ];
  for (const [theirs, ours] of packets) {
    assert.deepEqual(decodeAll(mqttPacket.generate(theirs, { protocolVersion: 4 }).toString("latin1")).packets, [ours]);
  }
});

/** Malformed input, each with the error it must be reported as. */
const MALFORMED: [string, string, ProtocolErrorCode][] = [
  ["remaining length of 5 bytes", "30 ff ff ff ff 01", "bad remaining length"],
  ["reserved type 0", "00 00", "reserved packet type"],
  ["reserved type 15", "f0 00", "reserved packet type"],
  ["CONNECT sent to a client", "10 00", "unexpected packet type"],
  ["PUBREC (QoS 2 flow)", "50 02 00 01", "unexpected packet type"],
  ["PUBLISH QoS 2", "34 07 00 01 74 00 01 68 69", "unexpected packet type"],
  ["SUBSCRIBE sent to a client", "82 06 00 01 00 01 23 00", "unexpected packet type"],
  ["CONNACK with flags", "22 02 00 00", "bad flags"],
  ["PINGRESP with flags", "d1 00", "bad flags"],
  ["PUBLISH QoS 3", "36 07 00 01 74 00 01 68 69", "bad flags"],
  ["PUBLISH QoS 0 with DUP", "38 03 00 01 74", "bad flags"],
  ["CONNACK of 3 bytes", "20 03 00 00 00", "bad length"],
  ["PUBACK of 1 byte", "40 01 00", "bad length"],
  ["PINGRESP with a body", "d0 01 00", "bad length"],
  ["SUBACK without codes", "90 02 00 01", "bad length"],
  ["PUBLISH topic length overruns", "30 03 00 05 61", "bad length"],
  ["PUBLISH without topic length", "30 01 00", "bad length"],
  ["PUBLISH QoS 1 without packet id", "32 04 00 02 61 62", "bad length"],
  ["CONNACK reserved return code", "20 02 00 06", "bad field"],
  ["CONNACK reserved flags", "20 02 02 00", "bad field"],
  ["CONNACK refusal with session", "20 02 01 05", "bad field"],
  ["SUBACK bad code", "90 03 00 01 03", "bad field"],
  ["PUBACK packet id 0", "40 02 00 00", "bad field"],
  ["PUBLISH QoS 1 packet id 0", "32 05 00 01 74 00 00", "bad field"],
  ["PUBLISH to a wildcard", "30 03 00 01 23", "bad field"],
  ["PUBLISH empty topic", "30 02 00 00", "bad field"],
];

test("decoder: malformed input is a named protocol error, never an exception", () => {
  for (const [name, bytes, code] of MALFORMED) {
    const d = new Decoder(1024);
    const r = d.feed(hex(bytes));
    assert.equal(r.error?.code, code, name);
    assert.equal(d.buffered(), 0, name);
    // Once failed it stays failed, holding nothing, until reset.
    assert.equal(d.feed(hex("d0 00")).error?.code, code, name);
    assert.equal(d.buffered(), 0);
    d.reset();
    assert.deepEqual(d.feed(hex("d0 00")), { packets: [{ type: "pingresp" }], error: null });
  }
});

test("decoder: packets before an error are still delivered", () => {
  const r = new Decoder(64).feed(hex("d0 00 40 02 00 01 f0 00 d0 00"));
  assert.deepEqual(r.packets, [{ type: "pingresp" }, { type: "puback", packetId: 1 }]);
  assert.equal(r.error?.code, "reserved packet type");
});

test("decoder: a packet over the maximum is refused from its header alone", () => {
  const d = new Decoder(100);
  const ok = encodePublish({ topic: "t", payload: "x".repeat(95), qos: 0, retain: false, dup: false });
  assert.equal(ok.length, 100);
  assert.equal(d.feed(ok).packets.length, 1);
  const big = encodePublish({ topic: "t", payload: "x".repeat(96), qos: 0, retain: false, dup: false });
  // Only the first 3 bytes arrive: the header already says 101 bytes.
  assert.equal(d.feed(big.substring(0, 3)).error?.code, "packet too long");
  assert.equal(d.buffered(), 0);
  // A 4-byte length that claims 256 MB is refused the same way.
  assert.equal(new Decoder(1 << 20).feed(hex("30 ff ff ff 7f")).error?.code, "packet too long");
});

/** Every golden incoming packet, one after another. */
const STREAM = INCOMING.map(([, bytes]) => hex(bytes)).join("");
const STREAM_PACKETS = INCOMING.map(([, , p]) => p);

function feedChunks(d: Decoder, chunks: string[]): { packets: IncomingPacket[]; error: ProtocolErrorCode | null; maxBuffered: number } {
  const packets: IncomingPacket[] = [];
  let error: ProtocolErrorCode | null = null;
  let maxBuffered = 0;
  for (const c of chunks) {
    const r = d.feed(c);
    packets.push(...r.packets);
    if (r.error) error ??= r.error.code;
    maxBuffered = Math.max(maxBuffered, d.buffered());
  }
  return { packets, error, maxBuffered };
}

test("decoder: the same stream in every split (one, two and three chunks, and byte by byte)", () => {
  let splits = 0;
  const check = (chunks: string[]) => {
    const r = feedChunks(new Decoder(64), chunks);
    assert.equal(r.error, null);
    assert.deepEqual(r.packets, STREAM_PACKETS);
    splits++;
  };
  check([STREAM]);
  check(STREAM.split(""));
  for (let i = 0; i <= STREAM.length; i++) {
    for (let j = i; j <= STREAM.length; j++) check([STREAM.slice(0, i), STREAM.slice(i, j), STREAM.slice(j)]);
  }
  // A packet larger than the chunks, split at every point, and in socket-sized chunks.
  const big = encodePublish({ topic: "big/one", payload: "\xab".repeat(3000), qos: 1, retain: false, dup: false, packetId: 5 });
  for (let i = 0; i <= big.length; i += 7) {
    const r = feedChunks(new Decoder(4096), [big.slice(0, i), big.slice(i)]);
    assert.equal((r.packets[0] as { payload: string }).payload.length, 3000);
  }
  const chunks = big.match(/[\s\S]{1,300}/g)!;
  const r = feedChunks(new Decoder(4096), chunks);
  assert.equal(r.packets.length, 1);
  console.log(`# decoder: ${splits} splits of a ${STREAM.length}-byte stream of ${STREAM_PACKETS.length} packets`);
});

// ---- Fuzz ----

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("decoder fuzz: random, truncated and mutated packets; no exception, bounded buffer", () => {
  const INPUTS = 120_000;
  const MAX = 256;
  const rand = prng(20261127);
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => { let s = ""; for (let i = 0; i < n; i++) s += String.fromCharCode(int(256)); return s; };
  const valid = [...INCOMING.map(([, b]) => hex(b)),
    encodePublish({ topic: "t/" + bytes(5).replace(/[+#\x00]/g, "x"), payload: bytes(200), qos: 1, retain: true, dup: false, packetId: 77 })];
  const kinds = { random: 0, truncated: 0, mutated: 0, concatenated: 0 };
  let decodedPackets = 0;
  let errors = 0;
  let agreed = 0;
  const d = new Decoder(MAX);
  for (let n = 0; n < INPUTS; n++) {
    let input: string;
    const kind = n % 4;
    if (kind === 0) { input = bytes(int(40)); kinds.random++; }
    else if (kind === 1) { const v = valid[int(valid.length)]; input = v.slice(0, int(v.length)); kinds.truncated++; }
    else if (kind === 2) {
      const v = valid[int(valid.length)].split("");
      for (let m = 1 + int(3); m > 0; m--) v[int(v.length)] = String.fromCharCode(int(256));
      input = v.join(""); kinds.mutated++;
    } else {
      input = ""; for (let m = 1 + int(4); m > 0; m--) input += valid[int(valid.length)];
      if (int(2)) input = input.slice(0, int(input.length + 1));
      kinds.concatenated++;
    }
    // Fed in random chunks, as a socket would.
    const chunks: string[] = [];
    for (let at = 0; at < input.length;) { const len = 1 + int(64); chunks.push(input.slice(at, at + len)); at += len; }
    d.reset();
    let r: ReturnType<typeof feedChunks>;
    try {
      r = feedChunks(d, chunks);
    } catch (e) {
      assert.fail(`input ${n} (${ascii(input)}) threw ${e}`);
    }
    assert.ok(r.maxBuffered <= MAX, `input ${n} buffered ${r.maxBuffered} bytes`);
    decodedPackets += r.packets.length;
    if (r.error) errors++;
    // Whatever we accepted whole, mqtt-packet accepts and reads the same way.
    if (!r.error && d.buffered() === 0 && r.packets.length > 0 && kind !== 0) {
      const theirs = theirParse(input);
      assert.equal(theirs.length, r.packets.length, `input ${n}`);
      theirs.forEach((t: any, i) => {
        const ours = r.packets[i];
        assert.equal(t.cmd, ours.type, `input ${n}`);
        if (ours.type === "publish") {
          assert.equal(Buffer.from(t.payload).toString("latin1"), ours.payload);
          assert.equal(t.topic, Buffer.from(ours.topic, "latin1").toString("utf8"));
        }
      });
      agreed++;
    }
  }
  const total = Object.values(kinds).reduce((a, b) => a + b, 0);
  assert.equal(total, INPUTS);
  console.log(`# decoder fuzz: ${total} inputs (${JSON.stringify(kinds)}), ${decodedPackets} packets decoded, ` +
    `${errors} protocol errors, ${agreed} accepted streams cross-checked with mqtt-packet, max buffered <= ${MAX}`);
});
