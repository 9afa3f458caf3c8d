/**
 * The Node flags that run an entry point: a TypeScript source through tsx (development, tests),
 * compiled JavaScript from `npm run build` with plain node and its source maps (as deployed).
 */
export function runnerArgs(entry: string): string[] {
  return entry.endsWith('.ts') ? ['--import', 'tsx'] : ['--enable-source-maps'];
}
