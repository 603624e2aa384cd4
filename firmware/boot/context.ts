// What the loader tells the image it started: which slot, whether on trial,
// and the trial's confirm timer. The loader and the application are separate
// bundles, so this is handed over in one global, written only by the loader.

export interface BootContext {
  slot: number;
  trial: boolean;
  version: string;
  md5: string;
  /** The trial's confirm-window timer; confirm() clears it. */
  confirmTimer: number | undefined;
}

declare const global: { __fotaBoot?: BootContext };

export function setBootContext(context: BootContext): void {
  global.__fotaBoot = context;
}

/** Undefined when the image was not started by the loader (e.g. sent over the console). */
export function bootContext(): BootContext | undefined {
  return global.__fotaBoot;
}
