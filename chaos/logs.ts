// Each seed's share of the platform's logs (.local/logs/*.log are appended to across runs):
// the bytes written between the seed's start and its end, copied beside its plan as evidence.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export function logOffsets(dir: string): Map<string, number> {
  const offsets = new Map<string, number>();
  if (!existsSync(dir)) return offsets;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    offsets.set(file, statSync(join(dir, file)).size);
  }
  return offsets;
}

export function copyLogSegments(dir: string, offsets: Map<string, number>, to: string): void {
  if (!existsSync(dir)) return;
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    const path = join(dir, file);
    const size = statSync(path).size;
    // A log that shrank was truncated by this run: all of it is ours.
    const from = (offsets.get(file) ?? 0) > size ? 0 : (offsets.get(file) ?? 0);
    const buffer = Buffer.alloc(size - from);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, from);
    } finally {
      closeSync(fd);
    }
    writeFileSync(join(to, file), buffer);
  }
}
