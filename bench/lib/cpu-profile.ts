/**
 * Summarises a V8 .cpuprofile: self time by package (node_modules/<pkg>, app src/<dir>, Node core, GC, idle)
 * and the hottest functions. Usage on its own: npx ts-node --transpile-only -P tsconfig.json bench/lib/cpu-profile.ts <file>
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  wallMs: number;
  /** Main-thread time not idle, the profiler's own excluded. */
  busyMs: number;
  byPackage: Array<{ name: string; ms: number; pctOfBusy: number }>;
  topFunctions: Array<{ name: string; where: string; ms: number; pctOfBusy: number }>;
  /** Inclusive time of frames whose function or file matches each probe (each sample counted once per probe). */
  inclusive: Array<{ probe: string; ms: number; pctOfBusy: number }>;
}

function packageOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program: native, not JS)';
    return functionName || '(unknown)';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `app src/${url.slice(src + '/dist/src/'.length).split('/')[0]}`;
  if (url.startsWith('node:')) return `node core (${url.slice(5).replace(/^internal\//, '').split('/')[0]})`;
  return url;
}

const shortUrl = (url: string): string => {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 14);
  const src = url.indexOf('/dist/');
  return src >= 0 ? url.slice(src + 1) : url;
};

export function summarizeProfile(file: string, probes: string[] = []): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));

  const wallMs = (profile.endTime - profile.startTime) / 1000;
  let idleMs = 0;
  let profilerMs = 0;
  const packages = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; ms: number }>();
  /** A native frame (socket writes, string encoding) counts for the nearest caller outside Node's own modules. */
  const packageOfNode = (id: number): string => {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const own = packageOf(frame);
    if (frame.url || own.startsWith('(') || !parent.has(id)) return own;
    let nearest: string | undefined;
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      const f = (byId.get(up) as ProfileNode).callFrame;
      if (!f.url) continue;
      if (f.url === 'node:inspector') return '(the profiler itself)';
      nearest ??= packageOf(f);
      if (!f.url.startsWith('node:')) return `${packageOf(f)} [native ${frame.functionName}]`;
    }
    return nearest ? `${nearest} [native ${frame.functionName}]` : own;
  };
  for (const [id, ms] of self) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const pkg = packageOfNode(id);
    if (pkg === '(idle)' || pkg === '(the profiler itself)') {
      // The profiler's own work (answering Profiler.stop) is not the process's.
      if (pkg === '(idle)') idleMs += ms;
      else profilerMs += ms;
      continue;
    }
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${where}`;
    const f = functions.get(key) ?? { name: frame.functionName || '(anonymous)', where, ms: 0 };
    f.ms += ms;
    functions.set(key, f);
  }
  const busyMs = wallMs - idleMs - profilerMs;
  const pct = (ms: number): number => (100 * ms) / busyMs;

  // Inclusive time per probe: walk each sample's stack once.
  const inclusive = probes.map((probe) => ({ probe, ms: 0, pctOfBusy: 0 }));
  if (probes.length) {
    const matches = (n: ProfileNode, probe: string): boolean => n.callFrame.functionName === probe || n.callFrame.url.includes(probe);
    const memo = new Map<number, boolean[]>();
    const stackMatches = (id: number): boolean[] => {
      const cached = memo.get(id);
      if (cached) return cached;
      const node = byId.get(id) as ProfileNode;
      const up = parent.has(id) ? stackMatches(parent.get(id) as number) : probes.map(() => false);
      const result = probes.map((p, i) => up[i] || matches(node, p));
      memo.set(id, result);
      return result;
    };
    for (const [id, ms] of self) {
      const pkg = packageOfNode(id);
      if (pkg === '(idle)' || pkg === '(the profiler itself)') continue;
      stackMatches(id).forEach((m, i) => {
        if (m) inclusive[i].ms += ms;
      });
    }
    for (const p of inclusive) p.pctOfBusy = pct(p.ms);
  }

  return {
    wallMs,
    busyMs,
    byPackage: [...packages.entries()].map(([name, ms]) => ({ name, ms, pctOfBusy: pct(ms) })).sort((a, b) => b.ms - a.ms),
    topFunctions: [...functions.values()].map((f) => ({ ...f, pctOfBusy: pct(f.ms) })).sort((a, b) => b.ms - a.ms).slice(0, 30),
    inclusive,
  };
}

export function printProfileSummary(s: ProfileSummary, limit = 18): void {
  console.log(`  profile: ${(s.wallMs / 1000).toFixed(1)} s wall, main thread busy ${(s.busyMs / 1000).toFixed(1)} s (${((100 * s.busyMs) / s.wallMs).toFixed(0)} %)`);
  console.log('  self time by package (share of busy time):');
  for (const p of s.byPackage.slice(0, limit)) console.log(`    ${p.pctOfBusy.toFixed(1).padStart(5)} %  ${p.name}`);
  console.log('  hottest functions (self):');
  for (const f of s.topFunctions.slice(0, limit)) console.log(`    ${f.pctOfBusy.toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
  if (s.inclusive.length) {
    console.log('  inclusive (synchronous stacks under):');
    for (const p of s.inclusive) console.log(`    ${p.pctOfBusy.toFixed(1).padStart(5)} %  ${p.probe}`);
  }
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: cpu-profile.ts <file.cpuprofile> [probe …]');
    process.exit(2);
  }
  printProfileSummary(summarizeProfile(file, process.argv.slice(3)), 30);
}
