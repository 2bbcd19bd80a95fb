// The harness's own Kafka clients (the duplicator, the credit giver): quiet, quick to give up a
// connection, retrying sends through a broker restart, producing without the idempotent producer
// (the embedded broker has none).
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';

export function chaosKafka(clientId: string, brokers: string, retries: number): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    connectionTimeout: 3000,
    retry: { initialRetryTime: 300, retries },
    logLevel: logLevel.NOTHING,
  });
}

export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}
