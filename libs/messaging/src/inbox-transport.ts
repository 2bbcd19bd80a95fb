import { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import {
  BaseRpcContext,
  CustomTransportStrategy,
  MessageHandler,
  MicroserviceOptions,
  Server,
} from '@nestjs/microservices';
import { ALL_TOPICS, EventEnvelope, Topic } from '@rewards/contracts';
import { lastValueFrom } from 'rxjs';
import { EntityManager } from 'typeorm';
import { InboxConsumer } from './inbox-consumer';

/** What an `@EventPattern` handler gets with `@Ctx()`: the inbox transaction to apply it in. */
export class InboxContext extends BaseRpcContext<
  [EntityManager, EventEnvelope<object> | undefined]
> {
  /** The transaction that also records the message in the inbox; write only through it. */
  get tx(): EntityManager {
    return this.args[0];
  }

  /** The event being handled; undefined in a run prelude, which gets all of them. */
  get event(): EventEnvelope<object> | undefined {
    return this.args[1];
  }
}

const isTopic = (pattern: string): pattern is Topic => (ALL_TOPICS as string[]).includes(pattern);

const RUN_SUFFIX = ':run';

/**
 * The pattern of a topic's run prelude: `@EventPattern(runOf(topic))` on a method taking
 * `@Payload()` (the run's new envelopes, in order) and `@Ctx()` (the InboxContext), called once
 * before the topic's handler meets each of them (see RunPrelude in inbox-consumer-options.ts).
 */
export function runOf(topic: Topic): string {
  return `${topic}${RUN_SUFFIX}`;
}

/**
 * A Nest transport over the inbox: consumers are declared as `@EventPattern(topic)` methods
 * taking `@Payload()` (the validated envelope) and `@Ctx()` (an InboxContext). Nest's own Kafka
 * transport commits offsets itself; this one leaves offsets, batching, retries and dead letters
 * to the InboxConsumer, so every handler runs inside its inbox transaction.
 */
export class InboxTransport extends Server implements CustomTransportStrategy {
  constructor(private readonly inbox: InboxConsumer) {
    super();
  }

  listen(callback: () => void): void {
    for (const [pattern, handler] of this.getHandlers()) this.register(pattern, handler);
    this.inbox.start();
    callback();
  }

  async close(): Promise<void> {
    await this.inbox.stop();
  }

  on(): never {
    throw new Error('InboxTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.inbox as T;
  }

  private register(pattern: string, handler: MessageHandler): void {
    if (!handler.isEventHandler) {
      throw new Error(`${pattern}: events get no reply; use @EventPattern, not @MessagePattern`);
    }
    if (handler.next) throw new Error(`${pattern}: one handler per pattern, found several`);
    if (pattern.endsWith(RUN_SUFFIX)) {
      const topic = pattern.slice(0, -RUN_SUFFIX.length);
      if (!isTopic(topic)) throw new Error(`@EventPattern('${pattern}'): not a contract topic`);
      this.inbox.beforeRun(topic, (events, tx) => this.call(handler, events, tx, undefined));
      return;
    }
    if (!isTopic(pattern)) throw new Error(`@EventPattern('${pattern}'): not a contract topic`);
    this.inbox.on(pattern, (event, tx) => this.call(handler, event, tx, event));
  }

  private async call(
    handler: MessageHandler,
    payload: unknown,
    tx: EntityManager,
    event: EventEnvelope<object> | undefined,
  ): Promise<void> {
    const result: unknown = await handler(payload, new InboxContext([tx, event]));
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }
}

/** Connects the service's inbox consumers, when it has any, and starts them. */
export async function startInboxTransport(app: INestApplication): Promise<void> {
  // Looked up without app.get(), which logs (or aborts on) a provider that is not there.
  const modules = [...app.get(ModulesContainer).values()];
  if (!modules.some((m) => m.providers.has(InboxTransport))) return; // e.g. the gateway
  const transport = app.get(InboxTransport, { strict: false });
  // Nest registers the handlers inside connectMicroservice, so filters must already be in the
  // configuration it inherits: the app's error filter passes event handlers' errors on as they
  // are, for the inbox to classify (configureHttp installs it before this is called).
  app.connectMicroservice<MicroserviceOptions>({ strategy: transport }, { inheritAppConfig: true });
  await app.startAllMicroservices();
}
