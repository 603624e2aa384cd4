// The power-safe boot record: which slot is confirmed, which is on trial and
// how often it was started, what each slot holds, and why the last trial or
// update failed. Device code; the flash is passed in (require("Flash") on the
// board, the simulator's chip in tests). The changes themselves are pure
// functions in transitions.ts, so each image bundles only those it makes
// (the loader: countTrialStart, rollBack, markInvalid).
//
// DESIGN (after ESP-IDF's otadata and MCUboot's image trailer; see also
// entry.ts for the byte layout and log.ts for the page rules)
//
// Every change writes a new entry: a complete snapshot of the state with a
// sequence number one higher and a CRC-32 over all its bytes. Entries are
// appended one after another in the record region's pages (two or more); when
// a page is full the next page in the ring is erased and written from its
// start. The newest entry whose magic, CRC and invariants hold is the state.
//   - ESP-IDF keeps two 32-byte entries in two sectors and rewrites one sector
//     per change (an erase per change), and its CRC covers only the sequence
//     number, not the image state. Here the CRC covers the whole entry, and a
//     page is erased only once it is full (a 4 KB page holds 12 entries).
//   - MCUboot writes its trailer fields last-after-data so a torn write reads
//     as "not done". Here the same holds per entry: a torn entry fails its CRC
//     and the previous entry, untouched, is still the newest valid one.
//
// Slot states (slot-meta.ts), with the transition (transitions.ts) that moves them:
//   empty/valid/invalid/aborted --beginWrite--> writing
//   writing --imageWritten--> new          writing/new --markInvalid--> invalid
//   new --startTrial--> new (on trial, 0 starts)
//   new (on trial) --countTrialStart--> pending-verify (on trial, 1+ starts)
//   pending-verify --confirm--> valid (and confirmed; the old confirmed slot stays valid)
//   new/pending-verify (on trial) --rollBack(reason)--> aborted (confirmed slot unchanged)
//   valid (confirmed) --markInvalid("image-corrupt")--> invalid; another valid slot becomes confirmed
// The confirmed slot is never written, erased or put on trial; the slot on
// trial is never written.
//
// The loader at every start: if a slot is on trial with 1+ starts, the trial
// image ran and the board restarted without confirm(): rollBack("restarted")
// (unless a rollBack with a sharper reason was recorded before the restart:
// "not-confirmed" by the confirm timer, "crashed" by the start-up guard).
// If a slot is on trial with 0 starts: countTrialStart(), then run it.
// Otherwise run the confirmed slot (after its CRC-32 check).
//
// POWER FAILURE CASES (each is tested by test/boot/record.test.ts, which cuts
// power, cleanly and torn, at every flash write and erase):
//  1. During an entry write, in a page with room: the entry is absent (clean)
//     or torn (fails its CRC); the previous entry is the newest valid: the
//     state is as before the operation. A torn slot is not blank, so the next
//     append goes after it, never over it (writes only clear bits); one the
//     cut left all 0xFF is blank and simply reused.
//     If the torn write happened to program everything, the new state holds.
//  2. During the erase of the next page (the current one is full): the newest
//     valid entry is in the current page, untouched. The half-erased page holds
//     older entries or garbage: older ones lose on sequence number, garbage
//     fails its CRC. The next append erases that page again.
//  3. During the first entry write in a freshly erased page: as 1; the
//     newest valid entry is still the last one of the previous page, which is
//     only erased once this page holds a newer valid entry.
//  4. Between operations (e.g. after beginWrite, while the slot is being
//     erased and written): the record says "writing", so the loader never runs
//     that slot and update starts it over; the confirmed slot is untouched.
//  5. After startTrial, before the reset: the loader counts the start and runs
//     the trial. After countTrialStart, while the trial runs (or before it
//     confirms): the next start rolls back to the confirmed slot ("restarted").
//  6. During confirm's write: either still on trial with 1 start (the next start
//     rolls back: the image did not durably confirm) or confirmed. Never both,
//     never neither.
//  7. During rollBack's write: still on trial with 1+ starts, so the next start
//     rolls back again (the reason may then be the generic "restarted").
// Never: an erase of the page holding the newest valid entry; a state whose
// confirmed slot is not valid (encodeEntry refuses it, decodeEntry rejects it).
import type { BoardLayout } from "../board/layout";
import { BootState, decodeEntry, encodeEntry, entrySize } from "./entry";
import { EntryLog, FlashPages } from "./log";
import { emptySlot, SlotMeta } from "./slot-meta";

export class BootRecord {
  private readonly log: EntryLog<BootState>;
  private readonly slotCount: number;

  constructor(flash: FlashPages, layout: Pick<BoardLayout, "bootRecord" | "pageSize" | "slots">) {
    const count = layout.slots.length;
    this.slotCount = count;
    this.log = new EntryLog<BootState>(
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
    const latest = this.log.latest();
    if (latest) return copyState(latest);
    const slots: SlotMeta[] = [];
    for (let i = 0; i < this.slotCount; i++) slots.push(emptySlot());
    return { seq: 0, confirmed: null, trial: null, trialStarts: 0, failure: null, slots };
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
    this.log.append(next, encodeEntry(next));
    return copyState(next);
  }
}

function copyState(s: BootState): BootState {
  const slots: SlotMeta[] = [];
  for (let i = 0; i < s.slots.length; i++) {
    const m = s.slots[i];
    slots.push({ state: m.state, size: m.size, crc32: m.crc32, md5: m.md5, version: m.version, jobId: m.jobId });
  }
  const f = s.failure;
  return { seq: s.seq, confirmed: s.confirmed, trial: s.trial, trialStarts: s.trialStarts, failure: f ? { reason: f.reason, slot: f.slot, detail: f.detail } : null, slots };
}
