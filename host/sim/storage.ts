// The interpreter's Storage (require("Storage")) on the simulated flash: a
// port of Espruino 2v29's src/jsflash.c, function by function, so that the
// same calls leave the same bytes on flash through the same sequence of flash
// writes and erases (a power cut at any of them leaves what the board would).
// docs/interpreter.md describes the format and what a power cut does.
//
// Format: from the start of the interpreter's Storage area, a chain of files,
// each a 32-byte header (u32 little-endian size, flags in its top byte; a
// 28-byte name padded with zeros) then its data, the next header at the next
// 4-byte boundary. A header is valid if its size word is neither 0 nor
// 0xFFFFFFFF and the file ends inside the area. Where the chain breaks inside
// a page, walks that take every page go on at the start of the next page.
// Erasing a file zeroes the first 4 bytes of its name ("trash").
//
// Left out: the second bank (FLASH_SAVED_CODE2) and the file-address cache
// (ESPR_USE_STORAGE_CACHE), which neither build we target defines; writing
// StorageFiles (open()) and compressed files (save()), which the firmware does
// not use (files of theirs that the interpreter wrote are still listed,
// filtered and compacted as it does). The filename table
// (ESPR_STORAGE_FILENAME_TABLE) is kept: the Linux build defines it.
import { Buffer } from "node:buffer";
import type { InterpreterStorage } from "../toolchain/board.ts";
import { storageJson } from "./storage-json.ts";

/** The flash operations Storage needs (the simulator's flash chip). */
export interface FlashChip {
  read(length: number, addr: number): Uint8Array;
  write(data: Uint8Array, addr: number): void;
  erasePage(addr: number): void;
  /** The erase page holding addr, or undefined outside the chip (jshFlashGetPage). */
  getPage(addr: number): { addr: number; length: number } | undefined;
}

/** The interpreter's exceptions from Storage.write, word for word. */
export const STORAGE_ERRORS = {
  zeroLength: "Can't create zero length file",
  noFile: "Unable to find or create file",
  tooMuchData: "Too much data for file size",
  alreadyWritten: "File already written with different data",
} as const;
export type StorageErrorKind = keyof typeof STORAGE_ERRORS;

export class StorageError extends Error {
  constructor(readonly kind: StorageErrorKind) {
    super(STORAGE_ERRORS[kind]);
    this.name = "StorageError";
  }
}

/** require("Storage").getStats(), field for field. */
export interface StorageStats {
  totalBytes: number;
  freeBytes: number;
  fileBytes: number;
  fileCount: number;
  trashBytes: number;
  trashCount: number;
}

export const HEADER_SIZE = 32;
/** JsfFileName: names longer than this are cut to it. */
const NAME_SIZE = 28;
/** JSF_ALIGNMENT (neither build sets FLASH_64BITS_ALIGNMENT). */
const ALIGNMENT = 4;
const WORD_UNSET = 0xffffffff;
/** JsfFileFlags, in the top byte of the size word. */
const FLAG = { none: 0, filenameTable: 32, storageFile: 64, compressed: 128 } as const;
const FILENAME_TABLE_NAME = "[FILENAME_TABLE]";
const MAX_FILES = 10000;
/** Files made or replaced since the last table before a new table is written (jsfEraseFileInternal). */
const FILENAME_TABLE_AFTER = 200;
/** jsfGetNextFileHeader's modes. */
const GET_EMPTY = 0;
const GET_ALL = 1;
const READ_ONLY_FILENAME_START = 2;

/** JsfFileHeader: read in place, so a partial read leaves the rest of the name as it was, as in C. */
class Header {
  size = 0;
  readonly name = new Uint8Array(NAME_SIZE);
  get firstChars(): number {
    return u32(this.name, 0);
  }
  get fileSize(): number {
    return this.size & 0xffffff;
  }
  get flags(): number {
    return this.size >>> 24;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(HEADER_SIZE);
    new DataView(out.buffer).setUint32(0, this.size >>> 0, true);
    out.set(this.name, 4);
    return out;
  }
}

/** A pointer argument: C passes addresses by reference. */
interface Ref {
  addr: number;
}

