import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

interface Entry {
  enabled: boolean;
  until: number;
}

/** How long a looked-up code (or its absence) is trusted: a disabled code stops within it. */
const TTL_MS = 10_000;
const MAX_ENTRIES = 50_000;

/**
 * Whether a referral code exists and is enabled, cached briefly so the hottest public route does
 * not query Postgres on every click. Misses are cached too, so a flood of unknown slugs costs one
 * query per slug per TTL.
 */
@Injectable()
export class CodeDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<boolean>>();

  constructor(private readonly dataSource: DataSource) {}

  async isActive(code: string, nowMs: number): Promise<boolean> {
    const hit = this.entries.get(code);
    if (hit && hit.until > nowMs) return hit.enabled;
    let lookup = this.pending.get(code);
    if (!lookup) {
      lookup = this.lookup(code, nowMs).finally(() => this.pending.delete(code));
      this.pending.set(code, lookup);
    }
    return lookup;
  }

  private async lookup(code: string, nowMs: number): Promise<boolean> {
    const rows = await this.dataSource.query<Array<{ enabled: boolean }>>(
      'SELECT enabled FROM referral_codes WHERE code = $1',
      [code],
    );
    const enabled = rows[0]?.enabled === true;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(code, { enabled, until: nowMs + TTL_MS });
    return enabled;
  }
}
