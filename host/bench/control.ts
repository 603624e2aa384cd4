// The control API over HTTP, following the AWS IoT REST paths and JSON shapes
// that @aws-sdk/client-iot uses, so `new IoTClient({ endpoint })` works
// unmodified (control-jobs.ts and control-things.ts list the operations).
// Requests must be SigV4 signed (service "iot") with the bench credentials.
// Errors carry the exception name in x-amzn-ErrorType and {"message"} in the
// body, as AWS sends them; a path or method of no operation answers
// UnknownOperationException, never an error a caller would take for a missing
// resource. Under /bench/ (unsigned, for local tools): device registration,
// bytes served and endpoints.
import http from "node:http";
import { ApiError, type Json, type Route, invalid, unknownOperation } from "./api.ts";
import { jobRoutes } from "./control-jobs.ts";
import { thingRoutes } from "./control-things.ts";
import type { JobsService } from "./jobs-service.ts";
import { AlreadyExistsError, type Registry } from "./registry.ts";
import { type AwsCredentials, verifyAuthorization } from "./sigv4.ts";
import type { Store } from "./store.ts";
import type { ThingCredentials } from "./ca.ts";
import { derBase64 } from "../pki/ca.ts";
import { listen, readBody } from "./listen.ts";

export interface ControlOptions {
  port?: number;
  host?: string;
  service: JobsService;
  registry: Registry;
  store: Store;
  credentials: AwsCredentials;
  /** What a registered device needs besides its credentials (endpoints). */
  deviceEndpoints: () => Record<string, unknown>;
  /** The bench CA certificate (PEM), which signs the MQTT and object store certificates. */
  caPem: string;
}

export interface RunningControl {
  port: number;
  url: string;
  close(): Promise<void>;
}

const SIGNATURE_ERRORS: Record<string, string> = {
  SignatureDoesNotMatch: "InvalidSignatureException",
  InvalidAccessKeyId: "UnrecognizedClientException",
  MissingAuthenticationToken: "MissingAuthenticationTokenException",
};

export async function startControl(opts: ControlOptions): Promise<RunningControl> {
  const { service, registry } = opts;
  const routes: Route[] = [
    ...jobRoutes(service, registry),
    ...thingRoutes(service, registry),
    {
      method: "POST",
      pattern: /^\/bench\/things\/([^/]+)\/device$/,
      handler: async ([thingName]) => deviceConfig(await registry.registerDevice(thingName), registry.thingArn(thingName), opts.deviceEndpoints()),
    },
    { method: "GET", pattern: /^\/bench\/objects$/, handler: () => ({ objects: opts.store.objectStats() }) },
    // Where the other services are and the CA that signs their certificates, for host tools.
    { method: "GET", pattern: /^\/bench\/endpoints$/, handler: () => ({ ...opts.deviceEndpoints(), caPem: opts.caPem }) },
  ];

  const server = http.createServer((req, res) => {
    serve(req, routes, opts.credentials).then(
      ({ status, body, type }) => {
        res.writeHead(status, { "Content-Type": "application/json", ...(type && { "x-amzn-ErrorType": type }) });
        res.end(JSON.stringify(body));
      },
      () => res.destroy(),
    );
  });
  const host = opts.host ?? "127.0.0.1";
  const listening = await listen(server, opts.port ?? 0, host);
  return { ...listening, url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${listening.port}` };
}

async function serve(req: http.IncomingMessage, routes: Route[], credentials: AwsCredentials): Promise<{ status: number; body: Json; type?: string }> {
  try {
    const body = await readBody(req);
    const method = req.method ?? "GET";
    const [rawPath, rawQuery = ""] = (req.url ?? "/").split(/\?(.*)/s, 2);
    if (!rawPath.startsWith("/bench/")) {
      const denied = verifyAuthorization({ method, rawPath, rawQuery, headers: req.headers, body }, credentials, "iot");
      if (denied) throw new ApiError(403, SIGNATURE_ERRORS[denied.code] ?? "ForbiddenException", denied.message);
    }
    const path = rawPath.split("/").map(decodeURIComponent).join("/");
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (m && route.method === method) {
        return { status: 200, body: await route.handler(m.slice(1), new URLSearchParams(rawQuery), parseJson(body)) };
      }
    }
    throw unknownOperation(method, path);
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, type: err.type, body: { message: err.message, ...(err.resourceId !== undefined && { resourceId: err.resourceId }) } };
    if (err instanceof AlreadyExistsError) return { status: 409, type: "ResourceAlreadyExistsException", body: { message: err.message } };
    if (err instanceof RangeError || err instanceof URIError) return { status: 400, type: "InvalidRequestException", body: { message: err.message } };
    return { status: 500, type: "InternalFailureException", body: { message: (err as Error).message } };
  }
}

function parseJson(body: Buffer): Json {
  if (body.length === 0) return {};
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw invalid("the request body is not valid JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalid("the request body must be a JSON object");
  return json as Json;
}

/** Everything a device (real board or simulator) needs to reach the bench: key, certificate and CA as PEM and DER-base64. */
function deviceConfig(creds: ThingCredentials, thingArn: string, endpoints: Record<string, unknown>): Json {
  const { thingName, keyPem, certPem, caPem, certificateId } = creds;
  const der = { certDerB64: derBase64(creds.certDer), keyDerB64: derBase64(creds.keyDer), caDerB64: derBase64(creds.caDer) };
  return { thingName, keyPem, certPem, ...der, certificateId, caPem, thingArn, ...endpoints };
}
