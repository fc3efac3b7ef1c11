import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { FunctionContext } from './context.js';

/** Powertools around a handler: Lambda context in every log line, EMF metrics, X-Ray tracing. */
export function instrument<E, R>(ctx: FunctionContext, handler: (event: E, context: Context) => Promise<R>) {
  return middy(handler)
    .use(captureLambdaHandler(ctx.tracer))
    .use(injectLambdaContext(ctx.powertools, { resetKeys: true }))
    .use(logMetrics(ctx.metrics, { captureColdStartMetric: true }));
}
