import { PRICE } from './prices.js';

export interface StepFunctionsModel {
  readonly name: string;
  readonly transitions: number;
  readonly requests: number;
  readonly lambdaRequests: number;
  readonly lambdaGbSeconds: number;
  readonly expressGbSeconds: number;
  /** Orchestration and the tasks' Lambda requests (what the framework's core figure covers). */
  readonly usdPerMillion: number;
  /** Plus the tasks' Lambda compute and an HTTP API request that starts the execution. */
  readonly usdPerMillionAllIn: number;
}

/**
 * The same job on Step Functions, modelled: a state machine of one Lambda Task state per stage and
 * a Succeed state, started by the HTTP API (a direct StartExecution integration, no function).
 * Standard bills every step executed (stages + 1 transitions); Express bills the request and the
 * execution's duration (rounded up to 100 ms) at 64 MB. Each task is a synchronous Lambda
 * invocation of `taskMs` billed at `memoryMb`; `invokeOverheadMs` is Step Functions' own time
 * per task, which only Express pays for.
 */
export function stepFunctionsModels(options: {
  readonly stages: number;
  readonly memoryMb: number;
  readonly taskMs: number;
  readonly invokeOverheadMs: number;
  readonly architecture: 'arm64' | 'x86_64';
}): StepFunctionsModel[] {
  const { stages, memoryMb, taskMs, invokeOverheadMs } = options;
  const lambdaGbSeconds = stages * (Math.ceil(taskMs) / 1000) * (memoryMb / 1024);
  const lambdaRequests = stages;
  const gbPrice = PRICE.lambdaGbSecond[options.architecture];
  const taskCost = lambdaRequests * PRICE.lambdaRequest;
  const allInExtra = lambdaGbSeconds * gbPrice + PRICE.httpApiRequest;
  const transitions = stages + 1;
  const standard = transitions * PRICE.stepFunctionsTransition + taskCost;
  const expressSeconds = Math.ceil((stages * (taskMs + invokeOverheadMs)) / 100) / 10;
  const expressGbSeconds = expressSeconds * (64 / 1024);
  const express =
    PRICE.stepFunctionsExpressRequest + expressGbSeconds * PRICE.stepFunctionsExpressGbSecond + taskCost;
  return [
    {
      name: 'Step Functions Standard',
      transitions,
      requests: 0,
      lambdaRequests,
      lambdaGbSeconds,
      expressGbSeconds: 0,
      usdPerMillion: standard * 1e6,
      usdPerMillionAllIn: (standard + allInExtra) * 1e6,
    },
    {
      name: 'Step Functions Express',
      transitions: 0,
      requests: 1,
      lambdaRequests,
      lambdaGbSeconds,
      expressGbSeconds,
      usdPerMillion: express * 1e6,
      usdPerMillionAllIn: (express + allInExtra) * 1e6,
    },
  ];
}
