import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** Powertools around a handler: Lambda context in every log line, EMF metrics, X-Ray tracing. */
export function instrument<E, R>(
  tools: { readonly powertools: Logger; readonly metrics: Metrics; readonly tracer: Tracer },
  handler: (event: E, context: Context) => Promise<R>,
) {
  return middy(handler)
    .use(captureLambdaHandler(tools.tracer))
    .use(injectLambdaContext(tools.powertools, { resetKeys: true }))
    .use(logMetrics(tools.metrics, { captureColdStartMetric: true }));
}
