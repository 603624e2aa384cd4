// Byte strings (what the interpreter's sockets and Storage deliver) as bytes.
// The interpreter converts natively; the loop serves hosts without E (Node).

/** The interpreter's E; undefined on other hosts (this module also runs in Node tests). */
declare const E: { toUint8Array(s: string): Uint8Array } | undefined;

export function bytesOf(s: string): Uint8Array {
  if (typeof E !== "undefined") return E.toUint8Array(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