export class SimStorage {
  private readonly end: number;
  /** jsfFilenameTableBank1Addr/Size: RAM state, found again at every power-on. */
  private tableAddr = 0;
  private tableSize = 0;

  /**
   * `area` is the interpreter's whole Storage area (not the part of it the
   * project lets Storage fill); its pages are the chip's. `console` receives what the interpreter prints
   * ("Compacting...", "Storage is corrupt.").
   */
  constructor(
    private readonly flash: FlashChip,
    private readonly area: InterpreterStorage,
    private readonly console: (text: string) => void = () => undefined,
  ) {
    this.end = area.start + area.size;
  }

  /**
   * What the interpreter does with Storage at power-on (jsiSemiInit): it
   * checks the chain and finds the filename table; if the chain does not end
   * on a blank header (or Storage looks empty but is not all erased), it
   * prints "Storage is corrupt." and erases the whole area. Returns false then.
   */
  powerOn(): boolean {
    if (this.isStorageValid()) return true;
    this.console("Storage is corrupt.\n");
    this.console("Erasing Storage Area...\n");
    this.eraseAll();
    this.console("Erase complete.\n");
    return false;
  }

  /** Storage.read: a byte string, or undefined if there is no such file. */
  read(name: string, offset = 0, length = 0): string | undefined {
    const bytes = this.readBytes(name, offset, length);
    return bytes === undefined ? undefined : Buffer.from(bytes).toString("latin1");
  }

  /** jsfReadFile: offset and length clipped to the file; length <= 0 reads to the end. */
  readBytes(name: string, offset = 0, length = 0): Uint8Array | undefined {
    const header = new Header();
    let addr = this.findFile(fileName(name), header);
    if (!addr) return undefined;
    const fileLen = header.fileSize;
    if (!(offset > 0)) offset = 0;
    if (!(length > 0)) length = fileLen;
    offset = Math.trunc(offset);
    length = Math.trunc(length);
    if (offset > fileLen) offset = fileLen;
    if (offset + length > fileLen) length = fileLen - offset;
    if (length <= 0) return new Uint8Array(0);
    addr += offset;
    return this.flash.read(length, addr);
  }

  /**
   * Storage.write (jsfWriteFile). Without `size` the data is the whole file.
   * With `size` at offset 0 a file of that size is made (or kept, if one of
   * that size is still blank) and the data written at its start; at a later
   * offset the data goes into the existing file, where those bytes must be
   * blank. Throws StorageError with the interpreter's message; returns false
   * (as the interpreter does, without an exception) for a negative offset or size.
   */
  write(name: string, data: string | Uint8Array, offset = 0, size = 0): boolean {
    offset = Math.trunc(Number(offset) || 0);
    size = Math.trunc(Number(size) || 0);
    if (offset < 0 || size < 0) return false;
    const bytes = typeof data === "string" ? stringBytes(data) : data;
    if (size === 0) size = bytes.length;
    if (!size) throw new StorageError("zeroLength");
    const fname = fileName(name);
    const header = new Header();
    let addr = this.findFile(fname, header);
    if ((!addr && offset === 0) || (addr && offset === 0 && (header.flags !== FLAG.none || size !== header.fileSize || !this.isErased(addr, size)))) {
      if (addr && offset === 0 && size === header.fileSize && header.flags === FLAG.none && bytes.length === size && this.isEqual(addr, bytes)) {
        return true; // the same file again: nothing to write
      }
      if (addr) this.eraseFileInternal(addr, header, true);
      addr = this.createFile(fname, size, FLAG.none, header);
    }
    if (!addr) throw new StorageError("noFile");
    if (offset + bytes.length > header.fileSize) throw new StorageError("tooMuchData");
    addr += offset;
    if (!this.isErased(addr, bytes.length)) throw new StorageError("alreadyWritten");
    this.flashWriteAligned(bytes, addr);
    return true;
  }

  /** Storage.writeJSON: the interpreter's own JSON (unquoted keys where it can). */
  writeJSON(name: string, value: unknown): boolean {
    return this.write(name, storageJson(value, "storage"));
  }

