/**
 * bench/profile: summarises a V8 CPU profile (.cpuprofile, as `node --cpu-prof` writes it): where the
 * busy time went, by area (our folders, each dependency, Node's internals, GC) and by function (self
 * time), as Markdown for docs/BENCHMARKS.md. The daemon-overhead bench's `--profile DIR` makes one.
 *
 *   node dist/bench/profile.js FILE.cpuprofile [--top N]
 */
import { readFileSync } from "node:fs";
import { numberFlag } from "./flags.js";
import { fmt, isMain } from "./measure.js";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One line of a summary: a name and its share of the busy time. */
export interface ProfileShare {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

/** Where a profile's busy time went. */
export interface ProfileSummary {
  readonly busyMs: number;
  readonly idleMs: number;
  readonly byArea: readonly ProfileShare[];
  readonly byFunction: readonly ProfileShare[];
}

/** The area of a frame: `daemon/store`, `protocol`, a package, `node`, or V8's own `(gc)` and such. */
function areaOf(frame: ProfileNode["callFrame"]): string {
  const { url, functionName } = frame;
  if (url === "") return functionName.startsWith("(") ? functionName : "native";
  if (url.startsWith("node:")) return "node";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/dist\/([^/]+(?:\/[^/.]+)?)\//.exec(url) ?? /\/dist\/([^/]+)\//.exec(url);
  return ours ? ours[1]! : "other";
}

function nameOf(frame: ProfileNode["callFrame"]): string {
  const file = frame.url.replace(/^.*\/dist\//, "").replace(/^.*node_modules\//, "");
  return `${frame.functionName || "(anonymous)"} ${file}${file === "" ? "" : `:${frame.lineNumber + 1}`}`;
}

/** Self time by area and by function, idle excluded from the shares. */
export function summariseProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (frame.functionName === "(idle)") {
      idle += ms;
      return;
    }
    busy += ms;
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const fn = nameOf(frame);
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
  });
  const shares = (m: Map<string, number>): ProfileShare[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, share: ms / busy }));
  return { busyMs: busy, idleMs: idle, byArea: shares(areas), byFunction: shares(functions) };
}

/** The summary as two Markdown tables. */
export function formatProfileSummary(s: ProfileSummary): string {
  const rows = (title: string, list: readonly ProfileShare[]) => [
    `| ${title} | self ms | share of busy |`,
    "| --- | --- | --- |",
    ...list.map((x) => `| \`${x.name}\` | ${fmt(x.ms)} | ${fmt(x.share * 100, 1)} % |`),
  ];
  return [
    `busy ${fmt(s.busyMs)} ms, idle ${fmt(s.idleMs)} ms`,
    "",
    ...rows("area", s.byArea),
    "",
    ...rows("function", s.byFunction),
  ].join("\n");
}

if (isMain(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: node dist/bench/profile.js FILE.cpuprofile [--top N]");
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  console.log(formatProfileSummary(summariseProfile(profile, numberFlag("top", 15))));
}
