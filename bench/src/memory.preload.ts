/**
 * Preloaded (`--require`) into a service by `npm run bench:memory`: what the process's memory was
 * made of when its RSS was highest. Every 100 ms it reads `process.memoryUsage()`; on a new
 * highest RSS it writes that reading, with the file-backed share of the RSS from
 * /proc/self/status, to $BENCH_MEMORY_SAMPLE as JSON (a `MemorySample`). VmHWM, which the bench
 * reads from outside, can only say how high; this says of what.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { MemorySample } from './memory.sample';

const out = process.env['BENCH_MEMORY_SAMPLE'];
const MB = 1024 * 1024;

/** RssFile of /proc/self/status (the binary's and modules' pages, shared between processes), MB. */
function rssFileMb(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = /^RssFile:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

if (out) {
  let highest = 0;
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    if (usage.rss <= highest) return;
    highest = usage.rss;
    const sample: MemorySample = {
      uptimeSeconds: process.uptime(),
      rssMb: usage.rss / MB,
      fileMb: rssFileMb(),
      heapTotalMb: usage.heapTotal / MB,
      heapUsedMb: usage.heapUsed / MB,
      externalMb: usage.external / MB,
      arrayBuffersMb: usage.arrayBuffers / MB,
    };
    writeFileSync(out, JSON.stringify(sample));
  }, 100);
  timer.unref();
}
