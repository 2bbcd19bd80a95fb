import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { EventEnvelope, LessonCompletedV2, Topics } from '@rewards/contracts';
import { configureHttp } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { InboxConsumer } from './inbox-consumer';
import { EventHandler, RunPrelude } from './inbox-consumer-options';
import { InboxContext, InboxTransport, runOf, startInboxTransport } from './inbox-transport';

const lockTimeout = Object.assign(new Error('canceling statement due to lock timeout'), {
  code: '55P03',
});
const seen: Array<{ id: string; tx: EntityManager }> = [];
const runs: Array<{ ids: string[]; tx: EntityManager; event: unknown }> = [];

@Controller()
class LessonsConsumer {
  @EventPattern(runOf(Topics.LessonCompleted))
  lessonsCompleted(
    @Payload() events: Array<EventEnvelope<LessonCompletedV2>>,
    @Ctx() context: InboxContext,
  ): void {
    runs.push({ ids: events.map((e) => e.id), tx: context.tx, event: context.event });
  }

  @EventPattern(Topics.LessonCompleted)
  lessonCompleted(
    @Payload() event: EventEnvelope<LessonCompletedV2>,
    @Ctx() { tx }: InboxContext,
  ): void {
    seen.push({ id: event.id, tx });
    if (event.key === 'fail') throw lockTimeout;
  }
}

/** Records what the transport registers, instead of consuming from Kafka. */
class RecordingInbox {
  readonly handlers = new Map<string, EventHandler<typeof Topics.LessonCompleted>>();
  readonly preludes = new Map<string, RunPrelude<typeof Topics.LessonCompleted>>();
  started = false;
  beforeRun(topic: string, prelude: RunPrelude<typeof Topics.LessonCompleted>): void {
    this.preludes.set(topic, prelude);
  }
  on(topic: string, handler: EventHandler<typeof Topics.LessonCompleted>): void {
    this.handlers.set(topic, handler);
  }
  start(): void {
    this.started = true;
  }
  async stop(): Promise<void> {}
}

describe(InboxTransport.name, () => {
  it('hands @EventPattern handlers the envelope and the transaction, and their errors unchanged', async () => {
    const inbox = new RecordingInbox();
    const ref = await Test.createTestingModule({
      controllers: [LessonsConsumer],
      providers: [
        {
          provide: InboxTransport,
          useFactory: () => new InboxTransport(inbox as unknown as InboxConsumer),
        },
      ],
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    configureHttp(app);
    await startInboxTransport(app);
    expect(inbox.started).toBe(true);
    const handler = inbox.handlers.get(Topics.LessonCompleted);
    const tx = {} as EntityManager;
    const event = (key: string) =>
      ({ id: `id-${key}`, key, payload: {} }) as unknown as EventEnvelope<LessonCompletedV2>;

    await handler?.(event('ok'), tx);
    expect(seen).toEqual([{ id: 'id-ok', tx }]);
    // The very error object, so the inbox can tell a lock timeout (retried) from a domain error.
    await expect(handler?.(event('fail'), tx)).rejects.toBe(lockTimeout);

    // runOf(topic) registers the topic's run prelude, not a handler of a topic of that name.
    expect([...inbox.handlers.keys()]).toEqual([Topics.LessonCompleted]);
    await inbox.preludes.get(Topics.LessonCompleted)?.([event('a'), event('b')], tx);
    expect(runs).toEqual([{ ids: ['id-a', 'id-b'], tx, event: undefined }]);
    await app.close();
  });
});