  /** Storage.erase (jsfEraseFile): true if there was such a file. */
  erase(name: string): boolean {
    const header = new Header();
    const addr = this.findFile(fileName(name), header);
    if (!addr) return false;
    this.eraseFileInternal(addr, header, true);
    return true;
  }

  /** Storage.eraseAll (jsfEraseAll): every page of the area, one by one. */
  eraseAll(): void {
    this.tableAddr = 0;
    this.tableSize = 0;
    this.erasePages(this.area.start, this.area.size);
  }

  /**
   * Storage.list(pattern, filter): names in chain order. A string pattern
   * matches as a substring; a RegExp as String#match does (a global one
   * matches every name, as on the interpreter).
   */
  list(pattern?: RegExp | string, filter?: { sf?: boolean }): string[] {
    let containing = 0;
    let notContaining = 0;
    if (filter && "sf" in filter) {
      if (filter.sf) containing |= FLAG.storageFile;
      else notContaining |= FLAG.storageFile;
    }
    const out: string[] = [];
    this.listFiles(this.area.start, (header) => {
      const flags = header.flags;
      if (notContaining & flags) return;
      if (containing && !(containing & flags)) return;
      if (flags & FLAG.storageFile) {
        let i = 0;
        while (i + 1 < NAME_SIZE && header.name[i + 1]) i++;
        if (header.name[i] !== 1) return; // only the first chunk of a StorageFile is listed
        if (containing & FLAG.storageFile) header.name[i] = 0;
      }
      const name = nameString(header.name);
      if (pattern === undefined || matches(name, pattern)) out.push(name);
    });
    return out;
  }

  /** Storage.getFree: bytes after the last file, up to the end of the area. */
  getFree(): number {
    return this.getStorageStats(0, true).free;
  }

  getStats(): StorageStats {
    const s = this.getStorageStats(this.area.start, true);
    return { totalBytes: s.total, freeBytes: s.free, fileBytes: s.fileBytes, fileCount: s.fileCount, trashBytes: s.trashBytes, trashCount: s.trashCount };
  }

  /** Storage.compact (jsfCompact): true if trash was reclaimed. */
  compact(): boolean {
    this.tableAddr = 0;
    this.tableSize = 0;
    return this.bankCompact(this.area.start);
  }

  // ---------------------------------------------------------------- jsflash.c

  private align(addr: number): number {
    return ((addr + (ALIGNMENT - 1)) & ~(ALIGNMENT - 1)) >>> 0;
  }

  private isRealFile(h: Header): boolean {
    const flags = h.flags;
    return h.firstChars !== 0 && (flags === FLAG.none || flags === FLAG.storageFile || flags === FLAG.compressed);
  }

  /** jsfGetFileHeader: loads the header at addr (only size and 4 name bytes unless full) and says if it is valid. */
  private getFileHeader(addr: number, h: Header, full: boolean): boolean {
    if (!addr) return false;
    const bytes = this.flash.read(full ? HEADER_SIZE : 8, addr);
    h.size = u32(bytes, 0);
    h.name.set(bytes.subarray(4), 0);
    const endAddress = addr + HEADER_SIZE + h.fileSize;
    return h.size !== WORD_UNSET && h.size !== 0 && endAddress <= this.end;
  }

