// Verify at boot (docs/signing.md, "Verify at boot"): the Storage files a
// board needs to check its slot's signature at every start, made on the
// owner's machine (the private key stays there): slot 0's signature record,
// staged for the provisioning image to copy raw into its page; the boot
// verifier image; and the loader setting that turns it on.
import "./host-crypto.ts";
import { signedDocument, type SignRequest } from "./sign.ts";
import { signaturePageBytes } from "../../firmware/image/signature-page.ts";
import { LOADER_SETTINGS_FILE, STAGED_SIGNATURE, VERIFIER_FILE } from "../../firmware/provision/files.ts";

export interface BootVerifyFiles {
  /** Storage file name → bytes. */
  files: Record<string, Buffer>;
  /** The key id slot 0 is signed with. */
  keyId: string;
}

/**
 * The files for a board provisioned with `image` in slot 0, signed as
 * `request` says; `verifier` is the built boot verifier (dist/<board>/verifier.js).
 * `settings` are the loader's other settings (.fota), kept.
 */
export function bootVerifyFiles(image: Uint8Array, request: SignRequest, verifier: Uint8Array, settings: Record<string, unknown> = {}): BootVerifyFiles {
  const signed = signedDocument(image, request);
  return {
    files: {
      [STAGED_SIGNATURE]: Buffer.from(signaturePageBytes(signed)),
      [VERIFIER_FILE]: Buffer.from(verifier),
      [LOADER_SETTINGS_FILE]: Buffer.from(JSON.stringify({ ...settings, verifyAtBoot: true })),
    },
    keyId: signed.bc_key,
  };
}
