// A fixed address in front of the embedded Kafka mock. librdkafka's mock cluster listens on
// ports of its own choosing, new ones each time it starts; the front keeps one port per broker
// for as long as it lives, forwards connections to whatever mock currently runs, and rewrites
// the broker ports the mock advertises so that clients keep coming back through the front.
// Restarting the mock behind it is then, for clients, a broker restart on the same address.
import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';
import {
  FrameReader,
  RequestHeader,
  advertisesBrokers,
  readRequestHeader,
  readResponseCorrelationId,
  rewriteBrokerPorts,
} from './kafka-wire';

const HOST = '127.0.0.1';

interface Address {
  host: string;
  port: number;
}

function parseBrokers(list: string): Address[] {
  return list.split(',').map((entry) => {
    const at = entry.trim().lastIndexOf(':');
    const port = Number(entry.trim().slice(at + 1));
    if (at < 1 || !Number.isInteger(port)) throw new Error(`not a host:port broker: '${entry}'`);
    return { host: entry.trim().slice(0, at), port };
  });
}

export class KafkaFront {
  private upstreams: Address[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly servers: Server[],
    readonly ports: number[],
  ) {}

  /** One listener per broker; a port of 0 picks a free one (kept for the front's lifetime). */
  static async listen(ports: number[]): Promise<KafkaFront> {
    const servers: Server[] = [];
    try {
      for (const port of ports) servers.push(await listenOn(port));
    } catch (err) {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      throw err;
    }
    const bound = servers.map((s) => (s.address() as AddressInfo).port);
    const front = new KafkaFront(servers, bound);
    servers.forEach((server, i) => server.on('connection', (client) => front.accept(i, client)));
    return front;
  }

  /** What clients use as KAFKA_BROKERS. */
  get brokers(): string {
    return this.ports.map((port) => `${HOST}:${port}`).join(',');
  }

  /** Points the front at a (re)started mock, given its bootstrap list in broker-id order. */
  setUpstream(bootstraps: string): void {
    const upstreams = parseBrokers(bootstraps);
    if (upstreams.length !== this.ports.length) {
      throw new Error(`front has ${this.ports.length} ports, mock has ${upstreams.length} brokers`);
    }
    this.upstreams = upstreams;
  }

  /** Refuses connections until the next setUpstream, and drops the open ones. */
  clearUpstream(): void {
    this.upstreams = [];
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.clearUpstream();
    await Promise.all(
      this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }

  private frontPortOf(upstreamPort: number): number | undefined {
    const index = this.upstreams.findIndex((u) => u.port === upstreamPort);
    return index === -1 ? undefined : this.ports[index];
  }

  private accept(index: number, client: Socket): void {
    const target = this.upstreams[index];
    // No broker behind the front (it is restarting): refuse, as a down broker would.
    if (target === undefined) {
      client.destroy();
      return;
    }
    const broker = connect(target.port, target.host);
    this.track(client, broker);
    this.track(broker, client);
    client.setNoDelay(true);
    broker.setNoDelay(true);

    // Requests pass through untouched; only the headers of those whose answers carry broker
    // addresses are remembered, by correlation id.
    const asked = new Map<number, RequestHeader>();
    const requests = new FrameReader();
    const responses = new FrameReader();
    pipeChunks(client, broker, (chunk) => {
      for (const frame of requests.push(chunk)) {
        const header = readRequestHeader(frame);
        if (header !== undefined && advertisesBrokers(header.apiKey)) {
          asked.set(header.correlationId, header);
        }
      }
      return [chunk];
    });
    pipeChunks(broker, client, (chunk) =>
      responses.push(chunk).map((frame) => {
        const correlationId = readResponseCorrelationId(frame);
        const header = correlationId === undefined ? undefined : asked.get(correlationId);
        if (header !== undefined && correlationId !== undefined) {
          asked.delete(correlationId);
          // A copy: the frame may be a view into a buffer still being read.
          const copy = Buffer.from(frame);
          rewriteBrokerPorts(copy, header, (port) => this.frontPortOf(port));
          return copy;
        }
        return frame;
      }),
    );
  }

  /** Either side closing or failing ends the pair, as a broker connection would end. */
  private track(socket: Socket, peer: Socket): void {
    this.sockets.add(socket);
    const end = (): void => {
      this.sockets.delete(socket);
      socket.destroy();
      peer.destroy();
    };
    socket.once('close', end);
    socket.once('error', end);
  }
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

/** Forwards with backpressure; a transform that throws (a malformed frame) ends the pair. */
function pipeChunks(from: Socket, to: Socket, transform: (chunk: Buffer) => Buffer[]): void {
  from.on('data', (chunk: Buffer) => {
    let out: Buffer[];
    try {
      out = transform(chunk);
    } catch {
      from.destroy();
      return;
    }
    let flowing = true;
    for (const piece of out) flowing = to.write(piece) && flowing;
    if (!flowing) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
}