  private isErased(addr: number, len: number): boolean {
    const bytes = this.flash.read(len, addr);
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0xff) return false;
    return true;
  }

  private isEqual(addr: number, data: Uint8Array): boolean {
    return Buffer.from(this.flash.read(data.length, addr)).equals(data);
  }

  /** jsfEraseFileInternal: addr is the file's data; zeroes the name's first word. */
  private eraseFileInternal(addr: number, h: Header, createFilenameTable: boolean): void {
    const nameAddr = addr - HEADER_SIZE + 4;
    h.name.fill(0, 0, 4);
    this.flash.write(new Uint8Array(4), nameAddr);
    if (this.area.filenameTable && createFilenameTable && nameAddr >= this.area.start && nameAddr < this.end) {
      const scanAddr = this.tableAddr ? this.tableAddr + this.tableSize : 0;
      const stats = this.getStorageStats(scanAddr, true);
      if (stats.trashCount + stats.fileCount > FILENAME_TABLE_AFTER) this.createFileTable();
    }
  }

  /** jsfGetAddressOfNextPage: the next page's start, or 0 past the end of the area. */
  private nextPage(addr: number): number {
    const page = this.flash.getPage(addr);
    if (!page) return 0;
    const next = page.addr + page.length;
    return next >= this.end ? 0 : next;
  }

  /** jsfGetSpaceLeftInPage: to the end of this page, or of the area if the next page holds no file. */
  private spaceLeftInPage(addr: number): number {
    const page = this.flash.getPage(addr);
    if (!page) return 0;
    let nextPageStart = page.addr + page.length;
    if (nextPageStart < this.end && !this.getFileHeader(nextPageStart, new Header(), false)) nextPageStart = this.end;
    return nextPageStart - addr;
  }

  /** jsfGetNextFileHeader: moves ref to the next header and loads it; GET_ALL goes on at the next page if the chain breaks. */
  private getNextFileHeader(ref: Ref, h: Header, type: number): boolean {
    const oldAddr = ref.addr;
    ref.addr = 0;
    let newAddr = this.align(oldAddr + h.fileSize + HEADER_SIZE);
    if (newAddr < oldAddr) return false;
    if (newAddr + HEADER_SIZE > this.end) return false;
    ref.addr = newAddr;
    const full = !(type & READ_ONLY_FILENAME_START);
    let valid = this.getFileHeader(newAddr, h, full);
    if (type & GET_ALL && !valid) {
      newAddr = this.nextPage(newAddr);
      ref.addr = newAddr;
      if (!newAddr) return false;
      valid = this.getFileHeader(newAddr, h, full);
    }
    return valid;
  }

  /** jsfGetStorageStats. */
  private getStorageStats(addr: number, allPages: boolean) {
    if (!addr) addr = this.area.start;
    const startAddr = addr;
    const stats = { fileBytes: 0, fileCount: 0, trashBytes: 0, trashCount: 0, total: 0, free: 0, firstPageWithErasedFiles: 0 };
    const h = new Header();
    let lastAddr = addr;
    let lastUnbrokenPageStart = addr;
    const ref = { addr };
    if (this.getFileHeader(ref.addr, h, false)) {
      do {
        const page = this.flash.getPage(ref.addr);
        if (page && page.addr === ref.addr) lastUnbrokenPageStart = page.addr;
        const fileSize = this.align(h.fileSize) + HEADER_SIZE;
        lastAddr = ref.addr + fileSize;
        if (h.firstChars !== 0) {
          stats.fileBytes += fileSize;
          stats.fileCount++;
        } else {
          stats.trashBytes += fileSize;
          stats.trashCount++;
          if (!stats.firstPageWithErasedFiles) stats.firstPageWithErasedFiles = lastUnbrokenPageStart;
        }
      } while (this.getNextFileHeader(ref, h, (allPages ? GET_ALL : GET_EMPTY) | READ_ONLY_FILENAME_START));
    }
    const pageEndAddr = allPages ? this.end : this.nextPage(startAddr);
    stats.total = pageEndAddr - startAddr;
    stats.free = pageEndAddr - lastAddr;
    return stats;
  }

  /** jsfCompactWriteBuffer: writes the buffer out, erasing each destination page as it is reached, never a page still being read. */
  private compactWriteBuffer(write: Ref, readAddress: number, buf: SwapBuffer): void {
    let nextFlashPage = this.nextPage(write.addr) || this.end;
    while (buf.used) {
      let s = buf.used;
      if (s + buf.tail > buf.data.length) s = buf.data.length - buf.tail;
      if (s + write.addr > nextFlashPage) s = nextFlashPage - write.addr;
      if (readAddress < nextFlashPage) return; // still reading from the page
      const page = this.flash.getPage(write.addr);
      if (page && page.addr === write.addr) this.flash.erasePage(write.addr);
      this.flash.write(buf.data.slice(buf.tail, buf.tail + s), write.addr);
      write.addr += s;
      nextFlashPage = this.nextPage(write.addr) || this.end;
      buf.tail = (buf.tail + s) % buf.data.length;
      buf.used -= s;
    }
  }

  /** jsfCompactInternal: copies every real file from startAddress down over the trash, through a circular RAM buffer. */
  private compactInternal(startAddress: number, bufferSize: number): boolean {
    const write = { addr: startAddress };
    this.console("Compacting... ");
    const buf: SwapBuffer = { data: new Uint8Array(bufferSize), head: 0, tail: 0, used: 0 };
    const put = (bytes: Uint8Array) => {
      for (const b of bytes) {
        buf.data[buf.head] = b;
        buf.head = (buf.head + 1) % buf.data.length;
      }
    };
    const h = new Header();
    const ref = { addr: startAddress };
    let lastProgress = 0;
    if (this.getFileHeader(ref.addr, h, true)) {
      do {
        if (this.isRealFile(h)) {
          put(h.bytes());
          buf.used += HEADER_SIZE;
          let alignedSize = this.align(h.fileSize);
          let alignedPtr = ref.addr + HEADER_SIZE;
          this.compactWriteBuffer(write, alignedPtr, buf);
          while (alignedSize) {
            let s = buf.data.length - buf.used;
            if (s > buf.data.length - buf.head) s = buf.data.length - buf.head;
            if (buf.tail > buf.head && s > buf.tail - buf.head) s = buf.tail - buf.head;
            if (s === 0) return false; // no space left in the buffer
            if (s > alignedSize) s = alignedSize;
            buf.data.set(this.flash.read(s, alignedPtr), buf.head);
            alignedSize -= s;
            alignedPtr += s;
            buf.used += s;
            buf.head = (buf.head + s) % buf.data.length;
            this.compactWriteBuffer(write, alignedPtr, buf);
          }
          const progress = (ref.addr - startAddress) >> 14; // every 16 KB
          if (progress !== lastProgress) {
            this.console(`\x08${"/-\\|"[progress & 3]}`);
            lastProgress = progress;
          }
        }
      } while (this.getNextFileHeader(ref, h, GET_ALL));
    }
    this.compactWriteBuffer(write, this.end, buf);
    // Erase the pages after the last one written, up to where the old chain ended.
    if (write.addr !== startAddress) write.addr = this.nextPage(write.addr - 1);
    if (write.addr) {
      if (!ref.addr) ref.addr = this.end;
      this.erasePages(write.addr, (ref.addr - write.addr) >>> 0);
    }
    this.console("\n");
    return true;
  }

  /** jsfBankCompact: from the first page holding trash, with a buffer of at most a page and a header. */
  private bankCompact(startAddress: number): boolean {
    const page = this.flash.getPage(startAddress);
    if (!page) return false;
    const maxRequired = page.length + HEADER_SIZE;
    const stats = this.getStorageStats(startAddress, true);
    if (!stats.trashBytes) return false;
    const bufferSize = Math.min(stats.fileBytes, maxRequired);
    // The interpreter takes the buffer from the stack or the variable pool; both exist on our builds.
    return this.compactInternal(stats.firstPageWithErasedFiles, bufferSize);
  }

  /** _jsfCreateFile: the first gap big enough, page by page; one compaction if that could make room. Returns the data address or 0. */
  private createFile(name: Uint8Array, size: number, flags: number, h: Header): number {
    const requiredSize = this.align(size) + HEADER_SIZE;
    let compacted = false;
    let freeAddr = 0;
    while (!freeAddr) {
      const ref = { addr: this.area.start };
      let freeSpace = 0;
      let trashSpace = 0;
      do {
        if (this.getFileHeader(ref.addr, h, false)) {
          do {
            if (h.firstChars === 0) trashSpace += h.fileSize;
          } while (this.getNextFileHeader(ref, h, GET_EMPTY));
        }
        const spaceInPage = this.spaceLeftInPage(ref.addr);
        freeSpace += spaceInPage;
        if (spaceInPage < requiredSize) ref.addr = this.nextPage(ref.addr);
        else freeAddr = ref.addr;
      } while (ref.addr && !freeAddr);
      if (!freeAddr) {
        if (!compacted && requiredSize < freeSpace + trashSpace) {
          // Only when it would make enough room: better to fail fast.
          compacted = true;
          if (!this.compact()) return 0;
        } else {
          return 0;
        }
      }
    }
    h.size = (size | (flags << 24)) >>> 0;
    h.name.set(name);
    this.flash.write(h.bytes(), freeAddr);
    return freeAddr + HEADER_SIZE;
  }

  /** jsfBankFindFile (one bank): the data address of the live file with this name, or 0. */
  private findFile(name: Uint8Array, returned: Header): number {
    const h = new Header();
    const ref = { addr: this.area.start };
    const wanted = u32(name, 0);
    if (this.area.filenameTable && this.tableAddr) {
      const entry = new Header();
      for (let at = this.tableAddr; at < this.tableAddr + this.tableSize; at += HEADER_SIZE) {
        const bytes = this.flash.read(HEADER_SIZE, at);
        if (!Buffer.from(bytes.subarray(4)).equals(name)) continue;
        const fileAddr = this.area.start + u32(bytes, 0);
        if (this.getFileHeader(fileAddr, entry, true) && entry.firstChars !== 0) {
          copyHeader(entry, returned);
          return fileAddr + HEADER_SIZE;
        }
        // In the table but replaced since: look among the files after the table.
      }
      // Not in the table: walk on from the table itself (taken as trash).
      ref.addr = this.tableAddr - HEADER_SIZE;
      h.name.fill(0, 0, 4);
      h.size = this.tableSize;
    } else if (!this.getFileHeader(ref.addr, h, false)) {
      return 0;
    }
    do {
      if (h.firstChars === wanted) {
        if (this.getFileHeader(ref.addr, h, true) && Buffer.from(h.name).equals(name)) {
          copyHeader(h, returned);
          return ref.addr + HEADER_SIZE;
        }
      }
    } while (this.getNextFileHeader(ref, h, GET_ALL | READ_ONLY_FILENAME_START));
    return 0;
  }

  /** jsfBankListFiles: calls back with each real file's header, through the filename table first if there is one. */
  private listFiles(start: number, handle: (h: Header) => void): void {
    const h = new Header();
    const ref = { addr: start };
    if (this.area.filenameTable && this.tableAddr) {
      for (let at = this.tableAddr; at < this.tableAddr + this.tableSize; at += HEADER_SIZE) {
        const fileAddr = start + u32(this.flash.read(4, at), 0);
        if (this.getFileHeader(fileAddr, h, true) && this.isRealFile(h)) handle(h);
      }
      ref.addr = this.tableAddr - HEADER_SIZE;
      h.name.fill(0, 0, 4);
      h.size = this.tableSize;
    } else if (!this.getFileHeader(ref.addr, h, true)) {
      return;
    }
    do {
      if (this.isRealFile(h)) handle(h);
    } while (this.getNextFileHeader(ref, h, GET_ALL));
  }

  /** jsfIsBankStorageValid(JSFSTT_NORMAL | JSFSTT_FIND_FILENAME_TABLE), as run at power-on. */
  private isStorageValid(): boolean {
    const startAddr = this.area.start;
    const ref = { addr: startAddr };
    let oldAddr = startAddr;
    const h = new Header();
    const valid = this.getFileHeader(ref.addr, h, true);
    if (valid) {
      while (this.getNextFileHeader(ref, h, GET_ALL)) {
        if (this.area.filenameTable && h.flags & FLAG.filenameTable) {
          this.getFileHeader(ref.addr, h, true);
          if (Buffer.from(h.name).equals(fileName(FILENAME_TABLE_NAME)) && h.fileSize < MAX_FILES) {
            this.tableAddr = ref.addr + HEADER_SIZE;
            this.tableSize = h.fileSize;
          }
        }
        oldAddr = ref.addr;
      }
      if (!ref.addr) {
        // The chain may have stopped only because the area is full.
        const newAddr = this.align(oldAddr + h.fileSize + HEADER_SIZE);
        if (newAddr < oldAddr) return false;
        if (newAddr <= this.end && newAddr + HEADER_SIZE > this.end) return true;
      }
    }
    const allFF = h.bytes().every((b) => b === 0xff);
    if (allFF && ref.addr === startAddr) return this.isErased(ref.addr, this.end - ref.addr);
    return allFF;
  }

  /** jsfBankCreateFileTable: a file listing every real file's name and offset, replacing the last table it can find. */
  private createFileTable(): number {
    const start = this.area.start;
    const h = new Header();
    let fileCount = 0;
    const ref = { addr: start };
    if (this.getFileHeader(ref.addr, h, false)) {
      do {
        if (this.isRealFile(h)) fileCount++;
      } while (this.getNextFileHeader(ref, h, GET_ALL));
    }
    const name = fileName(FILENAME_TABLE_NAME);
    const old = this.findFile(name, h);
    if (old) this.eraseFileInternal(old, h, false);
    const tableSize = fileCount * HEADER_SIZE;
    if (tableSize === 0) return 0;
    const tableAddr = this.createFile(name, tableSize, FLAG.filenameTable, h);
    if (!tableAddr) return 0;
    let writeAddr = tableAddr;
    ref.addr = start;
    if (this.getFileHeader(ref.addr, h, true)) {
      do {
        if (this.isRealFile(h)) {
          const entry = new Header();
          copyHeader(h, entry);
          entry.size = ref.addr - start;
          this.flashWriteAligned(entry.bytes(), writeAddr);
          writeAddr += HEADER_SIZE;
        }
      } while (this.getNextFileHeader(ref, h, GET_ALL));
    }
    this.tableAddr = tableAddr;
    this.tableSize = tableSize;
    return tableAddr;
  }

  /** jshFlashErasePages: each page from the one holding startAddr while it starts before the end. */
  private erasePages(startAddr: number, byteLength: number): void {
    const endAddr = (startAddr + byteLength) >>> 0; // u32, as in C: a negative length erases nothing
    let page = this.flash.getPage(startAddr);
    while (page && page.addr < endAddr) {
      this.flash.erasePage(page.addr);
      page = this.flash.getPage(page.addr + page.length);
    }
  }

  /** jshFlashWriteAligned: an unaligned start or end is written as a whole word read back from flash. */
  private flashWriteAligned(data: Uint8Array, addr: number): void {
    let at = 0;
    let len = data.length;
    const alignOffset = addr & (ALIGNMENT - 1);
    if (alignOffset) {
      const word = this.flash.read(ALIGNMENT, addr - alignOffset);
      const n = Math.min(ALIGNMENT - alignOffset, len);
      word.set(data.subarray(0, n), alignOffset);
      this.flash.write(word, addr - alignOffset);
      at += n;
      addr += n;
      if (n >= len) return;
      len -= n;
    }
    const tail = len & (ALIGNMENT - 1);
    len -= tail;
    if (len) this.flash.write(data.subarray(at, at + len), addr);
    addr += len;
    at += len;
    if (tail) {
      const word = this.flash.read(ALIGNMENT, addr);
      word.set(data.subarray(at, at + tail), 0);
      this.flash.write(word, addr);
    }
  }
}

