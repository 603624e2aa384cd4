// The power-safe boot record: an append-only log of checksummed snapshots of
// the boot state over the record pages, after ESP-IDF's otadata and MCUboot.
// Its states, transitions, the loader's action for each content and every
// power-failure case are written down in docs/boot-record.md.
import type { BoardLayout } from "../board/layout";
import { BootState, decodeEntry, encodeEntry, entrySize } from "./entry";
import { EntryLog, FlashPages } from "./log";
import { emptySlot, SlotMeta } from "./slot-meta";

export class BootRecord {
  private readonly _log: EntryLog<BootState>;
  private readonly _slotCount: number;

  constructor(flash: FlashPages, layout: Pick<BoardLayout, "bootRecord" | "pageSize" | "slots">) {
    const count = layout.slots.length;
    this._slotCount = count;
    this._log = new EntryLog<BootState>(
      flash,
      layout.bootRecord,
      layout.pageSize,
      entrySize(count),
      (buf, at) => decodeEntry(buf, at, count),
      (s) => s.seq,
    );
  }

  /** The last durable state; before provisioning: nothing confirmed, every slot empty. */
  state(): BootState {
    const latest = this._log.latest();
    if (latest) return copyState(latest);
    const slots: SlotMeta[] = [];
    for (let i = 0; i < this._slotCount; i++) slots.push(emptySlot());
    return { seq: 0, counterFloor: 0, confirmed: null, trial: null, trialStarts: 0, failure: null, slots };
  }

  /**
   * Applies one transition to a copy of the state and makes the result
   * durable (one entry write, after a page erase when the page is full).
   * Returns the new state. A transition that throws writes nothing.
   *   record.change((s) => countTrialStart(s));
   */
  change(transition: (s: BootState) => void): BootState {
    const next = this.state();
    transition(next);
    next.seq++;
    this._log.append(next, encodeEntry(next));
    return copyState(next);
  }
}

function copyState(s: BootState): BootState {
  const slots: SlotMeta[] = [];
  for (let i = 0; i < s.slots.length; i++) {
    const m = s.slots[i];
    slots.push({ state: m.state, size: m.size, crc32: m.crc32, md5: m.md5, stored: m.stored, counter: m.counter, version: m.version, jobId: m.jobId });
  }
  const f = s.failure;
  return { seq: s.seq, counterFloor: s.counterFloor, confirmed: s.confirmed, trial: s.trial, trialStarts: s.trialStarts, failure: f ? { reason: f.reason, slot: f.slot, detail: f.detail } : null, slots };
}
