// The control API's thing and thing-group operations, with the paths and
// shapes @aws-sdk/client-iot sends: CreateThing, DescribeThing,
// CreateThingGroup, DescribeThingGroup, AddThingToThingGroup and
// ListThingsInThingGroup. A thing joining a group is handed to the Jobs
// service, so running CONTINUOUS jobs targeting the group reach it.
// Groups are static and flat: parent groups, dynamic groups and tags are refused.
import { type Json, type Route, asciiText, attributes, epochSeconds, invalid, notFound, object, page } from "./api.ts";
import type { JobsService } from "./jobs-service.ts";
import type { Registry } from "./registry.ts";


export function thingRoutes(service: JobsService, registry: Registry): Route[] {
  /** The name a request gives directly or through an ARN (`<kind>Name` or `<kind>Arn`), of an existing resource. */
  const named = (body: Json, kind: "thing" | "thingGroup"): string => {
    const arn = body[`${kind}Arn`];
    const name = typeof arn === "string" ? (kind === "thing" ? registry.thingNameOfArn(arn) : registry.thingGroupNameOfArn(arn)) : body[`${kind}Name`];
    if (typeof name !== "string") throw invalid(`${kind}Name or a ${kind}Arn of this bench is required`);
    const exists = kind === "thing" ? registry.get(name) : registry.getThingGroup(name);
    if (!exists) throw notFound(`${kind === "thing" ? "Thing" : "Thing group"} ${name} does not exist`);
    return name;
  };

  return [
    {
      method: "POST",
      pattern: /^\/things\/([^/]+)$/,
      handler: ([thingName], _q, body) => {
        const payload = object(body.attributePayload, "attributePayload");
        const thing = registry.createThing(thingName, attributes(payload?.attributes, "attributePayload.attributes"));
        return { thingName, thingArn: registry.thingArn(thingName), thingId: thing.thingId };
      },
    },
    {
      method: "GET",
      pattern: /^\/things\/([^/]+)$/,
      handler: ([thingName]) => {
        const thing = registry.get(thingName);
        if (!thing) throw notFound(`Thing ${thingName} does not exist`);
        return { thingName, thingArn: registry.thingArn(thingName), thingId: thing.thingId, attributes: thing.attributes, version: 1, defaultClientId: thingName };
      },
    },
    {
      method: "POST",
      pattern: /^\/thing-groups\/([^/]+)$/,
      handler: ([groupName], _q, body) => {
        for (const unsupported of ["parentGroupName", "tags"]) {
          if (body[unsupported] !== undefined) throw invalid(`the bench does not support ${unsupported}`);
        }
        const properties = object(body.thingGroupProperties, "thingGroupProperties");
        const description = asciiText(properties?.thingGroupDescription, "thingGroupProperties.thingGroupDescription");
        const payload = object(properties?.attributePayload, "thingGroupProperties.attributePayload");
        const group = registry.createThingGroup(groupName, description, attributes(payload?.attributes, "attributePayload.attributes"));
        return { thingGroupName: groupName, thingGroupArn: registry.thingGroupArn(groupName), thingGroupId: group.thingGroupId };
      },
    },
    {
      method: "GET",
      pattern: /^\/thing-groups\/([^/]+)$/,
      handler: ([groupName]) => {
        const group = registry.getThingGroup(groupName);
        if (!group) throw notFound(`Thing group ${groupName} does not exist`);
        return {
          thingGroupName: groupName,
          thingGroupId: group.thingGroupId,
          thingGroupArn: registry.thingGroupArn(groupName),
          version: 1,
          thingGroupProperties: {
            ...(group.description !== undefined && { thingGroupDescription: group.description }),
            attributePayload: { attributes: group.attributes },
          },
          thingGroupMetadata: { creationDate: epochSeconds(group.createdAt) },
        };
      },
    },
    {
      method: "PUT",
      pattern: /^\/thing-groups\/addThingToThingGroup$/,
      handler: (_m, _q, body) => {
        const groupName = named(body, "thingGroup");
        const thingName = named(body, "thing");
        if (registry.addThingToGroup(groupName, thingName)) service.thingJoinedGroup(thingName, registry.thingGroupArn(groupName));
        return {};
      },
    },
    {
      method: "GET",
      pattern: /^\/thing-groups\/([^/]+)\/things$/,
      handler: ([groupName], q) => {
        if (!registry.getThingGroup(groupName)) throw notFound(`Thing group ${groupName} does not exist`);
        const { items, nextToken } = page(registry.thingsInGroup(groupName), q);
        return { things: items, ...(nextToken && { nextToken }) };
      },
    },
  ];
}
