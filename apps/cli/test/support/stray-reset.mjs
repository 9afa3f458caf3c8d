// Preloaded into the CLI (NODE_OPTIONS=--import) by report-failure.test.ts: once the CLI has put
// up its own uncaughtException handler, throws an ECONNRESET from a timer, outside any command,
// as a reset stdout or stderr socket would.
const before = process.listenerCount('uncaughtException');
const poll = setInterval(() => {
  if (process.listenerCount('uncaughtException') === before) return;
  clearInterval(poll);
  throw Object.assign(new Error('write ECONNRESET'), { code: 'ECONNRESET', syscall: 'write' });
}, 2);
poll.unref();
