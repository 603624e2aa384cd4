// The board's side of the MQTT client: mutual TLS through the interpreter's
// `tls` module, and its clock. Only device code imports this.
import type { Transport } from "./transport";

/** A transport for `require("tls")`. ca, key and cert are DER byte strings (atob of the PEM body): a string of 100 chars or less would be taken as a file name. */
export function tlsTransport(options: TlsConnectOptions): Transport {
  return (ready) => {
    return require("tls").connect(options, ready);
  };
}

/** Seconds since start, as a float. */
export function deviceClock(): number {
  return getTime();
}
