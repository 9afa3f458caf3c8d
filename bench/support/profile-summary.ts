import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time by npm package (or Node module) and by function, largest first, as printable lines. */
export function summarizeProfile(path: string, top = 25): string[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const micros = selfMicros.get(node.id) ?? 0;
    total += micros;
    const { functionName, url, lineNumber } = node.callFrame;
    const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + micros);
    add(byPackage, packageOf(url));
    add(byFunction, `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`);
  }
  const lines = (title: string, map: Map<string, number>) => [
    title,
    ...[...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `${(micros / 1000).toFixed(0).padStart(8)} ms ${((100 * micros) / total).toFixed(1).padStart(5)} %  ${name}`),
  ];
  return [`${(total / 1000).toFixed(0)} ms sampled`, ...lines('self time by package', byPackage), ...lines('self time by function', byFunction)];
}

/** `(native)` for V8 and syscalls (idle, GC, socket writes), else the npm package or node: module. */
function packageOf(url: string): string {
  const inModules = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1]!;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url ? url.replace(/^file:\/\/.*\/(dist|apps|packages)\//, '$1/') : '(native)';
}
