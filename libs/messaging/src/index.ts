export * from './message-bus';
export * from './kafkajs-message-bus';
export * from './messaging-tables';
export * from './outbox';
export * from './outbox-relay';
export * from './inbox-consumer';
export * from './messaging.module';
