import type { Backend, JobEvent, ServiceEvent } from '../../lib/core/ports/index.js';

export interface EventCollector {
  /** Events published since the collector started, in arrival order. */
  events(): readonly JobEvent[];
  /** Service events published since the collector started. */
  serviceEvents(): readonly ServiceEvent[];
  stop(): Promise<void>;
}

/** An adapter set under test, plus what the suites need to observe it. */
export interface Harness {
  readonly name: string;
  readonly backend: Backend;
  /** Starts collecting published events (from now on). */
  collectEvents(): Promise<EventCollector>;
  /** Shortest visibility timeout the queue honours, in ms. */
  readonly minVisibilityMs: number;
  /**
   * Visibility (= lease) for the runtime tests' stages: short, so redeliveries come quickly, but
   * comfortably longer than the backend's worst call latency, or a busy emulator's slow calls let a
   * healthy stage's lease expire mid-run.
   */
  readonly stageVisibilityMs: number;
  /**
   * Whether two concurrent conditional writes to one item are atomic (one wins). True of DynamoDB
   * and the memory store; moto_server checks conditions without a lock (measured: about 15 % of
   * concurrent transactions both succeed), so on it racing duplicates are delivered one after the
   * other instead.
   */
  readonly atomicConditionalWrites: boolean;
  /**
   * Whether the queue serves message groups in turn (fair queues). True of SQS and the memory
   * queue; moto_server takes the group id but delivers in send order.
   */
  readonly fairQueues: boolean;
  /** Whether presigned URLs can be fetched in tests. */
  readonly presignable: boolean;
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<Harness>;
