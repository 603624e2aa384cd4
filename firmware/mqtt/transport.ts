// What the client needs of a connection: the shape of the interpreter's
// sockets, so `require("tls").connect` is a transport as it is, and a test
// can hand in anything that behaves the same way.

/** A byte-stream connection with the interpreter's socket events. */
export interface Socket {
  /** Bytes as a byte string; held by the socket until it can send them. */
  write(data: string): unknown;
  /** Closes the connection; `close` follows once it is gone. */
  end(): void;
  /** "data" (byte string), "error" ({code, message}), "close" (no argument). */
  on(event: string, callback: (arg?: any) => void): void;
}

/** Opens a new connection; calls `ready` once it may be written to. */
export type Transport = (ready: () => void) => Socket;

/** The error a TLS socket on the interpreter reports when the peer closes cleanly (close-notify). */
export const TLS_CLOSE_NOTIFY = -30848;
