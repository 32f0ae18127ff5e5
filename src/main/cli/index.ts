// The `control-room` executable (bundled to dist/main/cli.js). Everything testable lives
// in run-cli.ts; this file only binds it to the real process.
import { runCli } from './run-cli.js';

// Piped into `head` or a closed terminal: losing output must not crash the engine.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const controller = new AbortController();
let signalled = false;
const onSignal = (): void => {
  // A second Ctrl+C means "now": skip the clean shutdown.
  if (signalled) process.exit(130);
  signalled = true;
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
process.exitCode = code;
// Everything is closed by now; should a stray handle keep the loop alive, do not hang.
setTimeout(() => process.exit(code), 2_000).unref();
