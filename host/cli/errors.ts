// A mistake the user can fix (bad flag, missing file, bench not running):
// printed as one line, never as a stack trace.
export class UserError extends Error {}

export function fail(message: string): never {
  throw new UserError(message);
}
