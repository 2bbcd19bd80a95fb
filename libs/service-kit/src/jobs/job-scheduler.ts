import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IntervalJob, IntervalJobOptions } from './interval-job';
import { SchemaTickLock } from './schema-tick-lock';

export interface ScheduledJobOptions<T> extends Omit<IntervalJobOptions<T>, 'lock'> {
  /**
   * The schema lock (`schema_locks` row) that one replica holds while it runs a tick; others
   * skip that tick. Omit for jobs every replica runs (their own buffers) or that share the work
   * row by row (SKIP LOCKED).
   */
  lockName?: string;
}

/**
 * The service's recurring jobs: registered by their owners (in a constructor or onModuleInit),
 * started once the application has booted, stopped before it shuts down, each stop waiting for
 * the tick under way while the database is still open.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobScheduler.name);
  private readonly jobs = new Map<string, IntervalJob<unknown>>();
  private booted = false;

  constructor(private readonly dataSource: DataSource) {}

  every<T>(options: ScheduledJobOptions<T>): IntervalJob<T> {
    if (this.jobs.has(options.name)) throw new Error(`job ${options.name} is already scheduled`);
    const { lockName, ...rest } = options;
    const lock = lockName === undefined ? undefined : new SchemaTickLock(this.dataSource, lockName);
    const job = new IntervalJob<T>({ ...rest, lock }, this.logger);
    this.jobs.set(options.name, job as IntervalJob<unknown>);
    if (this.booted) job.start();
    return job;
  }

  onApplicationBootstrap(): void {
    this.booted = true;
    for (const job of this.jobs.values()) job.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((job) => job.stop()));
  }
}
