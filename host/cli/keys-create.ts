// `fota keys create`: a signing key pair (docs/signing.md). The private key
// stays on this machine; the public key goes to boards through `fota flash`.
// Writes NAME.key.pem (mode 0600) and NAME.pub.pem, never over existing files.
import { parseFlags } from "./args.ts";
import { fail } from "./errors.ts";
import { createKeyPair, SigningError, KEY_SIZES, type CreatedKeyPair, type KeySize } from "../signing/keys.ts";

export const KEYS_CREATE_USAGE = `fota keys create [--bits ${KEY_SIZES.join("|")}] [--out NAME]`;
const DEFAULT_NAME = "fota-signing";

export function keysCreate(argv: string[], log: (line: string) => void = console.log): CreatedKeyPair {
  const flags = parseFlags(argv, { values: ["bits", "out"] });
  if (flags.positional.length > 0) fail(`unexpected "${flags.positional[0]}": ${KEYS_CREATE_USAGE}`);
  const bits = Number(flags.values.bits ?? 2048);
  if (!(KEY_SIZES as readonly number[]).includes(bits)) fail(`--bits must be ${KEY_SIZES.join(" or ")}, got "${flags.values.bits}"`);
  const name = flags.values.out ?? DEFAULT_NAME;
  let pair: CreatedKeyPair;
  try {
    pair = createKeyPair(name, bits as KeySize);
  } catch (e) {
    if (e instanceof SigningError) fail(e.message);
    throw e;
  }
  log(`RSA-${pair.bits} key ${pair.keyId}: private key ${pair.privatePath} (mode 0600, keep it on this machine), public key ${pair.publicPath} (for fota flash)`);
  return pair;
}
