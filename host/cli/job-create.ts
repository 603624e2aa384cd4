// `fota job create`: upload an image and create the FOTA job for one thing.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateJobCommand, DescribeThingCommand } from "@aws-sdk/client-iot";
import { basename } from "node:path";
import { parseFlags, positiveInteger } from "./args.ts";
import { fail } from "./errors.ts";
import { readImage } from "./image.ts";
import { fotaDocument } from "./job-document.ts";
import { describeAwsError, openTarget, TARGET_FLAGS } from "./target.ts";
import { BoardFileError, boardFlagUsage, DEFAULT_BOARD, loadBoard } from "../toolchain/board.ts";
import { signatureFields } from "../signing/sign.ts";
import { SigningError } from "../signing/keys.ts";

export const JOB_CREATE_USAGE =
  `fota job create --thing NAME --image dist/${DEFAULT_BOARD}/app.js [--slot N|auto] [--version V] [--job-id ID] [--expires SECONDS]\n` +
  `                [--sign KEY.key.pem --counter N [${boardFlagUsage()}]]\n` +
  "                [--timeout-minutes M] [--rollout-per-minute R] [--abort-failed-pct P] [--aws --region R --bucket B --role-arn ARN] [--bench URL]";

export async function jobCreate(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    values: ["thing", "image", "slot", "version", "job-id", "expires", "timeout-minutes", "rollout-per-minute", "abort-failed-pct", "sign", "counter", "board", ...TARGET_FLAGS],
    switches: ["aws"],
  });
  const thing = flags.values.thing ?? fail("--thing NAME is required");
  const image = readImage(flags.values.image ?? fail("--image FILE is required"));
  const slotFlag = flags.values.slot ?? "auto";
  if (slotFlag !== "auto" && !/^[0-9]+$/.test(slotFlag)) fail(`--slot must be a slot number or "auto", got "${slotFlag}"`);
  const slot = slotFlag === "auto" ? "auto" : Number(slotFlag);
  const expires = positiveInteger(flags, "expires") ?? 3600;
  if (expires < 60 || expires > 3600) fail("--expires must be from 60 to 3600 seconds (AWS IoT's presigned URL limits)");
  const timeoutMinutes = positiveInteger(flags, "timeout-minutes");
  const perMinute = positiveInteger(flags, "rollout-per-minute");
  const abortPct = flags.values["abort-failed-pct"] === undefined ? undefined : Number(flags.values["abort-failed-pct"]);
  if (abortPct !== undefined && !(abortPct > 0 && abortPct <= 100)) fail("--abort-failed-pct must be a percentage from 0 to 100");
  const jobId = flags.values["job-id"] ?? `fota-${Date.now()}`;
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(jobId)) fail("--job-id must be 1 to 64 characters of a-z A-Z 0-9 _ -");

  const target = await openTarget(flags);
  if (target.kind === "aws" && (!target.bucket || !target.roleArn)) fail("--aws needs --bucket and --role-arn (or FOTA_BUCKET and FOTA_ROLE_ARN)");
  const key = `${jobId}/${basename(image.path)}`;
  const document = fotaDocument(image, target.objectUrl(key), slot, flags.values.version);
  const signed = flags.values.sign === undefined ? undefined : signFor(image.bytes, flags.values.sign, flags.values.counter, flags.values.board, flags.values.version);
  if (signed) Object.assign(document, signed.fields);
  try {
    const { thingArn } = await target.iot.send(new DescribeThingCommand({ thingName: thing }));
    await target.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: image.bytes, ContentType: "application/javascript" }));
    await target.iot.send(
      new CreateJobCommand({
        jobId,
        targets: [thingArn!],
        document: JSON.stringify(document),
        description: `FOTA ${basename(image.path)} (${image.size} bytes, md5 ${image.md5})`,
        presignedUrlConfig: { roleArn: target.roleArn, expiresInSec: expires },
        ...(timeoutMinutes && { timeoutConfig: { inProgressTimeoutInMinutes: timeoutMinutes } }),
        ...(perMinute && { jobExecutionsRolloutConfig: { maximumPerMinute: perMinute } }),
        ...(abortPct !== undefined && {
          abortConfig: { criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: abortPct, minNumberOfExecutedThings: 1 }] },
        }),
      }),
    );
    console.log(`created job ${jobId} for ${thing}: ${image.path}, ${image.size} bytes, md5 ${image.md5}, slot ${slot} (${target.kind}: s3://${target.bucket}/${key})`);
    if (signed) console.log(`  signed for ${signed.board} with key ${signed.fields.bc_key}, security counter ${signed.fields.bc_counter}, digest ${signed.fields.bc_digest}`);
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === "ResourceNotFoundException") fail(`unknown thing "${thing}" (register it with "fota device add ${thing}")`);
    if (name === "ResourceAlreadyExistsException") fail(`a job "${jobId}" already exists`);
    fail(describeAwsError(e));
  }
}

/** The signature fields of docs/signing.md for the image, or a one-line error. */
function signFor(image: Buffer, keyPath: string, counterFlag: string | undefined, boardFlag: string | undefined, version: string | undefined) {
  if (counterFlag === undefined || !/^[0-9]+$/.test(counterFlag)) fail("--sign needs --counter N: the image's security counter, an integer that only goes up (boards refuse lower ones)");
  try {
    const board = loadBoard(boardFlag ?? DEFAULT_BOARD).layout.name;
    const fields = signatureFields(image, { board, version: version ?? "", counter: Number(counterFlag), keyPath });
    return { board, fields };
  } catch (e) {
    if (e instanceof SigningError || e instanceof BoardFileError) fail(e.message);
    throw e;
  }
}
