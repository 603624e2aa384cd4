// The end-to-end tests' plumbing: a simulated board provisioned as a bench
// thing, FOTA jobs created on the bench through the unmodified AWS SDK (image
// uploaded to its object store, document with the presigned-URL placeholder),
// and their executions followed to the end.
import { createHash } from "node:crypto";
import { CreateJobCommand, DescribeJobExecutionCommand } from "@aws-sdk/client-iot";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { Bench } from "../../host/bench/bench.ts";
import { isTerminal } from "../../host/bench/jobs.ts";
import { thingStorageFiles } from "../../host/bench/ca.ts";
import { HOST_BOARD } from "../../host/toolchain/board.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { startBoard, type TestBoard } from "../support/sim.ts";
import { iotClient, s3Client, thingArn } from "../bench/helpers.ts";
import { trustAnchorFor } from "../../host/signing/keys.ts";
import { bootVerifyFiles } from "../../host/signing/boot-verify.ts";
import { TRUST_ANCHOR_FILE } from "../../firmware/fota/manifest.ts";

export const md5Of = (image: string | Uint8Array): string => createHash("md5").update(typeof image === "string" ? Buffer.from(image, "latin1") : image).digest("hex");

/** What a test's document builder gets: the image's URL placeholder, its MD5 and size. */
export type DocumentOf = (url: string, md5: string, size: number) => unknown;

export interface Execution {
  status: string;
  details: Record<string, string>;
}

/**
 * A simulated board provisioned as `thing`: the loader, its configuration and
 * `extraFiles` in Storage, `v1` copied into slot 0 by the provisioning image,
 * then restarted into v1 and connected to the bench.
 */
export async function provisionedBoard(bench: Bench, thing: string, v1: string, extraFiles: Record<string, string> = {}): Promise<TestBoard> {
  const creds = await bench.registry.registerDevice(thing);
  const board = await startBoard({
    ".bootcde": await buildDeviceScript("firmware/loader/main.ts", HOST_BOARD, "1.0.0"),
    "fota.img": v1,
    "app.json": JSON.stringify({ samplePeriodS: 1 }),
    ".fota": JSON.stringify({ confirmWindowS: 30, watchdogS: 10 }),
    ...extraFiles,
    ...thingStorageFiles(creds, "localhost", bench.mqtt.port),
  });
  await board.sim.evaluate(`global.FOTA_VERSION = "1.0.0"`);
  await board.sim.evaluate(await buildDeviceScript("firmware/provision/main.ts"));
  await board.sim.evaluate(`setTimeout(function () { E.reboot(); }, 10), 0`);
  await board.sim.waitFor(new RegExp(`^connected to localhost as ${thing}$`), 30_000);
  return board;
}

export class FotaJobs {
  private count = 0;
  constructor(
    private readonly bench: () => Bench,
    private readonly thing: string,
    private readonly prefix: string,
  ) {}

  /** Uploads `image` and creates a job whose document is `document(url placeholder, md5, size)`; returns its id. */
  async create(image: string, document: DocumentOf, presigned = true): Promise<string> {
    const bench = this.bench();
    const jobId = `${this.prefix}-${++this.count}`;
    const key = `${jobId}/app.js`;
    await s3Client(bench).send(new PutObjectCommand({ Bucket: "fota", Key: key, Body: Buffer.from(image, "latin1") }));
    const url = `\${aws:iot:s3-presigned-url:${new URL(bench.objects.url).origin}/fota/${key}}`;
    await iotClient(bench).send(
      new CreateJobCommand({
        jobId,
        targets: [thingArn(bench, this.thing)],
        document: JSON.stringify(document(url, md5Of(image), image.length)),
        ...(presigned && { presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/fota", expiresInSec: 3600 } }),
      }),
    );
    return jobId;
  }

  async status(jobId: string): Promise<string | undefined> {
    const { execution } = await iotClient(this.bench()).send(new DescribeJobExecutionCommand({ jobId, thingName: this.thing }));
    return execution?.status;
  }

  /** The execution once it is in a terminal status; `context()` is added to the error if it never gets there. */
  async final(jobId: string, context: () => string, timeoutMs = 90_000): Promise<Execution> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { execution } = await iotClient(this.bench()).send(new DescribeJobExecutionCommand({ jobId, thingName: this.thing }));
      if (execution?.status && isTerminal(execution.status)) return { status: execution.status, details: (execution.statusDetails?.detailsMap ?? {}) as Record<string, string> };
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${execution?.status} after ${timeoutMs} ms; board said:\n${context()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The version and slot the board's application last announced ("2.0.0@1"), from its console lines. */
export function runningImage(lines: string[], board = "linux"): string {
  const pattern = new RegExp(`^app (\\S+) on ${board}, slot (\\d+)`);
  const line = [...lines].reverse().find((l) => pattern.test(l));
  const m = line ? pattern.exec(line) : null;
  return m ? `${m[1]}@${m[2]}` : "none";
}

/**
 * The Storage files of fota flash --trust-key --verify-at-boot (host/signing/boot-verify.ts)
 * for `v1` (version 1.0.0, counter 1) in slot 0 on the Linux board, as Storage strings.
 */
export async function verifyAtBootFiles(v1: string, owner: { privatePath: string; publicPath: string }, settings: Record<string, unknown>): Promise<Record<string, string>> {
  const verifier = await buildDeviceScript("firmware/verifier/main.ts", "linux");
  const made = bootVerifyFiles(Buffer.from(v1, "latin1"), { board: "linux", version: "1.0.0", counter: 1, keyPath: owner.privatePath }, Buffer.from(verifier, "latin1"), settings);
  const files: Record<string, string> = { [TRUST_ANCHOR_FILE]: trustAnchorFor(owner.publicPath) };
  for (const [name, bytes] of Object.entries(made.files)) files[name] = bytes.toString("latin1");
  return files;
}

