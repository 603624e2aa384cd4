// What the control API's routes share: the route shape, refusals named as the
// AWS IoT API reference names them (x-amzn-ErrorType, HTTP status), and the
// field checks of its request shapes (patterns and limits from the API's model).
import { PRINTABLE_FORBIDDEN } from "./jobs-requests.ts";
import { JOB_ID } from "./jobs.ts";

export type Json = Record<string, unknown>;
export type Route = { method: string; pattern: RegExp; handler: (m: string[], q: URLSearchParams, body: Json) => Json | Promise<Json> };

/** A refusal of the request: the AWS exception name, HTTP status and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly resourceId?: string,
  ) {
    super(message);
  }
}

/** A timestamp as the control API writes it: epoch seconds with the milliseconds as a fraction. */
export const epochSeconds = (ms: number): number => ms / 1000;

export const invalid = (message: string): ApiError => new ApiError(400, "InvalidRequestException", message);
export const notFound = (message: string): ApiError => new ApiError(404, "ResourceNotFoundException", message);
export const alreadyExists = (message: string, resourceId?: string): ApiError => new ApiError(409, "ResourceAlreadyExistsException", message, resourceId);
export const invalidState = (message: string): ApiError => new ApiError(409, "InvalidStateTransitionException", message);
export const versionConflict = (message: string): ApiError => new ApiError(409, "VersionConflictException", message);
/** A path or method no operation has: 404 UnknownOperationException (https://docs.aws.amazon.com/iot/latest/apireference/CommonErrors.html). */
export const unknownOperation = (method: string, path: string): ApiError => new ApiError(404, "UnknownOperationException", `no operation at ${method} ${path}`);

// Patterns of the API's model. Java's \p{Upper}, \p{Digit} and \p{Graph} are ASCII-only.
const REASON_CODE = /^[A-Z0-9_]+$/; // [\p{Upper}\p{Digit}_]+
const ASCII_TEXT = /^[\x20-\x7e]*$/; // [\p{Graph}\x20]*
const MAX_PAGE = 250;

export function validJobId(jobId: string): string {
  if (!JOB_ID.test(jobId)) throw invalid("jobId must be 1 to 64 characters of [a-zA-Z0-9_-]");
  return jobId;
}

export function object(v: unknown, name: string): Json | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw invalid(`${name} must be an object`);
  return v as Json;
}

export function integer(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw invalid(`${name} must be an integer from ${min} to ${max}`);
  return v;
}

function text(v: unknown, name: string, max: number, allowed: (s: string) => boolean, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length > max || !allowed(v)) throw invalid(`${name} must be at most ${max} ${what}`);
  return v;
}

/** Comments and descriptions: [^\p{C}]+, at most `max` characters. */
export const printable = (v: unknown, name: string, max = 2028): string | undefined =>
  text(v, name, max, (s) => s.length > 0 && !PRINTABLE_FORBIDDEN.test(s), "printable characters");

/** CancelJob's reasonCode: [\p{Upper}\p{Digit}_]+, at most 128 characters. */
export const reasonCode = (v: unknown): string | undefined => text(v, "reasonCode", 128, (s) => REASON_CODE.test(s), "characters of A-Z, 0-9 and _");

/** A thing group's description: [\p{Graph}\x20]*, at most 2028 characters. */
export const asciiText = (v: unknown, name: string): string | undefined => text(v, name, 2028, (s) => ASCII_TEXT.test(s), "printable ASCII characters");

/** A string-to-string map (thing and group attributes). */
export function attributes(v: unknown, name: string): Record<string, string> {
  const o = object(v, name) ?? {};
  if (!Object.values(o).every((x) => typeof x === "string")) throw invalid(`${name} values must be strings`);
  return o as Record<string, string>;
}

/** A boolean query parameter such as `force`. */
export function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v !== null && v !== "true" && v !== "false") throw invalid(`${name} must be true or false`);
  return v === "true";
}

/** One page of `items` for maxResults (1..250, default 250) and nextToken (the offset a previous page gave). */
export function page<T>(items: T[], q: URLSearchParams): { items: T[]; nextToken?: string } {
  const max = q.has("maxResults") ? Number(q.get("maxResults")) : MAX_PAGE;
  if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE) throw invalid(`maxResults must be an integer from 1 to ${MAX_PAGE}`);
  const start = q.has("nextToken") ? Number(q.get("nextToken")) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalid("nextToken is not valid");
  return { items: items.slice(start, start + max), ...(start + max < items.length && { nextToken: String(start + max) }) };
}

/** A query parameter that must be one of `allowed` when present. */
export function oneOf<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw invalid(`${name} must be one of ${allowed.join(", ")}`);
  return v as T;
}
