// The object store through @aws-sdk/client-s3 and its presigner, unmodified,
// and presigned URLs fetched over HTTPS the way a device does.
import assert from "node:assert/strict";
import https from "node:https";
import { test } from "node:test";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Bench } from "../../host/bench/bench.ts";
import { presignGetUrl } from "../../host/bench/sigv4.ts";
import { benchForTests, s3Client, sleep } from "./helpers.ts";

let bench: Bench;
let s3: S3Client;
const image = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff));

benchForTests({}, async (b) => {
  bench = b;
  s3 = s3Client(bench);
  await s3.send(new PutObjectCommand({ Bucket: "fw", Key: "builds/app v2.bin", Body: image, ContentType: "application/octet-stream" }));
});

/** GET over HTTPS trusting only the bench CA, as a device would. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: bench.ca.ca.certPem, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

const served = async (key: string) => {
  const res = await fetch(`${bench.control.url}/bench/objects`);
  const { objects } = (await res.json()) as { objects: { key: string; bytesServed: number; size: number }[] };
  return objects.find((o) => o.key === key);
};

test("PutObject, HeadObject and GetObject round-trip the bytes with the MD5 ETag", async () => {
  const head = await s3.send(new HeadObjectCommand({ Bucket: "fw", Key: "builds/app v2.bin" }));
  assert.equal(head.ContentLength, image.length);
  assert.equal(head.ETag, `"${(await import("node:crypto")).createHash("md5").update(image).digest("hex")}"`);
  const got = await s3.send(new GetObjectCommand({ Bucket: "fw", Key: "builds/app v2.bin" }));
  assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), image);
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: "fw", Key: "missing" })), (e: Error) => e.name === "NoSuchKey");
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: "fw", Key: "missing" })), (e: Error) => e.name === "NotFound");
});

test("Range requests get 206 with Content-Range; an unsatisfiable range gets 416", async () => {
  const part = await s3.send(new GetObjectCommand({ Bucket: "fw", Key: "builds/app v2.bin", Range: "bytes=1000-1999" }));
  assert.equal(part.ContentRange, `bytes 1000-1999/${image.length}`);
  assert.deepEqual(Buffer.from(await part.Body!.transformToByteArray()), image.subarray(1000, 2000));
  const tail = await s3.send(new GetObjectCommand({ Bucket: "fw", Key: "builds/app v2.bin", Range: "bytes=-10" }));
  assert.deepEqual(Buffer.from(await tail.Body!.transformToByteArray()), image.subarray(image.length - 10));
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: "fw", Key: "builds/app v2.bin", Range: "bytes=200000-" })), (e: Error) => e.name === "InvalidRange");
});

test("a URL from @aws-sdk/s3-request-presigner downloads, with Range, and bytes served are counted", async () => {
  const before = (await served("builds/app v2.bin"))!.bytesServed;
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "fw", Key: "builds/app v2.bin" }), { expiresIn: 60 });
  const whole = await get(url);
  assert.equal(whole.status, 200);
  assert.deepEqual(whole.body, image);
  const part = await get(url, { Range: "bytes=0-99" });
  assert.equal(part.status, 206);
  assert.equal(part.headers["content-range"], `bytes 0-99/${image.length}`);
  assert.equal((await served("builds/app v2.bin"))!.bytesServed - before, image.length + 100);
});

test("expired, altered or re-pointed presigned URLs get 403 with S3's XML error", async () => {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "fw", Key: "builds/app v2.bin" }), { expiresIn: 1 });
  await sleep(1100);
  const expired = await get(url);
  assert.equal(expired.status, 403);
  assert.match(expired.body.toString(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);

  const fresh = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: "fw", Key: "builds/app v2.bin" }), { expiresIn: 600 }));
  const longer = new URL(fresh);
  longer.searchParams.set("X-Amz-Expires", "3600");
  assert.match((await get(longer.href)).body.toString(), /<Code>SignatureDoesNotMatch<\/Code>/);
  const other = new URL(fresh);
  other.pathname = "/fw/other.bin";
  assert.equal((await get(other.href)).status, 403);
  const sig = fresh.searchParams.get("X-Amz-Signature")!;
  const flipped = new URL(fresh);
  flipped.searchParams.set("X-Amz-Signature", (sig[0] === "a" ? "b" : "a") + sig.slice(1));
  assert.equal((await get(flipped.href)).status, 403);
  const bare = await get(`${bench.objects.url}/fw/builds/app%20v2.bin`);
  assert.equal(bare.status, 403);
  assert.equal((await get(fresh.href)).status, 200);
});

test("the bench's own presigned URLs (what job documents carry) download the object", async () => {
  const url = bench.objects.url;
  assert.ok(url.startsWith("https://localhost:"));
  const signed = presignGetUrl(`${url}/fw/builds/app%20v2.bin`, bench.credentials, bench.region, 60);
  const res = await get(signed);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, image);
  const stale = presignGetUrl(`${url}/fw/builds/app%20v2.bin`, bench.credentials, bench.region, 60, Date.now() - 61_000);
  assert.equal((await get(stale)).status, 403);
});
