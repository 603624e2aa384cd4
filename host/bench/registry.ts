// The thing registry: things, thing groups and the certificates attached to
// things. A thing registered as a device gets its own key and certificate
// from the bench CA. Thing groups are static (no parents, no dynamic queries).
import { randomUUID } from "node:crypto";
import { type BenchCa, THING_NAME, type ThingCredentials } from "./ca.ts";
import type { Store, Thing, ThingGroup } from "./store.ts";

/** A create call naming an existing resource with other settings (AWS: ResourceAlreadyExistsException). */
export class AlreadyExistsError extends Error {}

export class Registry {
  constructor(
    private readonly store: Store,
    private readonly ca: BenchCa,
    readonly region: string,
    readonly account: string,
  ) {}

  thingArn(name: string): string {
    return `${this.arnPrefix}thing/${name}`;
  }

  thingGroupArn(name: string): string {
    return `${this.arnPrefix}thinggroup/${name}`;
  }

  /** The thing name of a thing ARN of this bench, or undefined. */
  thingNameOfArn(arn: string): string | undefined {
    return this.nameOfArn(arn, "thing");
  }

  /** The group name of a thing-group ARN of this bench, or undefined. */
  thingGroupNameOfArn(arn: string): string | undefined {
    return this.nameOfArn(arn, "thinggroup");
  }

  get(name: string): Thing | undefined {
    return this.store.getThing(name);
  }

  getThingGroup(name: string): ThingGroup | undefined {
    return this.store.getThingGroup(name);
  }

  /** CreateThing: idempotent for the same attributes, AlreadyExistsError for different ones. */
  createThing(name: string, attributes: Record<string, string> = {}): Thing {
    validName(name, "thing");
    const existing = this.store.getThing(name);
    if (existing) {
      if (JSON.stringify(existing.attributes) !== JSON.stringify(attributes)) throw new AlreadyExistsError(`thing ${name} already exists with different attributes`);
      return existing;
    }
    const thing: Thing = { thingName: name, thingId: randomUUID(), attributes, createdAt: Date.now() };
    this.store.putThing(thing);
    return thing;
  }

  /** CreateThingGroup: idempotent for the same properties, AlreadyExistsError for different ones. */
  createThingGroup(name: string, description: string | undefined, attributes: Record<string, string>): ThingGroup {
    validName(name, "thing group");
    const existing = this.store.getThingGroup(name);
    if (existing) {
      if (existing.description !== description || JSON.stringify(existing.attributes) !== JSON.stringify(attributes)) {
        throw new AlreadyExistsError(`thing group ${name} already exists with different properties`);
      }
      return existing;
    }
    const group: ThingGroup = { thingGroupName: name, thingGroupId: randomUUID(), ...(description !== undefined && { description }), attributes, createdAt: Date.now() };
    this.store.putThingGroup(group);
    return group;
  }

  /** Adds an existing thing to an existing group; false when it already was a member. */
  addThingToGroup(groupName: string, thingName: string): boolean {
    return this.store.addThingToGroup(groupName, thingName);
  }

  thingsInGroup(groupName: string): string[] {
    return this.store.thingsInGroup(groupName);
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

  private get arnPrefix(): string {
    return `arn:aws:iot:${this.region}:${this.account}:`;
  }

  private nameOfArn(arn: string, kind: "thing" | "thinggroup"): string | undefined {
    const prefix = `${this.arnPrefix}${kind}/`;
    return arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  }
}

// Thing and thing-group names share AWS's pattern [a-zA-Z0-9:_-]{1,128}.
function validName(name: string, kind: string): void {
  if (!THING_NAME.test(name)) throw new RangeError(`invalid ${kind} name "${name}"`);
}
