import { describe, expect, it } from 'vitest';
import { defineService, ServiceRegistry } from '../../../../lib/core/api/index.js';
import { ConfigError } from '../../../../lib/core/ports/index.js';
import { defineListener, definePipeline, defineStage } from '../../../../lib/core/sdk/index.js';
import { registry } from '../../../../lib/pipelines/registry.js';

const stage = defineStage({ name: 'only', inputs: {}, outputs: [], process: () => ({}) });
const pipeline = (name: string) => definePipeline({ name, stages: [stage] });

describe('services', () => {
  it('refuse a listener that follows a pipeline the service does not define', () => {
    const listener = defineListener({ name: 'l', pipelines: ['other'], handle: async () => undefined });
    expect(() =>
      defineService({ name: 'svc', pipelines: [pipeline('mine')], listeners: [listener] }),
    ).toThrow("listeners: 'l' follows pipeline 'other', which this service does not define");
  });

  it('are selected by name, in registry order, and an unknown name lists the registered ones', () => {
    const a = defineService({ name: 'a', pipelines: [pipeline('pa')] });
    const b = defineService({ name: 'b', pipelines: [pipeline('pb')] });
    const services = new ServiceRegistry([a, b]);
    expect(services.select(['b', 'a']).map((s) => s.name)).toEqual(['a', 'b']);
    expect(services.select().map((s) => s.name)).toEqual(['a', 'b']);
    expect(() => services.select(['c'])).toThrow(ConfigError);
    expect(() => services.select(['c'])).toThrow("'c' is not registered; registered services: a, b");
  });

  it('cannot define one pipeline twice in one registry', () => {
    const a = defineService({ name: 'a', pipelines: [pipeline('same')] });
    const b = defineService({ name: 'b', pipelines: [pipeline('same')] });
    expect(() => new ServiceRegistry([a, b])).toThrow("pipeline 'same' is defined by both 'a' and 'b'");
  });

  it('the registry holds the OMA service and the example', () => {
    expect(registry.names).toEqual(['oma', 'wordcount']);
  });
});
