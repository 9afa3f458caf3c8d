// Runs the entry point in PROFILE_ENTRY under V8's CPU profiler and writes the profile to
// PROFILE_OUT when the process exits (a SIGTERM's graceful shutdown included). `--cpu-prof`
// cannot be passed through NODE_OPTIONS, and the bench starts processes by entry point.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 250 });
session.post('Profiler.start');
process.on('exit', () => {
  // The inspector answers synchronously in-process, so this completes inside the exit handler.
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(result.profile));
  });
});
await import(process.env.PROFILE_ENTRY);
