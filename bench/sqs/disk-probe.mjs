// Measures fdatasync latency in a directory (the data directory's filesystem), so that a benchmark
// can print the disk's condition next to its figures: on a shared machine fsync latency moves a lot.
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export function fsyncLatency(dir, samples = 100) {
  const file = join(dir, `fsync-probe-${process.pid}`);
  const fd = openSync(file, 'w');
  const lat = [];
  try {
    const block = Buffer.alloc(16384, 1);
    for (let i = 0; i < samples; i++) {
      writeSync(fd, block);
      const t = performance.now();
      fdatasyncSync(fd);
      lat.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  lat.sort((a, b) => a - b);
  return { p50: lat[Math.floor(samples / 2)], p99: lat[Math.floor(samples * 0.99)] };
}
