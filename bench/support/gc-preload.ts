/**
 * Preloaded into a server under test (`--expose-gc --import bench/support/gc-preload.ts`) by the
 * memory benchmark: on SIGUSR2 it runs a full garbage collection and prints a marker line, so RSS
 * is read with the garbage of connection set-up gone — the same for every server compared.
 * Touches nothing else in the process.
 */
const collect = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => {
  collect?.();
  collect?.();
  // Let the freed pages go back before RSS is read.
  setTimeout(() => process.stdout.write(`[bench-gc ${Date.now()}] ${collect ? 'collected' : 'no gc'}\n`), 50);
});
