// What each firmware module adds to an image: every byte of the minified
// image is charged to the source module its source map names, or to a span
// the caller names (an on-demand module, declared at the image's root by
// host/toolchain/on-demand.ts, has no map in the image: its own line lists its
// modules). Bytes the map names no source for go to "(unmapped)": the
// bundle's own glue.
import { TraceMap, eachMapping } from "@jridgewell/trace-mapping";

const UNMAPPED = "(unmapped)";

export interface ModuleBytes {
  module: string;
  bytes: number;
}

/** A stretch of the image charged as a whole to `module`. */
export interface NamedSpan {
  module: string;
  start: number;
  end: number;
}

export function sizeBreakdown(code: string, map: ConstructorParameters<typeof TraceMap>[0], spans: NamedSpan[] = []): ModuleBytes[] {
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const marks: { at: number; module: string }[] = [];
  const trace = new TraceMap(map);
  eachMapping(trace, (m) => {
    marks.push({ at: lineStarts[m.generatedLine - 1] + m.generatedColumn, module: m.source ? shortName(m.source) : UNMAPPED });
  });
  marks.sort((a, b) => a.at - b.at);
  for (const span of spans) chargeSpan(marks, span);
  const bytes: Record<string, number> = {};
  if (marks.length === 0 || marks[0].at > 0) bytes[UNMAPPED] = marks.length === 0 ? code.length : marks[0].at;
  marks.forEach((mark, i) => {
    const end = i + 1 < marks.length ? marks[i + 1].at : code.length;
    bytes[mark.module] = (bytes[mark.module] ?? 0) + end - mark.at;
  });
  return Object.entries(bytes)
    .map(([module, n]) => ({ module, bytes: n }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** Charges [start, end) to the span's module: what was in effect at its end resumes there. */
function chargeSpan(marks: { at: number; module: string }[], span: NamedSpan): void {
  const upToEnd = marks.filter((m) => m.at <= span.end);
  const resume = { at: span.end, module: upToEnd.length > 0 ? upToEnd[upToEnd.length - 1].module : UNMAPPED };
  const outside = marks.filter((m) => m.at < span.start || m.at > span.end);
  const charged = [...outside, { at: span.start, module: span.module }, resume].sort((x, y) => x.at - y.at);
  marks.splice(0, marks.length, ...charged);
}

/**
 * "fota/download" for ../../firmware/fota/download.ts: sources are relative to
 * the image's folder, which may lie outside the project (`fota build --out /tmp/x`).
 */
export function shortName(source: string): string {
  return source.replace(/^(\.\.\/)+/, "").replace(/^(.*\/)?firmware\//, "").replace(/\.ts$/, "");
}

/** "mqtt/client 6.6K, aws/jobs 6.5K, ..." (modules under 50 bytes left out). */
export function formatBreakdown(modules: ModuleBytes[]): string {
  return modules
    .filter((m) => m.bytes >= 50)
    .map((m) => `${m.module} ${(m.bytes / 1024).toFixed(1)}K`)
    .join(", ");
}