interface SwapBuffer {
  data: Uint8Array;
  head: number;
  tail: number;
  used: number;
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function copyHeader(from: Header, to: Header): void {
  to.size = from.size;
  to.name.set(from.name);
}

/** The bytes the interpreter writes for a string: one per character, UTF-8 if any is beyond a byte (the Linux build's Unicode strings). */
function stringBytes(s: string): Uint8Array {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return Buffer.from(s, "utf8");
  return Buffer.from(s, "latin1");
}

/** jsfNameFromVar: the name's bytes, cut to 28 and padded with zeros. */
function fileName(name: string): Uint8Array {
  const out = new Uint8Array(NAME_SIZE);
  const bytes = stringBytes(String(name));
  out.set(bytes.subarray(0, NAME_SIZE));
  return out;
}

/** jsfVarFromName: up to the first zero. */
function nameString(name: Uint8Array): string {
  const nul = name.indexOf(0);
  return Buffer.from(name.subarray(0, nul < 0 ? NAME_SIZE : nul)).toString("latin1");
}

function matches(name: string, pattern: RegExp | string): boolean {
  if (typeof pattern === "object" && pattern !== null && typeof (pattern as RegExp).exec === "function") {
    const re = pattern as RegExp;
    if (re.global) return true; // String#match with /g returns an array, empty or not
    re.lastIndex = 0;
    return re.exec(name) !== null;
  }
  return name.includes(String(pattern));
}
