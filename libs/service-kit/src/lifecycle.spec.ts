import { BeforeApplicationShutdown, INestApplication, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { configureHttp, withMetrics } from './bootstrap';
import { HealthModule } from './health';
import { ServiceLifecycle, stopOnSignals } from './lifecycle';
import { createTestApp, HTTP_PLATFORMS } from './test-http-app';

/** Stands for the consumer and the relay: shutdown waits for it before the server closes. */
@Injectable()
class SlowDrain implements BeforeApplicationShutdown {
  release = (): void => undefined;
  readonly done = new Promise<void>((resolve) => (this.release = resolve));
  async beforeApplicationShutdown(): Promise<void> {
    await this.done;
  }
}

@Module({
  imports: [HealthModule.forRoot({ useFactory: () => [{ name: 'db', check: async () => {} }] })],
  providers: [SlowDrain],
})
class AppModule {}

describe.each(HTTP_PLATFORMS)(`${ServiceLifecycle.name} on %s`, (platform) => {
  let app: INestApplication;

  beforeEach(async () => {
    const ref = await Test.createTestingModule({
      imports: [withMetrics({ module: AppModule })],
    }).compile();
    app = createTestApp(ref, platform);
    configureHttp(app);
    await app.listen(0, '127.0.0.1');
  });

  afterEach(async () => {
    app.get(SlowDrain).release();
    await app.close();
  });

  it('answers ready, then 503 with the shutdown named, and closes connections once draining', async () => {
    const server = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const ready = await request(server)
      .get('/health/ready')
      .set('Connection', 'keep-alive')
      .expect(200);
    expect(ready.headers.connection).toBe('keep-alive');

    app.get(ServiceLifecycle).beginShutdown(new Date('2026-12-01T06:00:00.000Z'));

    const draining = await request(server)
      .get('/health/ready')
      .set('Connection', 'keep-alive')
      .expect(503);
    expect(draining.body).toMatchObject({
      status: 'not_ready',
      checks: [{ name: 'shutdown', status: 'down' }],
    });
    expect(draining.headers.connection).toBe('close');
    expect((await request(server).get('/health/live').expect(200)).headers.connection).toBe(
      'close',
    );
  });

  it('on SIGTERM turns not ready at once, drains, and exits 0 once the app has closed', async () => {
    const exits: number[] = [];
    const logger = { log: () => undefined, error: () => undefined, warn: () => undefined };
    stopOnSignals(app, logger, { exit: (code) => exits.push(code), keepAliveDrainMs: 0 });

    process.emit('SIGTERM');
    expect(app.get(ServiceLifecycle).draining).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Still draining (the slow hook holds it): no exit yet.
    expect(exits).toEqual([]);

    app.get(SlowDrain).release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exits).toEqual([0]);
  });

  it('keeps answering, each answer closing its connection, through the keep-alive drain', async () => {
    const exits: number[] = [];
    const logger = { log: () => undefined, error: () => undefined, warn: () => undefined };
    stopOnSignals(app, logger, { exit: (code) => exits.push(code), keepAliveDrainMs: 400 });
    const server = (await app.getUrl()).replace('[::1]', '127.0.0.1');

    process.emit('SIGTERM');
    // The other hooks are done at once: only the keep-alive drain holds the server open.
    app.get(SlowDrain).release();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = await request(server)
      .get('/health/live')
      .set('Connection', 'keep-alive')
      .expect(200);
    expect(answer.headers.connection).toBe('close');
    expect(exits).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(exits).toEqual([0]);
  });

  it('exits 1 when the drain outlasts the deadline', async () => {
    const exits: number[] = [];
    const logger = { log: () => undefined, error: () => undefined, warn: () => undefined };
    stopOnSignals(app, logger, { exit: (code) => exits.push(code), deadlineMs: 30 });

    process.emit('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(exits).toEqual([1]);
  });
});
