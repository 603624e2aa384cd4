// The thing registry: things, and the certificates attached to them. A thing
// registered as a device gets its own key and certificate from the bench CA.
import { randomUUID } from "node:crypto";
import { type BenchCa, THING_NAME, type ThingCredentials } from "./ca.ts";
import type { Store, Thing } from "./store.ts";

export class ThingExistsError extends Error {}

export class Registry {
  constructor(
    private readonly store: Store,
    private readonly ca: BenchCa,
    readonly region: string,
    readonly account: string,
  ) {}

  thingArn(name: string): string {
    return `arn:aws:iot:${this.region}:${this.account}:thing/${name}`;
  }

  /** The thing name of a thing ARN of this bench, or undefined. */
  thingNameOfArn(arn: string): string | undefined {
    const prefix = `arn:aws:iot:${this.region}:${this.account}:thing/`;
    return arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  }

  get(name: string): Thing | undefined {
    return this.store.getThing(name);
  }

  /** CreateThing: idempotent for the same attributes, ThingExistsError for different ones. */
  createThing(name: string, attributes: Record<string, string> = {}): Thing {
    if (!THING_NAME.test(name)) throw new RangeError(`invalid thing name "${name}"`);
    const existing = this.store.getThing(name);
    if (existing) {
      if (JSON.stringify(existing.attributes) !== JSON.stringify(attributes)) throw new ThingExistsError(`thing ${name} already exists with different attributes`);
      return existing;
    }
    const thing: Thing = { thingName: name, thingId: randomUUID(), attributes, createdAt: Date.now() };
    this.store.putThing(thing);
    return thing;
  }

  /** The thing (created if needed) with its device certificate attached. */
  async registerDevice(name: string): Promise<ThingCredentials> {
    if (!this.store.getThing(name)) this.createThing(name);
    const creds = await this.ca.thing(name);
    this.store.putCertificate(creds.certificateId, name, creds.certPem);
    return creds;
  }

  thingOfCertificate(certificateId: string): string | undefined {
    return this.store.thingOfCertificate(certificateId);
  }
}
